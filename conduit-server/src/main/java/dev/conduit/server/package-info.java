/**
 * The embeddable Conduit server: {@link dev.conduit.server.Server} started from a {@link
 * dev.conduit.server.ServerConfig} (built in code or read from YAML and the environment), with its
 * limits ({@link dev.conduit.server.PeerLimits}, {@link dev.conduit.server.MemoryLimits}) and
 * authentication ({@link dev.conduit.server.AuthConfig}). An application in the same process
 * connects to it with {@code Client.connectLocal(server.localConnector())}.
 *
 * <p>Null-marked: a type in this package's API is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.conduit.server;

import org.jspecify.annotations.NullMarked;

/**
 * The server's plug-in points: an {@link dev.conduit.server.spi.Authenticator} turns credentials
 * ({@link dev.conduit.server.spi.AuthRequest}) into a {@link dev.conduit.server.spi.Principal} with
 * its {@link dev.conduit.server.spi.Permissions}. Plug-ins run on threads of their own, never on an
 * event loop. A {@link dev.conduit.server.spi.ServerExtension} (found by {@link java.util.ServiceLoader})
 * is a part of the server in a module of its own, such as the ZeroMQ gateway: it owns a section of
 * the settings and runs beside the server with a {@link dev.conduit.server.spi.ServerContext}.
 *
 * <p>Null-marked: a type in this package's API is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.conduit.server.spi;

import org.jspecify.annotations.NullMarked;

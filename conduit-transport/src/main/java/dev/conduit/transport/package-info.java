/**
 * Connections that carry Conduit frames ({@link dev.conduit.transport.Connection}): TCP, TLS,
 * WebSocket and Unix sockets over Netty, and in-memory pairs ({@link
 * dev.conduit.transport.InMemoryConnector}); plus the {@link dev.conduit.transport.Clock} and {@link
 * dev.conduit.transport.Heartbeat} both peers use. Netty stays behind this API.
 *
 * <p>Client applications use {@link dev.conduit.transport.ClientTls} (TLS settings, {@code
 * ClientOptions.tls}), {@link dev.conduit.transport.TransportOptions} and {@link
 * dev.conduit.transport.Connector} ({@code Client.connectLocal}); {@code dev.conduit.client} reads
 * this module transitively.
 *
 * <p>Null-marked: a type in this package's API is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.conduit.transport;

import org.jspecify.annotations.NullMarked;

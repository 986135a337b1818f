package dev.conduit.transport;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Opens connections to servers: over the network ({@link Transport}) or in memory. */
public interface Connector {

    /**
     * Opens a connection. {@code handlerFactory} is called once, on the connection's I/O thread,
     * when the connection is established and before any frame is delivered.
     *
     * @return completes with the connection, or exceptionally if it could not be opened in time
     */
    CompletableFuture<Connection> connect(Endpoint endpoint, Duration timeout,
                                          Function<Connection, FrameHandler> handlerFactory);

    /**
     * As {@link #connect(Endpoint, Duration, Function)}, with the TLS settings for {@code tls://} and
     * {@code wss://} endpoints (the other form uses {@link ClientTls#DEFAULT}). For a TLS endpoint the
     * returned future completes once the TLS handshake is done, and fails with its reason (an {@link
     * javax.net.ssl.SSLException} as cause) if it fails. Connectors without TLS ignore {@code tls}.
     */
    default CompletableFuture<Connection> connect(Endpoint endpoint, Duration timeout, ClientTls tls,
                                                  Function<Connection, FrameHandler> handlerFactory) {
        return connect(endpoint, timeout, handlerFactory);
    }
}

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
}

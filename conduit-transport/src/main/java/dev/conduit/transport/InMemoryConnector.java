package dev.conduit.transport;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Connects to a server in the same process without a socket: each {@link #connect} makes a pair of
 * {@link Connection}s joined back to back, one handed to the caller and one to the server's
 * acceptor. Frames cross as objects, never encoded. Each side's handler is called one frame at a
 * time, in order, on the given executor, so the threading contract is that of a socket.
 */
public final class InMemoryConnector implements Connector {
    private final Function<Connection, FrameHandler> acceptor;
    private final Executor executor;

    private InMemoryConnector(Function<Connection, FrameHandler> acceptor, Executor executor) {
        this.acceptor = Objects.requireNonNull(acceptor, "acceptor");
        this.executor = Objects.requireNonNull(executor, "executor");
    }

    /**
     * A connector whose connections are accepted by {@code acceptor} (the server side) and whose
     * handlers run on {@code executor}.
     */
    public static InMemoryConnector create(Function<Connection, FrameHandler> acceptor, Executor executor) {
        return new InMemoryConnector(acceptor, executor);
    }

    /** The endpoint is ignored: there is only one server behind this connector. */
    @Override
    public CompletableFuture<Connection> connect(Endpoint endpoint, Duration timeout,
                                                 Function<Connection, FrameHandler> handlerFactory) {
        InMemoryConnection client = new InMemoryConnection("memory:client", executor);
        InMemoryConnection server = new InMemoryConnection("memory:server", executor);
        client.join(server);
        server.join(client);
        server.start(acceptor.apply(server));
        client.start(handlerFactory.apply(client));
        return CompletableFuture.completedFuture(client);
    }
}

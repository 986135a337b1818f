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
 * time, in order, on the given executor, and each side's timers ({@link Connection#schedule}) run in
 * the same sequence, never at the same time as its handler: the threading contract is that of a
 * socket.
 *
 * <p>One difference: the acceptor and the handler factory are called on the thread that calls
 * {@link #connect}, before either handler receives anything (over TCP they run on the event loop).
 * They must therefore be safe to call from any thread; their handlers are then only called on the
 * executor.
 */
public final class InMemoryConnector implements Connector {
    private final Function<Connection, FrameHandler> acceptor;
    private final Executor executor;
    private final Clock clock;

    private InMemoryConnector(Function<Connection, FrameHandler> acceptor, Executor executor, Clock clock) {
        this.acceptor = Objects.requireNonNull(acceptor, "acceptor");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * A connector whose connections are accepted by {@code acceptor} (the server side) and whose
     * handlers run on {@code executor}.
     */
    public static InMemoryConnector create(Function<Connection, FrameHandler> acceptor, Executor executor) {
        return new InMemoryConnector(acceptor, executor, Clock.system());
    }

    /** As {@link #create(Function, Executor)}, with the clock that times the connections' timers. */
    static InMemoryConnector create(Function<Connection, FrameHandler> acceptor, Executor executor, Clock clock) {
        return new InMemoryConnector(acceptor, executor, clock);
    }

    /** The endpoint is ignored: there is only one server behind this connector. */
    @Override
    public CompletableFuture<Connection> connect(Endpoint endpoint, Duration timeout,
                                                 Function<Connection, FrameHandler> handlerFactory) {
        InMemoryConnection client = new InMemoryConnection("memory:client", executor, clock);
        InMemoryConnection server = new InMemoryConnection("memory:server", executor, clock);
        client.join(server);
        server.join(client);
        server.start(acceptor.apply(server));
        client.start(handlerFactory.apply(client));
        return CompletableFuture.completedFuture(client);
    }
}

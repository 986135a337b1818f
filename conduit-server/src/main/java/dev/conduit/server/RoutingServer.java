package dev.conduit.server;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.protocol.Frame;
import dev.conduit.transport.Connection;
import dev.conduit.transport.FrameHandler;
import dev.conduit.transport.InMemoryConnector;
import dev.conduit.transport.Listener;
import dev.conduit.transport.Transport;
import java.io.UncheckedIOException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Server} behind {@link Server#create}: a listener, the sessions it accepted, and the
 * {@link SubjectIndex} that routes between them. Routing runs on the publisher's I/O thread and
 * queues each delivery on the subscriber's connection, whose own event loop writes it.
 */
final class RoutingServer implements Server {
    private static final Logger log = LoggerFactory.getLogger(RoutingServer.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** NEW, then RUNNING after start, then STOPPING and STOPPED. */
    private enum State { NEW, RUNNING, STOPPING, STOPPED }

    private final ServerConfig config;
    private final String serverId = "CDT" + randomId(12);
    private final long epoch = RANDOM.nextLong() & Long.MAX_VALUE;
    private final SubjectIndex index = new SubjectIndex();
    private final Set<ServerSession> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final ExecutorService localExecutor = Executors.newVirtualThreadPerTaskExecutor();
    private Transport transport;
    private Listener listener;

    private RoutingServer(ServerConfig config) {
        this.config = config;
    }

    static RoutingServer create(ServerConfig config) {
        return new RoutingServer(config);
    }

    @Override
    public Server start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException("server is " + state.get() + ": it can be started once");
        }
        transport = Transport.create(config.transport());
        InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
        try {
            listener = transport.listen(address, config.limits(), this::accept);
        } catch (Exception e) { // Netty rethrows the bind failure's IOException unchecked
            transport.close();
            state.set(State.STOPPED);
            stopped.complete(null);
            throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + e.getMessage(), e instanceof IOException io ? io : new IOException(e));
        }
        log.info("conduit server {} listening on tcp://{}:{} ({} I/O threads, {})", serverId,
                listener.address().getHostString(), listener.address().getPort(), config.transport().ioThreads(),
                transport.kind());
        return this;
    }

    /** Makes the session for a new connection; runs on its I/O thread. */
    private FrameHandler accept(Connection connection) {
        ServerSession session = new ServerSession(this, connection, randomId(12));
        sessions.add(session);
        if (state.get() != State.RUNNING) {
            session.goAway(0);
        }
        return session;
    }

    void route(ServerSession from, Frame.Publish publish) {
        List<ServerSubscription> targets = from.targets;
        index.match(publish.body().subject(), targets);
        try {
            if (targets.isEmpty()) {
                if (publish.request() && publish.body().replyTo() != null) {
                    from.connection.send(new Frame.NoResponders(publish.body().replyTo()));
                }
                return;
            }
            for (ServerSubscription target : targets) {
                target.session.deliver(target, publish.body());
            }
        } finally {
            targets.clear();
        }
    }

    void sessionClosed(ServerSession session) {
        sessions.remove(session);
    }

    SubjectIndex index() {
        return index;
    }

    ServerConfig config() {
        return config;
    }

    long epoch() {
        return epoch;
    }

    @Override
    public InetSocketAddress address() {
        if (listener == null) {
            throw new IllegalStateException("server is not started");
        }
        return listener.address();
    }

    @Override
    public String serverId() {
        return serverId;
    }

    @Override
    public Client connectLocal() {
        if (state.get() != State.RUNNING) {
            throw new IllegalStateException("server is " + state.get() + ": start it before connecting");
        }
        InMemoryConnector connector = InMemoryConnector.create(this::accept, localExecutor);
        return Client.connect(ClientOptions.builder().clientName("in-process").build(), connector);
    }

    @Override
    public int connectionCount() {
        return sessions.size();
    }

    @Override
    public CompletableFuture<Void> stop() {
        if (state.compareAndSet(State.NEW, State.STOPPED)) {
            stopped.complete(null);
            return stopped;
        }
        if (!state.compareAndSet(State.RUNNING, State.STOPPING)) {
            return stopped;
        }
        long drainMillis = config.drainTimeout().toMillis();
        log.info("conduit server {} stopping: closing {} connections within {} ms", serverId, sessions.size(), drainMillis);
        listener.close().join();
        List<CompletableFuture<Void>> closing = sessions.stream().map(s -> {
            s.goAway((int) Math.min(Integer.MAX_VALUE, drainMillis));
            return s.connection.closeFuture();
        }).toList();
        CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                .completeOnTimeout(null, drainMillis, TimeUnit.MILLISECONDS)
                .whenComplete((v, e) -> {
                    sessions.forEach(s -> s.connection.abort());
                    transport.shutdown().whenComplete((x, y) -> {
                        localExecutor.shutdown();
                        state.set(State.STOPPED);
                        log.info("conduit server {} stopped", serverId);
                        stopped.complete(null);
                    });
                });
        return stopped;
    }

    @Override
    public void close() {
        stop().join();
    }

    private static String randomId(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}

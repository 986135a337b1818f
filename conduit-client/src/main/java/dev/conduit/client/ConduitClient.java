package dev.conduit.client;

import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.HeadersTooLargeException;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.PayloadTooLargeException;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.protocol.ProtocolVersion;
import dev.conduit.protocol.Subjects;
import dev.conduit.transport.Connection;
import dev.conduit.transport.Connector;
import dev.conduit.transport.Endpoint;
import dev.conduit.transport.FrameHandler;
import dev.conduit.transport.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Client} behind {@link Client#connect}: one {@link Connection}, its subscriptions, and
 * the requests and flushes waiting on it.
 *
 * <p>Threads: frames arrive on the connection's I/O thread ({@link Inbound}), which only updates
 * maps and hands work to the executor; futures are completed on the executor too, so that callers'
 * dependent stages never run on the I/O thread. Public methods run on the caller's thread.
 */
final class ConduitClient implements Client {
    private static final Logger log = LoggerFactory.getLogger(ConduitClient.class);

    private final ClientOptions options;
    private final Transport ownedTransport;
    private final ExecutorService ownedExecutor;
    private final Executor executor;
    private final SerialExecutor events;
    private final AtomicReference<ConnectionState> state = new AtomicReference<>(ConnectionState.CONNECTING);
    private final AtomicInteger nextSubscriptionId = new AtomicInteger();
    private final Map<Integer, ClientSubscription> subscriptions = new ConcurrentHashMap<>();
    private final Requests requests;
    private final Map<Long, Flush> flushes = new ConcurrentHashMap<>();
    private final AtomicLong nextPingToken = new AtomicLong();
    /** The connection whose handshake succeeded; {@code null} until then. */
    private volatile Connection connection;
    /** The handler of {@link #connection}; events from other attempts' handlers are ignored. */
    private volatile Inbound active;
    private volatile ServerInfo serverInfo;
    private volatile ProtocolLimits limits = ProtocolLimits.DEFAULT;
    /** Why the connection ended, when the server said so or the connection failed. */
    private volatile ConduitException closeCause;

    /** A flush waiting for its PONG, and the timer that fails it if none comes. */
    private record Flush(CompletableFuture<Void> future, Connection.Cancellable timer) {
    }

    private ConduitClient(ClientOptions options, Transport ownedTransport) {
        this.options = options;
        this.ownedTransport = ownedTransport;
        if (options.executor() == null) {
            this.ownedExecutor = Executors.newVirtualThreadPerTaskExecutor();
            this.executor = ownedExecutor;
        } else {
            this.ownedExecutor = null;
            this.executor = options.executor();
        }
        this.events = new SerialExecutor(executor);
        this.requests = new Requests(this, executor);
    }

    static Client connect(ClientOptions options, Connector connector) {
        Objects.requireNonNull(options, "options");
        Transport transport = connector == null ? Transport.create(options.transport()) : null;
        ConduitClient client = new ConduitClient(options, transport);
        try {
            client.open(connector == null ? transport : connector);
            return client;
        } catch (RuntimeException e) {
            client.release();
            throw e;
        }
    }

    private void open(Connector connector) {
        List<String> failures = new ArrayList<>();
        for (Endpoint endpoint : options.endpoints()) {
            Inbound[] attempt = new Inbound[1];
            try {
                Connection c = connector.connect(endpoint, options.connectTimeout(), conn -> attempt[0] = new Inbound(conn))
                        .get(options.connectTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
                c.send(new Frame.Hello(ProtocolVersion.MIN, ProtocolVersion.MAX, options.clientName(), "",
                        new byte[0], new byte[0], 0));
                Frame.Welcome w = attempt[0].welcome.get(options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
                limits = w.limits();
                c.inboundLimits(limits);
                serverInfo = new ServerInfo(w.serverId(), w.sessionId(), w.version(), limits);
                connection = c;
                active = attempt[0];
                transition(ConnectionState.CONNECTING, ConnectionState.OPEN);
                if (!c.isOpen()) {
                    // Closed between WELCOME and activation: its close event was ignored, so act on it now.
                    closed(new ConnectionClosedException("connection closed during the handshake"));
                }
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConnectFailedException("interrupted while connecting to " + endpoint, e);
            } catch (ExecutionException | TimeoutException e) {
                Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                failures.add(endpoint + ": " + describe(cause));
                if (attempt[0] != null) {
                    attempt[0].connection.close();
                }
                if (cause instanceof ServerErrorException se && !se.retryable()) {
                    throw new ConnectFailedException("cannot connect to " + endpoint + ": " + se.getMessage(), se);
                }
            }
        }
        throw new ConnectFailedException("cannot connect to " + String.join("; ", failures), null);
    }

    private static String describe(Throwable t) {
        if (t instanceof TimeoutException) {
            return "timed out";
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    // ---------------------------------------------------------------------------------------------
    // Public API

    @Override
    public void publish(String subject, Headers headers, byte[] payload) {
        publish(subject, null, headers, payload);
    }

    @Override
    public void publish(String subject, String replyTo, Headers headers, byte[] payload) {
        send(new Frame.Publish(0, false, body(subject, replyTo, headers, payload)));
    }

    @Override
    public Subscription subscribe(String pattern, String queueGroup, MessageHandler handler) {
        Objects.requireNonNull(handler, "handler");
        ProtocolLimits l = limits;
        Subjects.checkPattern(pattern, l.maxSubjectBytes());
        if (queueGroup != null) {
            Subjects.checkQueueGroup(queueGroup, l.maxSubjectBytes());
        }
        requireOpen();
        int id = nextSubscriptionId.incrementAndGet();
        ClientSubscription s = new ClientSubscription(this, id, pattern, queueGroup, handler,
                new SerialExecutor(executor), options.maxPendingMessagesPerSubscription());
        subscriptions.put(id, s);
        send(new Frame.Subscribe(id, pattern, queueGroup));
        return s;
    }

    @Override
    public CompletableFuture<Message> request(String subject, Headers headers, byte[] payload, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be > 0: " + timeout);
        }
        MessageBody probe = body(subject, null, headers, payload);
        requireOpen();
        return requests.send(probe, timeout);
    }

    @Override
    public CompletableFuture<Void> flush(Duration timeout) {
        long token = nextPingToken.incrementAndGet();
        CompletableFuture<Void> f = new CompletableFuture<>();
        Connection c = connection;
        if (c == null) {
            f.completeExceptionally(closedException("flush"));
            return f;
        }
        Connection.Cancellable timer = c.schedule(() -> {
            Flush pending = flushes.remove(token);
            if (pending != null) {
                executor.execute(() -> pending.future.completeExceptionally(
                        new ConnectionClosedException("no answer from the server within " + timeout.toMillis() + " ms")));
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        flushes.put(token, new Flush(f, timer));
        if (!c.send(new Frame.Ping(token))) {
            flushes.remove(token);
            timer.cancel();
            f.completeExceptionally(closedException("flush"));
        }
        return f;
    }

    @Override
    public ConnectionState state() {
        return state.get();
    }

    @Override
    public ServerInfo serverInfo() {
        return serverInfo;
    }

    @Override
    public void close() {
        if (!transition(ConnectionState.OPEN, ConnectionState.DRAINING)) {
            if (state.get() == ConnectionState.CLOSED) {
                release();
            }
            return;
        }
        long deadline = System.nanoTime() + options.drainTimeout().toNanos();
        try {
            requests.allSettled().get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("drain: requests still in flight at the deadline");
        }
        try {
            flush(Duration.ofMillis(Math.max(1, remainingMillis(deadline)))).get(remainingMillis(deadline) + 100,
                    TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("drain: flush did not complete before the deadline");
        }
        Connection c = connection;
        if (c != null) {
            c.sendAndClose(new Frame.GoAway(ErrorCode.NORMAL_CLOSE.code(), 0, "client closing"));
            try {
                c.closeFuture().get(Math.max(100, remainingMillis(deadline)), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.debug("drain: connection did not close before the deadline");
            }
        }
        closed(new ConnectionClosedException("client closed"));
        release();
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    private void release() {
        if (ownedTransport != null) {
            ownedTransport.shutdown();
        }
        if (ownedExecutor != null) {
            ownedExecutor.shutdown();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Internals shared with subscriptions and requests

    MessageBody body(String subject, String replyTo, Headers headers, byte[] payload) {
        ProtocolLimits l = limits;
        Subjects.checkSubject(subject, l.maxSubjectBytes());
        if (replyTo != null) {
            Subjects.checkSubject(replyTo, l.maxSubjectBytes());
        }
        Objects.requireNonNull(payload, "payload");
        if (payload.length > l.maxPayloadBytes()) {
            throw new PayloadTooLargeException(payload.length, l.maxPayloadBytes());
        }
        Headers h = headers == null ? Headers.EMPTY : headers;
        int headerBytes = h.encodedLength();
        if (headerBytes > l.maxHeaderBytes()) {
            throw new HeadersTooLargeException("headers of " + headerBytes + " bytes exceed the server's maximum of "
                    + l.maxHeaderBytes() + " bytes");
        }
        // Copied so that the caller may reuse its array as soon as the call returns.
        return MessageBody.of(subject, replyTo, h, payload.clone());
    }

    /** Sends a frame, or throws {@link ConnectionClosedException} if the client cannot send. */
    void send(Frame frame) {
        requireOpenOrDraining(frame);
        Connection c = connection;
        if (c == null || !c.send(frame)) {
            throw closedException("send");
        }
    }

    private void requireOpen() {
        ConnectionState s = state.get();
        if (s != ConnectionState.OPEN) {
            throw closedException(s == ConnectionState.DRAINING ? "client is closing" : "client is " + s);
        }
    }

    /**
     * While draining, new subscriptions are refused but publishes still go out, so that handlers
     * finishing their last messages can reply.
     */
    private void requireOpenOrDraining(Frame frame) {
        ConnectionState s = state.get();
        boolean allowed = s == ConnectionState.OPEN
                || (s == ConnectionState.DRAINING && !(frame instanceof Frame.Subscribe));
        if (!allowed) {
            throw closedException("client is " + s);
        }
    }

    private ConnectionClosedException closedException(String what) {
        ConduitException cause = closeCause;
        return cause == null ? new ConnectionClosedException(what + ": connection closed")
                : new ConnectionClosedException(what + ": " + cause.getMessage(), cause);
    }

    Connection connection() {
        return connection;
    }

    void forget(ClientSubscription s) {
        subscriptions.remove(s.id(), s);
    }

    int nextSubscriptionId() {
        return nextSubscriptionId.incrementAndGet();
    }

    void notifyHandlerFailure(Subscription s, Throwable e) {
        log.warn("handler of {} failed", s, e);
        events.execute(() -> options.listener().onHandlerFailure(s, e));
    }

    /** Reports what the subscription has dropped so far, and keeps counting from zero. */
    void reportSlowConsumer(ClientSubscription s) {
        events.execute(() -> {
            long dropped = s.takeDropped();
            if (dropped > 0) {
                log.warn("{} is not keeping up: dropped {} messages", s, dropped);
                options.listener().onSlowConsumer(s, dropped);
            }
        });
    }

    private boolean transition(ConnectionState from, ConnectionState to) {
        if (state.compareAndSet(from, to)) {
            events.execute(() -> options.listener().onStateChange(from, to));
            return true;
        }
        return false;
    }

    /** The connection is gone: fail everything waiting on it. Idempotent. */
    private void closed(ConduitException cause) {
        ConnectionState previous = state.getAndSet(ConnectionState.CLOSED);
        if (previous == ConnectionState.CLOSED) {
            return;
        }
        if (closeCause == null) {
            closeCause = cause;
        }
        events.execute(() -> options.listener().onStateChange(previous, ConnectionState.CLOSED));
        ConnectionClosedException failure = closedException("connection closed");
        requests.failAll(failure);
        for (Long token : List.copyOf(flushes.keySet())) {
            Flush f = flushes.remove(token);
            if (f != null) {
                f.timer.cancel();
                executor.execute(() -> f.future.completeExceptionally(failure));
            }
        }
        subscriptions.values().forEach(ClientSubscription::end);
    }

    private void reportError(ConduitException e) {
        events.execute(() -> options.listener().onError(e));
    }

    /** Receives the connection's frames, on its I/O thread. Never blocks, never runs user code. */
    private final class Inbound implements FrameHandler {
        private final Connection connection;
        private final CompletableFuture<Frame.Welcome> welcome = new CompletableFuture<>();

        Inbound(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void onFrame(Frame frame) {
            switch (frame) {
                case Frame.Message m -> {
                    ClientSubscription s = subscriptions.get(m.subscriptionId());
                    if (s != null) {
                        s.onMessage(m.body());
                    } else if (!requests.onMessage(m)) {
                        log.debug("message for unknown subscription {} ignored", m.subscriptionId());
                    }
                }
                case Frame.Pong p -> {
                    Flush f = flushes.remove(p.token());
                    if (f != null) {
                        f.timer.cancel();
                        executor.execute(() -> f.future.complete(null));
                    }
                }
                case Frame.Ping p -> connection.send(new Frame.Pong(p.token()));
                case Frame.NoResponders n -> requests.onNoResponders(n.replySubject());
                case Frame.Welcome w -> {
                    if (!welcome.complete(w)) {
                        protocolViolation("a second WELCOME");
                    }
                }
                case Frame.Error e -> {
                    ServerErrorException error = new ServerErrorException(e.code(), e.fatal(), e.message());
                    if (!welcome.isDone()) {
                        welcome.completeExceptionally(error);
                        connection.close();
                        return;
                    }
                    if (e.fatal()) {
                        closeCause = error;
                        connection.close();
                    }
                    log.warn("server error: {}", error.getMessage());
                    reportError(error);
                }
                case Frame.GoAway g -> {
                    closeCause = new ConnectionClosedException("server is going away (" + g.code() + "): " + g.reason());
                    log.info("server sent GOAWAY {}: {}", g.code(), g.reason());
                }
                case Frame.Ack a -> {
                    // Resumption is not negotiated in this version: acknowledgements carry nothing for us.
                }
                default -> protocolViolation("a " + frame.type() + " frame, which servers do not send");
            }
        }

        private void protocolViolation(String what) {
            closeCause = new ConnectionClosedException("protocol violation by the server: " + what);
            connection.close();
        }

        @Override
        public void onProtocolError(ProtocolException error, boolean inSync) {
            log.warn("undecodable frame from the server: {}", error.getMessage());
            closeCause = error;
            connection.close();
        }

        @Override
        public void onClosed(Throwable cause) {
            if (active != this) {
                // A handshake that never completed: the connect loop reports it.
                welcome.completeExceptionally(cause == null
                        ? new ConnectionClosedException("connection closed during the handshake")
                        : new ConnectionClosedException("connection lost during the handshake: " + describe(cause), cause));
                return;
            }
            ConduitException reason = closeCause;
            if (reason == null) {
                reason = cause == null ? new ConnectionClosedException("connection closed by the server")
                        : new ConnectionClosedException("connection lost: " + describe(cause), cause);
            }
            if (state.get() == ConnectionState.OPEN) {
                reportError(reason);
            }
            closed(reason);
        }
    }
}

package dev.conduit.client;

import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connector;
import dev.conduit.transport.Transport;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Client} behind {@link Client#connect}: one session that outlives its connections.
 * This class is the facade: it checks the caller's arguments (against the server's limits, {@link
 * ServerLimits}), makes subscriptions and requests ({@link ClientSubscription}, {@link Requests}),
 * owns the executor and transport it created, and hands the rest to its {@link ClientSession},
 * which holds the session's state and wires its parts ({@link OutboundStream}, {@link
 * Reconnector}, {@link Link}, {@link ClientCredentials}, {@link Drain}).
 *
 * <p>Threads: its public methods run on the callers' threads (handlers' included). It keeps no
 * mutable state of its own but the subscription counter (atomic); what it asks of the session is
 * guarded by the session's monitor, which is "the client's monitor" of docs/concurrency.md. User
 * code never runs on an I/O or clock thread: listener calls go through {@code events}, one at a
 * time.
 */
final class ConduitClient implements Client {
    private static final Logger log = LoggerFactory.getLogger(ConduitClient.class);

    private final ClientOptions options;
    private final Clock clock;
    private final @Nullable Transport ownedTransport;
    private final @Nullable ExecutorService ownedExecutor;
    private final Executor executor;
    private final SerialExecutor events;
    private final AtomicInteger nextSubscriptionId = new AtomicInteger();
    private final Requests requests;
    /** The server's limits, and the checks of outgoing messages against them. */
    private final ServerLimits limits = new ServerLimits();
    /** The session's state and parts; its monitor is the client's. */
    private final ClientSession session;

    private ConduitClient(ClientOptions options, Connector connector, @Nullable Transport ownedTransport) {
        this.options = options;
        this.clock = options.clock();
        this.ownedTransport = ownedTransport;
        if (options.executor() == null) {
            this.ownedExecutor = Executors.newVirtualThreadPerTaskExecutor();
            this.executor = RejectionSafeExecutor.wrap(ownedExecutor);
        } else {
            this.ownedExecutor = null;
            this.executor = RejectionSafeExecutor.wrap(options.executor());
        }
        this.events = new SerialExecutor(executor);
        this.requests = new Requests(this, executor, clock);
        this.session = new ClientSession(options, executor, events, requests, limits, connector, this::release);
    }

    static Client connect(ClientOptions options, @Nullable Connector connector) {
        ConduitClient client = create(options, connector);
        client.session.start();
        try {
            client.session.firstOpen.get();
            return client;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.session.shutdown(new ConnectFailedException("interrupted while connecting", e));
            throw new ConnectFailedException("interrupted while connecting", e);
        } catch (ExecutionException e) {
            client.session.shutdown(new ConnectionClosedException("connect failed"));
            if (e.getCause() instanceof ConnectFailedException cf) {
                throw new ConnectFailedException(String.valueOf(cf.getMessage()), cf.getCause());
            }
            Throwable cause = Objects.requireNonNullElse(e.getCause(), e);
            throw new ConnectFailedException("cannot connect: " + cause.getMessage(), cause);
        }
    }

    /**
     * Starts connecting in the background and returns at once: for the connections of a pool opened
     * after the first. Until it is connected the client buffers like one that is resuming.
     */
    static Client startInBackground(ClientOptions options, @Nullable Connector connector) {
        ConduitClient client = create(options, connector);
        client.session.start();
        return client;
    }

    /** A client over {@code connector}, or over I/O threads of its own (which it closes) if that is null. */
    private static ConduitClient create(ClientOptions options, @Nullable Connector connector) {
        Objects.requireNonNull(options, "options");
        if (connector != null) {
            return new ConduitClient(options, connector, null);
        }
        Transport transport = Transport.create(options.transport());
        return new ConduitClient(options, transport, transport);
    }

    // ---------------------------------------------------------------------------------------------
    // Public API

    @Override
    public boolean publish(String subject, @Nullable String replyTo, Headers headers, byte[] payload) {
        if (Tracing.ENABLED) {
            return OtelTracing.publish(subject, false, headers, length(payload),
                    h -> enqueue(new Frame.Publish(0, false, body(subject, replyTo, h, payload)), null, 0, true));
        }
        return enqueue(new Frame.Publish(0, false, body(subject, replyTo, headers, payload)), null, 0, true);
    }

    /** Publishes a reply to a request (for {@link ReceivedMessage#reply}); traced as one when tracing is on. */
    void reply(String replyTo, Headers headers, byte[] payload) {
        if (Tracing.ENABLED) {
            OtelTracing.publish(replyTo, true, headers, length(payload),
                    h -> enqueue(new Frame.Publish(0, false, body(replyTo, null, h, payload)), null, 0, true));
            return;
        }
        publish(replyTo, headers, payload);
    }

    private static int length(byte[] payload) {
        return payload == null ? 0 : payload.length;
    }

    @Override
    public CompletableFuture<Void> publishConfirmed(String subject, Headers headers, byte[] payload, @Nullable Duration timeToLive) {
        long ttl = 0;
        if (timeToLive != null) {
            if (timeToLive.isNegative() || timeToLive.isZero()) {
                throw new IllegalArgumentException("timeToLive must be > 0: " + timeToLive);
            }
            ttl = timeToLive.toNanos();
        }
        if (Tracing.ENABLED) {
            long ttlNanos = ttl;
            return OtelTracing.untilDone(subject, false, headers, length(payload),
                    h -> confirmed(subject, h, payload, ttlNanos));
        }
        return confirmed(subject, headers, payload, ttl);
    }

    private CompletableFuture<Void> confirmed(String subject, Headers headers, byte[] payload, long ttl) {
        CompletableFuture<Void> outcome = new CompletableFuture<>();
        MessageBody body = body(subject, null, headers, payload);
        try {
            if (!enqueue(new Frame.Publish(0, false, body), outcome, ttl, true)) {
                outcome.completeExceptionally(new BufferFullException(session.bufferFullMessage(FrameCodec.HEAD_BYTES)));
            }
        } catch (ConduitException e) {
            outcome.completeExceptionally(e);
        }
        return outcome;
    }

    @Override
    public Subscription subscribe(String pattern, @Nullable String queueGroup, Delivery delivery, MessageHandler handler) {
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(delivery, "delivery");
        limits.checkSubscription(pattern, queueGroup);
        return subscribeInternal(pattern, queueGroup, delivery, handler, true);
    }

    /** Makes a subscription; the request inbox is made even while draining, for requests already sent. */
    ClientSubscription subscribeInternal(String pattern, @Nullable String queueGroup, Delivery delivery, MessageHandler handler,
                                         boolean user) {
        int id = nextSubscriptionId.incrementAndGet();
        if (Tracing.ENABLED && user && handler != PullHandler.INSTANCE) {
            // A pull subscription has no handler to run in a span (and is recognised by this marker).
            handler = OtelTracing.consumer(pattern, handler);
        }
        ClientSubscription s = new ClientSubscription(this, id, pattern, queueGroup, handler,
                executor, options.maxPendingMessagesPerSubscription(), options.maxPendingBytesPerSubscription(),
                delivery, options.disconnectWhenSlow());
        session.add(s, user);
        return s;
    }

    @Override
    public CompletableFuture<Message> request(String subject, Headers headers, byte[] payload, Duration timeout,
                                              boolean idempotent) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be > 0: " + timeout);
        }
        if (Tracing.ENABLED) {
            return OtelTracing.untilDone(subject, true, headers, length(payload), h -> {
                MessageBody probe = body(subject, null, h, payload);
                session.requireOpen();
                return requests.send(probe, timeout, idempotent);
            });
        }
        MessageBody probe = body(subject, null, headers, payload);
        session.requireOpen();
        return requests.send(probe, timeout, idempotent);
    }

    @Override
    public CompletableFuture<Void> flush(Duration timeout) {
        return session.flush(timeout);
    }

    @Override
    public ConnectionState state() {
        return session.state();
    }

    @Override
    public ServerInfo serverInfo() {
        ServerInfo info = session.serverInfo();
        if (info == null) { // only a pool's member started in the background, before its first WELCOME
            throw new IllegalStateException("not connected yet: no server has welcomed this client");
        }
        return info;
    }

    @Override
    public CompletableFuture<Void> drain() {
        return session.drain();
    }

    @Override
    public void close() {
        session.close();
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

    /** A message to send, checked against the server's limits, with its payload copied. */
    MessageBody body(String subject, @Nullable String replyTo, @Nullable Headers headers, byte[] payload) {
        return limits.body(subject, replyTo, headers, payload);
    }

    /** See {@link ClientSession#enqueue}. */
    boolean enqueue(Frame frame, @Nullable CompletableFuture<Void> outcome, long ttlNanos, boolean bounded) {
        return session.enqueue(frame, outcome, ttlNanos, bounded);
    }

    /** Removes a request that timed out before it was sent, so it is never sent late. */
    void withdraw(Frame.Publish request) {
        session.withdraw(request);
    }

    void forget(ClientSubscription s) {
        session.forget(s);
    }

    int nextSubscriptionId() {
        return nextSubscriptionId.incrementAndGet();
    }

    Executor executor() {
        return executor;
    }

    ClientOptions options() {
        return options;
    }

    void notifyHandlerFailure(Subscription s, Throwable e) {
        log.warn("handler of {} failed", s, e);
        events.execute(() -> options.listener().onHandlerFailure(s, e));
    }

    /** Sends a CREDIT on the open connection, if there is one (see {@link ClientSession#sendCredit}). */
    boolean sendCredit(Frame.Credit credit) {
        return session.sendCredit(credit);
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
}

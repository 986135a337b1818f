package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;

/**
 * The server's meters, in a Micrometer registry: its own Prometheus registry, or one the embedding
 * application passed to {@link Server#create(ServerConfig, MeterRegistry)}. Metric names are listed
 * in docs/operations.md.
 *
 * <p>Hot path. Messages and bytes are not counted here but per session ({@link SessionStats}, a
 * plain increment under a lock the session holds anyway); the totals registered here sum the live
 * sessions and those that ended when they are read. Everything counted here directly (connections,
 * resumes, errors, handshake failures) happens at most once per connection or per error.
 *
 * <p>Thread-safe.
 */
final class ServerMetrics {
    /** The transports a connection can use; each has its gauge from the start, at zero. */
    static final List<String> TRANSPORTS = List.of("tcp", "tls", "ws", "wss", "unix", "memory");
    static final int RECENT_ERRORS = 20;

    private final MeterRegistry registry;
    private final boolean ownsRegistry;
    private final List<Meter> meters = new ArrayList<>();
    private final Map<String, AtomicInteger> openConnections = new ConcurrentHashMap<>();
    private final Map<String, Counter> openedConnections = new ConcurrentHashMap<>();
    private final Map<String, Counter> handshakeFailures = new ConcurrentHashMap<>();
    private final Map<String, Counter> authFailures = new ConcurrentHashMap<>();
    private final Map<ErrorCode, Counter> errors = new ConcurrentHashMap<>();
    private final RecentErrors recentErrors = new RecentErrors(RECENT_ERRORS, System::currentTimeMillis);
    private final LongAdder retiredMessagesIn = new LongAdder();
    private final LongAdder retiredBytesIn = new LongAdder();
    private final LongAdder retiredMessagesOut = new LongAdder();
    private final LongAdder retiredBytesOut = new LongAdder();
    private final Counter resumes;
    private final AtomicLong heldBytes = new AtomicLong();
    private final AtomicInteger publishersWaiting = new AtomicInteger();
    private final Counter stalls;
    private final Counter sessionsLost;
    private final Counter requestsUnanswered;
    private final Counter sessionsEvicted;
    private final Timer roundTrip;
    private final Timer delivery;
    /** The same samples as {@link #roundTrip} and {@link #delivery}, as percentiles over the last seconds. */
    private final LatencyWindow roundTripWindow = new LatencyWindow();
    private final LatencyWindow deliveryWindow = new LatencyWindow();
    private final Collection<ServerSession> sessions;
    /** The JVM's garbage collection listener, bound to the server's own registry only; closed with it. */
    private final JvmGcMetrics gcMetrics;

    /**
     * @param registry where to register, or null for a registry of the server's own (Prometheus)
     * @param sessions the server's live sessions, read when traffic totals are read
     */
    ServerMetrics(MeterRegistry registry, Collection<ServerSession> sessions) {
        this.ownsRegistry = registry == null;
        this.registry = registry == null ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : registry;
        this.sessions = sessions;
        for (String t : TRANSPORTS) {
            connectionGauge(t);
        }
        traffic("conduit.messages.in", "messages received from clients (PUBLISH)", null,
                SessionStats::messagesIn, retiredMessagesIn);
        traffic("conduit.messages.out", "messages delivered to sessions (MESSAGE)", null,
                SessionStats::messagesOut, retiredMessagesOut);
        traffic("conduit.payload.in", "payload bytes of the messages received", "bytes",
                SessionStats::bytesIn, retiredBytesIn);
        traffic("conduit.payload.out", "payload bytes of the messages delivered", "bytes",
                SessionStats::bytesOut, retiredBytesOut);
        resumes = keep(Counter.builder("conduit.sessions.resumed")
                .description("sessions resumed on a new connection").register(this.registry));
        sessionsLost = keep(Counter.builder("conduit.sessions.lost")
                .description("detached sessions that ended because their resume window expired").register(this.registry));
        keep(Gauge.builder("conduit.flow.held", heldBytes, AtomicLong::get).baseUnit("bytes")
                .description("payload bytes held for reliable subscriptions that have no credit (each bounded by "
                        + "maxHeldBytesPerSubscription)").register(this.registry));
        keep(Gauge.builder("conduit.flow.publishers.waiting", publishersWaiting, AtomicInteger::get)
                .description("connections not read because their publishes wait for a reliable subscription's "
                        + "credit").register(this.registry));
        stalls = keep(Counter.builder("conduit.flow.stalls")
                .description("reliable subscriptions ended for granting no credit for maxStall").register(this.registry));
        sessionsEvicted = keep(Counter.builder("conduit.sessions.evicted")
                .description("detached sessions ended to keep the server within maxDetachedSessions, "
                        + "maxDetachedBytes or maxMemory (oldest first)").register(this.registry));
        requestsUnanswered = keep(Counter.builder("conduit.requests.unanswered")
                .description("requests a queue group member's session held unreceived when it ended; each "
                        + "requester was sent NO_RESPONDERS").register(this.registry));
        roundTrip = keep(Timer.builder("conduit.request.round.trip")
                .description("sampled, at most one request per session at a time: from routing a request to "
                        + "delivering the first message on its reply subject to the requester")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(this.registry));
        keep(Gauge.builder("conduit.build.info", () -> 1).tag("version", Version.get())
                .description("the server's version, as a label; always 1").register(this.registry));
        if (ownsRegistry) {
            // JVM and process figures on /metrics. An application that passes its own registry binds
            // these itself (binding them twice would count twice), so only the server's own gets them.
            new JvmMemoryMetrics().bindTo(this.registry);
            new JvmThreadMetrics().bindTo(this.registry);
            new ProcessorMetrics().bindTo(this.registry);
            new UptimeMetrics().bindTo(this.registry);
            new FileDescriptorMetrics().bindTo(this.registry);
            gcMetrics = new JvmGcMetrics();
            gcMetrics.bindTo(this.registry);
        } else {
            gcMetrics = null;
        }
        delivery = keep(Timer.builder("conduit.delivery.latency")
                .description("sampled, one publish in " + RoutingServer.DELIVERY_SAMPLE_EVERY + " per publisher: from routing "
                        + "a PUBLISH to the moment its MESSAGE to the first subscriber has been written to that "
                        + "subscriber's connection")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(this.registry));
    }

    /** Payload bytes held for reliable subscriptions went up (or down, negative). */
    void held(long deltaBytes) {
        heldBytes.addAndGet(deltaBytes);
    }

    /** A connection started (1) or stopped (-1) waiting for credit. */
    void publisherWaiting(int delta) {
        publishersWaiting.addAndGet(delta);
    }

    /** A reliable subscription was ended for stalling. */
    void stalled() {
        stalls.increment();
    }

    /** Gauges and counters that read the server's own state; registered by the server once it exists. */
    void bindServer(RoutingServer server) {
        keep(Gauge.builder("conduit.sessions", server, s -> s.sessionsIn(ServerSession.State.ATTACHED))
                .tag("state", "attached").description("sessions attached to a connection").register(registry));
        keep(Gauge.builder("conduit.sessions", server, s -> s.sessionsIn(ServerSession.State.DETACHED))
                .tag("state", "detached").description("sessions detached, waiting to be resumed").register(registry));
        keep(Gauge.builder("conduit.subscriptions", server, s -> s.index().size())
                .description("subscriptions held").register(registry));
        keep(FunctionCounter.builder("conduit.slow.consumer.dropped", server, s -> s.slowConsumerCounts()[0])
                .description("messages dropped for sessions that did not keep up (reported with GAP)").register(registry));
        MemoryBudget budget = server.budget();
        MemoryLimits limits = budget.limits();
        keep(Gauge.builder("conduit.memory.held", budget, MemoryBudget::heldBytes).baseUnit("bytes")
                .description("bytes of sequenced frames held for all sessions until acknowledged (queued, in flight, "
                        + "or held while detached)").register(registry));
        keep(Gauge.builder("conduit.memory.max", limits, MemoryLimits::maxMemory).baseUnit("bytes")
                .description("maxMemory: the bound on conduit_memory_held_bytes").register(registry));
        keep(Gauge.builder("conduit.sessions.detached.held", budget, MemoryBudget::detachedBytes).baseUnit("bytes")
                .description("bytes held for detached sessions").register(registry));
        keep(Gauge.builder("conduit.sessions.detached.max", limits, MemoryLimits::maxDetachedSessions)
                .description("maxDetachedSessions: the bound on detached sessions").register(registry));
        keep(Gauge.builder("conduit.sessions.detached.held.max", limits, MemoryLimits::maxDetachedBytes).baseUnit("bytes")
                .description("maxDetachedBytes: the bound on conduit_sessions_detached_held_bytes").register(registry));
        keep(FunctionCounter.builder("conduit.memory.refused", budget, MemoryBudget::refusedCount)
                .description("deliveries refused because the server was over maxMemory and the session over its share "
                        + "(each then skipped with GAP or its session ended, as for a slow consumer)").register(registry));
        keep(FunctionCounter.builder("conduit.slow.consumer.disconnected", server, s -> s.slowConsumerCounts()[1])
                .description("sessions ended for not keeping up (SLOW_CONSUMER)").register(registry));
    }

    private void traffic(String name, String description, String unit, ToLongFunction<SessionStats> live,
                         LongAdder retired) {
        AtomicLong reported = new AtomicLong();
        keep(FunctionCounter.builder(name, this, m -> {
            long sum = retired.sum();
            for (ServerSession s : sessions) {
                sum += live.applyAsLong(s.stats);
            }
            // A session that ends during the sum may be counted twice: never let a counter go back.
            return reported.accumulateAndGet(sum, Math::max);
        }).description(description).baseUnit(unit).register(registry));
    }

    private AtomicInteger connectionGauge(String transport) {
        return openConnections.computeIfAbsent(transport, t -> {
            AtomicInteger n = new AtomicInteger();
            keep(Gauge.builder("conduit.connections", n, AtomicInteger::get).tag("transport", t)
                    .description("connections open").register(registry));
            return n;
        });
    }

    private <M extends Meter> M keep(M meter) {
        synchronized (meters) {
            meters.add(meter);
        }
        return meter;
    }

    MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus registry behind {@code /metrics}, or null if the embedding application's is another kind. */
    PrometheusMeterRegistry prometheus() {
        return registry instanceof PrometheusMeterRegistry p ? p : null;
    }

    void connectionOpened(String transport) {
        connectionGauge(transport).incrementAndGet();
        openedConnections.computeIfAbsent(transport, t -> keep(Counter.builder("conduit.connections.opened")
                .tag("transport", t).description("connections accepted").register(registry))).increment();
    }

    void connectionClosed(String transport) {
        connectionGauge(transport).decrementAndGet();
    }

    /** Connections open per transport, every known transport included. */
    Map<String, Integer> openConnections() {
        Map<String, Integer> out = new java.util.TreeMap<>();
        openConnections.forEach((t, n) -> out.put(t, n.get()));
        return out;
    }

    /**
     * A connection failed its handshake before it had a session.
     *
     * @param reason a short tag value: {@code timeout}, {@code protocol_error}, {@code unsupported_version}
     */
    void handshakeFailed(String reason) {
        handshakeFailures.computeIfAbsent(reason, r -> keep(Counter.builder("conduit.handshake.failures")
                .tag("reason", r).description("connections closed during the handshake").register(registry)))
                .increment();
    }

    /**
     * A client failed to authenticate.
     *
     * @param reason a short tag value, such as {@code bad_token} or {@code no_credentials}
     */
    void authenticationFailed(String reason) {
        authFailures.computeIfAbsent(reason, r -> keep(Counter.builder("conduit.auth.failures")
                .tag("reason", r).description("failed authentications").register(registry))).increment();
    }

    /** The server sent an ERROR frame to {@code peer}: counted by code and kept among the recent errors. */
    void errorSent(String peer, ErrorCode code, String message) {
        errors.computeIfAbsent(code, c -> keep(Counter.builder("conduit.errors")
                .tag("code", String.valueOf(c.code())).tag("name", c.name().toLowerCase(java.util.Locale.ROOT))
                .description("ERROR frames sent to clients").register(registry))).increment();
        recentErrors.add(peer, code.code(), code.name(), message);
    }

    RecentErrors recentErrors() {
        return recentErrors;
    }

    void sessionResumed() {
        resumes.increment();
    }

    void sessionLost() {
        sessionsLost.increment();
    }

    void sessionEvicted() {
        sessionsEvicted.increment();
    }

    long sessionsEvicted() {
        return (long) sessionsEvicted.count();
    }

    void requestsUnanswered(int n) {
        requestsUnanswered.increment(n);
    }

    long requestsUnanswered() {
        return (long) requestsUnanswered.count();
    }

    long resumes() {
        return (long) resumes.count();
    }

    long sessionsLost() {
        return (long) sessionsLost.count();
    }

    void roundTrip(long nanos) {
        roundTrip.record(nanos, TimeUnit.NANOSECONDS);
        roundTripWindow.record(nanos);
    }

    void delivered(long nanos) {
        delivery.record(nanos, TimeUnit.NANOSECONDS);
        deliveryWindow.record(nanos);
    }

    /** Request round trips over the last seconds; on the stats tick only. */
    LatencyWindow roundTripWindow() {
        return roundTripWindow;
    }

    /** Delivery latencies over the last seconds; on the stats tick only. */
    LatencyWindow deliveryWindow() {
        return deliveryWindow;
    }

    Timer roundTripTimer() {
        return roundTrip;
    }

    /** An ended session's traffic moves into the totals; called after it left the server's map. */
    void retire(SessionStats s) {
        retiredMessagesIn.add(s.messagesIn());
        retiredBytesIn.add(s.bytesIn());
        retiredMessagesOut.add(s.messagesOut());
        retiredBytesOut.add(s.bytesOut());
    }

    /** Traffic since start: messages in, bytes in, messages out, bytes out. */
    long[] traffic() {
        long[] t = {retiredMessagesIn.sum(), retiredBytesIn.sum(), retiredMessagesOut.sum(), retiredBytesOut.sum()};
        for (ServerSession s : sessions) {
            SessionStats st = s.stats;
            t[0] += st.messagesIn();
            t[1] += st.bytesIn();
            t[2] += st.messagesOut();
            t[3] += st.bytesOut();
        }
        return t;
    }

    /** Server stopped: its meters leave the registry (closed too, if the server owns it). */
    void close() {
        synchronized (meters) {
            meters.forEach(registry::remove);
            meters.clear();
        }
        if (gcMetrics != null) {
            gcMetrics.close();
        }
        if (ownsRegistry) {
            registry.close();
        }
    }
}

package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
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
    private final Counter sessionsLost;
    private final Timer roundTrip;
    private final Collection<ServerSession> sessions;

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
        roundTrip = keep(Timer.builder("conduit.request.round.trip")
                .description("sampled, at most one request per session at a time: from routing a request to "
                        + "delivering the first message on its reply subject to the requester")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(this.registry));
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

    long resumes() {
        return (long) resumes.count();
    }

    long sessionsLost() {
        return (long) sessionsLost.count();
    }

    void roundTrip(long nanos) {
        roundTrip.record(nanos, TimeUnit.NANOSECONDS);
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
        if (ownsRegistry) {
            registry.close();
        }
    }
}

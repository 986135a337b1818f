package dev.conduit.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a compact JSON snapshot of the server on {@value #SUBJECT} every {@link #INTERVAL_NANOS}
 * nanoseconds of the server's clock, through the server's own routing, so that only sessions
 * subscribed (and allowed) receive it. The schema is in docs/operations.md.
 *
 * <p>Written as "given now, act, and schedule the next": {@link #tick(long)} builds and publishes one
 * snapshot; tests call {@link #snapshot(long)} with times of their choosing. Runs on the clock's
 * thread, one tick at a time; it reads the server's state without blocking anybody (a brief outbound
 * lock per session) and allocates only its snapshot.
 */
final class StatsPublisher {
    private static final Logger log = LoggerFactory.getLogger(StatsPublisher.class);
    static final String SUBJECT = "$SYS.stats";
    static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final int TOP_SUBJECTS = 10;
    static final int SESSION_ROWS = 50;
    /** A timed request whose reply has not come by then is given up, so that the next can be timed. */
    static final long SAMPLE_MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** What the snapshot shows of one session, read under its outbound lock. */
    record SessionInfo(String id, String clientName, ServerSession.State state, String remoteAddress,
                       String transport, int subscriptions, long pendingBytes, SessionStats stats) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RoutingServer server;
    private final Clock clock;
    private final LongSupplier wallClockMillis;
    private final long startNanos;
    // The previous snapshot's readings, for rates; touched only by the tick (one at a time).
    private long lastNanos;
    private long[] lastTraffic = new long[4];
    private long lastRequests;
    private double lastRequestNanos;
    private final StatsHistory history = new StatsHistory();
    /** Connections held outside the transport, by name (a server extension's, such as {@code zeromq}). */
    private final Map<String, java.util.function.IntSupplier> extraConnections =
            new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean stopped;
    private Connection.Cancellable next;

    StatsPublisher(RoutingServer server, Clock clock, LongSupplier wallClockMillis) {
        this.server = server;
        this.clock = clock;
        this.wallClockMillis = wallClockMillis;
        this.startNanos = clock.nanoTime();
        this.lastNanos = startNanos;
    }

    void start() {
        schedule();
    }

    private synchronized void schedule() {
        if (!stopped) {
            next = clock.schedule(() -> tick(clock.nanoTime()), INTERVAL_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    synchronized void stop() {
        stopped = true;
        if (next != null) {
            next.cancel();
        }
    }

    /**
     * Measures (a point of {@link #history()}), then builds one snapshot and publishes it, or, when
     * nobody subscribes, only keeps the readings that the next snapshot's rates start from;
     * schedules the next tick. Never throws.
     */
    void tick(long nowNanos) {
        try {
            if (server.hasSubscribers(SUBJECT)) {
                server.publishInternal(SUBJECT, JSON.writeValueAsBytes(snapshot(nowNanos)));
            } else {
                idle(nowNanos);
            }
        } catch (Exception e) { // a failed snapshot must not stop the next ones
            log.warn("cannot publish {}: {}", SUBJECT, e.toString());
        } finally {
            schedule();
        }
    }

    /** A tick without subscribers: no snapshot (a server of idle sessions stays idle), only the readings and history. */
    synchronized void idle(long nowNanos) {
        measure(nowNanos, false);
    }

    /**
     * The snapshot at {@code nowNanos}; rates are over the time since the previous snapshot (or since
     * start), whose readings this replaces.
     */
    synchronized ObjectNode snapshot(long nowNanos) {
        return measure(nowNanos, true);
    }

    /** The last 15 minutes, one point per tick. */
    StatsHistory history() {
        return history;
    }

    /**
     * Shows connections held outside the transport under {@code name} in each snapshot's {@code
     * connections} (read at each tick); {@code open} null takes them back. Any thread.
     */
    void countConnections(String name, java.util.function.IntSupplier open) {
        if (open == null) {
            extraConnections.remove(name);
        } else {
            extraConnections.put(name, open);
        }
    }

    /** One tick's readings: always a history point; the snapshot too if {@code build}, else null. */
    private ObjectNode measure(long nowNanos, boolean build) {
        ServerMetrics metrics = server.metrics();
        double seconds = Math.max(1e-9, (nowNanos - lastNanos) / 1e9);
        List<SessionInfo> infos = new ArrayList<>();
        int sessionCount = 0;
        for (ServerSession s : server.sessionList()) {
            s.stats.expireSample(nowNanos, SAMPLE_MAX_AGE_NANOS);
            s.stats.tick(nowNanos);
            sessionCount++;
            if (build) {
                infos.add(s.info());
            }
        }
        Map<String, Integer> open = metrics.openConnections();
        if (!extraConnections.isEmpty()) { // a ZeroMQ gateway's peers: connections, though not a transport's
            open = new TreeMap<>(open);
            for (Map.Entry<String, java.util.function.IntSupplier> e : extraConnections.entrySet()) {
                open.put(e.getKey(), e.getValue().getAsInt());
            }
        }
        long[] traffic = metrics.traffic();
        long messagesInWindow = Math.max(0, traffic[0] - lastTraffic[0]);
        LatencyWindow.Reading request = metrics.roundTripWindow().roll();
        LatencyWindow.Reading delivery = metrics.deliveryWindow().roll();
        // The full figures only for a snapshot: counting open files lists /proc/self/fd, which with
        // 16,000 connections cost a per cent of a core each second on a server nobody watched.
        ProcessFigures.Reading process = build ? ProcessFigures.read() : null;
        long heapUsed = process != null ? process.heapUsedBytes() : ProcessFigures.heapUsedBytes();
        long wallMillis = wallClockMillis.getAsLong(); // the same time in the history and the snapshot
        history.add(new StatsHistory.Point(wallMillis, rate(traffic[0] - lastTraffic[0], seconds),
                rate(traffic[2] - lastTraffic[2], seconds), rate(traffic[1] - lastTraffic[1], seconds),
                rate(traffic[3] - lastTraffic[3], seconds), open.values().stream().mapToInt(Integer::intValue).sum(),
                sessionCount, request.samples() == 0 ? Double.NaN : request.p50Millis(),
                request.samples() == 0 ? Double.NaN : request.p99Millis(),
                delivery.samples() == 0 ? Double.NaN : delivery.p50Millis(),
                delivery.samples() == 0 ? Double.NaN : delivery.p99Millis(), heapUsed));
        Timer rtt = metrics.roundTripTimer();
        long requests = rtt.count();
        double requestNanos = rtt.totalTime(TimeUnit.NANOSECONDS);
        ObjectNode root = process != null ? build(nowNanos, wallMillis, seconds, infos, open, traffic, messagesInWindow, requests,
                requestNanos, request, delivery, process) : null;
        if (!build) {
            server.subjects().roll(messagesInWindow, 0);
        }
        lastTraffic = traffic;
        lastRequests = requests;
        lastRequestNanos = requestNanos;
        lastNanos = nowNanos;
        return root;
    }

    private ObjectNode build(long nowNanos, long wallMillis, double seconds, List<SessionInfo> infos, Map<String, Integer> open,
                             long[] traffic, long messagesInWindow, long requests, double requestNanos,
                             LatencyWindow.Reading request, LatencyWindow.Reading delivery,
                             ProcessFigures.Reading process) {
        ServerMetrics metrics = server.metrics();
        ObjectNode root = JSON.createObjectNode();
        root.put("serverId", server.serverId());
        root.put("version", Version.get());
        root.put("time", wallMillis);
        root.put("uptimeSeconds", round((nowNanos - startNanos) / 1e9));
        root.put("intervalSeconds", round(seconds));

        ObjectNode connections = root.putObject("connections");
        open.forEach(connections::put);

        int attached = 0;
        int detached = 0;
        Map<String, Integer> byTransport = new TreeMap<>();
        for (SessionInfo i : infos) {
            if (i.state() == ServerSession.State.ATTACHED && i.transport() != null) {
                attached++;
                byTransport.merge(i.transport(), 1, Integer::sum);
            } else if (i.state() == ServerSession.State.DETACHED) {
                detached++;
            }
        }
        ObjectNode sessions = root.putObject("sessions");
        sessions.put("total", attached + detached);
        sessions.put("attached", attached);
        sessions.put("detached", detached);
        ObjectNode sessionsByTransport = sessions.putObject("byTransport");
        byTransport.forEach(sessionsByTransport::put);
        root.put("subscriptions", server.userSubscriptions());

        ObjectNode messages = root.putObject("messages");
        messages.put("in", traffic[0]);
        messages.put("out", traffic[2]);
        messages.put("inPerSecond", rate(traffic[0] - lastTraffic[0], seconds));
        messages.put("outPerSecond", rate(traffic[2] - lastTraffic[2], seconds));
        ObjectNode bytes = root.putObject("bytes");
        bytes.put("in", traffic[1]);
        bytes.put("out", traffic[3]);
        bytes.put("inPerSecond", rate(traffic[1] - lastTraffic[1], seconds));
        bytes.put("outPerSecond", rate(traffic[3] - lastTraffic[3], seconds));

        root.put("resumes", metrics.resumes());
        root.put("sessionsLost", metrics.sessionsLost());
        long[] slow = server.slowConsumerCounts();
        ObjectNode slowConsumers = root.putObject("slowConsumers");
        slowConsumers.put("dropped", slow[0]);
        slowConsumers.put("disconnected", slow[1]);

        ObjectNode req = root.putObject("requests");
        req.put("sampled", requests);
        req.put("sampledPerSecond", rate(requests - lastRequests, seconds));
        if (requests > lastRequests) {
            req.put("meanMillis", round((requestNanos - lastRequestNanos) / (requests - lastRequests) / 1e6));
        } else {
            req.putNull("meanMillis"); // nothing measured: not a 0 ms mean
        }
        ObjectNode latency = root.putObject("latency");
        latency.put("windowSeconds", LatencyWindow.SECONDS);
        latency(latency.putObject("request"), request);
        latency(latency.putObject("delivery"), delivery);

        ObjectNode jvm = root.putObject("process");
        jvm.put("heapUsedBytes", process.heapUsedBytes());
        jvm.put("heapMaxBytes", process.heapMaxBytes());
        jvm.put("threads", process.threads());
        if (process.cpuLoad() >= 0) {
            jvm.put("cpuLoad", round(process.cpuLoad()));
        } else {
            jvm.putNull("cpuLoad");
        }
        jvm.put("gcCount", process.gcCount());
        jvm.put("gcSeconds", round(process.gcMillis() / 1e3));
        if (process.openFileDescriptors() >= 0) {
            jvm.put("openFileDescriptors", process.openFileDescriptors());
        } else {
            jvm.putNull("openFileDescriptors");
        }

        long step = server.subjects().step();
        ArrayNode top = root.putArray("topSubjects");
        for (SubjectSampler.SubjectCount c : server.subjects().roll(messagesInWindow, TOP_SUBJECTS)) {
            top.addObject().put("subject", c.subject()).put("perSecond", rate(c.messages(), seconds));
        }
        root.put("topSubjectsSampleStep", step);

        infos.sort(Comparator.comparingLong((SessionInfo i) -> i.stats().messagesIn() + i.stats().messagesOut())
                .reversed().thenComparingLong(i -> i.stats().createdNanos));
        ObjectNode table = root.putObject("sessionList");
        table.put("total", infos.size());
        table.put("shown", Math.min(SESSION_ROWS, infos.size()));
        ArrayNode rows = table.putArray("rows");
        for (SessionInfo i : infos.subList(0, Math.min(SESSION_ROWS, infos.size()))) {
            ObjectNode row = rows.addObject();
            row.put("id", i.id());
            row.put("client", i.clientName());
            row.put("state", i.state().name().toLowerCase(java.util.Locale.ROOT));
            row.put("remote", i.remoteAddress());
            row.put("transport", i.transport());
            row.put("ageSeconds", round((nowNanos - i.stats().createdNanos) / 1e9));
            row.put("subscriptions", i.subscriptions());
            row.put("pendingBytes", i.pendingBytes());
            row.put("resumes", i.stats().resumes());
            row.put("messagesIn", i.stats().messagesIn());
            row.put("messagesOut", i.stats().messagesOut());
            double[] r = i.stats().rates();
            row.put("messagesInPerSecond", r[0]);
            row.put("messagesOutPerSecond", r[1]);
            row.put("errors", i.stats().errorCount());
        }

        cluster(root);

        ArrayNode errors = root.putArray("errors");
        for (RecentErrors.Entry e : metrics.recentErrors().latest()) {
            errors.addObject().put("time", e.timeMillis()).put("peer", e.peer()).put("code", e.code())
                    .put("name", e.name()).put("message", e.message());
        }
        return root;
    }

    /** The cluster's health and nodes (docs/cluster.md); nothing for a server without a cluster setting. */
    private void cluster(ObjectNode root) {
        dev.conduit.server.spi.BackplaneStatus status = server.backplaneStatus();
        if (status == null) {
            return;
        }
        ObjectNode cluster = root.putObject("cluster");
        cluster.put("degraded", status.degraded());
        cluster.put("reason", status.reason());
        cluster.put("heldBytes", status.heldBytes());
        cluster.put("lagMillis", status.lagMillis());
        cluster.put("readLagMillis", status.readLagMillis());
        cluster.put("errors", status.errors());
        ArrayNode nodes = cluster.putArray("nodes");
        for (dev.conduit.server.spi.BackplaneStatus.Node n : status.nodes()) {
            nodes.addObject().put("id", n.id()).put("advertise", n.advertise()).put("alive", n.alive())
                    .put("self", n.self());
        }
    }

    /** Percentiles, or nulls when nothing was measured: a 0 would claim a latency that was not seen. */
    private static void latency(ObjectNode o, LatencyWindow.Reading r) {
        o.put("samples", r.samples());
        if (r.samples() == 0) {
            o.putNull("p50Millis");
            o.putNull("p99Millis");
            o.putNull("maxMillis");
        } else {
            o.put("p50Millis", r.p50Millis());
            o.put("p99Millis", r.p99Millis());
            o.put("maxMillis", r.maxMillis());
        }
    }

    private static double rate(long delta, double seconds) {
        return round(Math.max(0, delta) / seconds);
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}

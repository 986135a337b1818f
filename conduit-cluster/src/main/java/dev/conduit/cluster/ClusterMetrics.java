package dev.conduit.cluster;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The backplane's meters, in the server's registry (docs/cluster.md, docs/operations.md):
 * {@code conduit.cluster.forwarded} (messages for another node taken into a send round, tag {@code node}), {@code
 * conduit.cluster.sent} (messages that landed in its stream, tag {@code node}), {@code
 * conduit.cluster.received}, {@code conduit.cluster.dropped} (not forwarded: the send queue was at
 * its bound, or the node stopped), {@code conduit.cluster.lost} (batches trimmed from this node's
 * stream before it read them), {@code conduit.cluster.duplicates}, {@code conduit.cluster.errors}, {@code
 * conduit.cluster.gaps} (messages another node told this one it could not forward),
 * {@code conduit.cluster.resyncs} (full re-reads of the other nodes' interest, each second),
 * and the gauges {@code conduit.cluster.nodes}, {@code conduit.cluster.remote.interests}, {@code
 * conduit.cluster.queued.bytes} and its alias {@code conduit.cluster.held.bytes}, and {@code
 * conduit.cluster.lag.ms} (age of the oldest message queued for another node and not yet landed).
 * It also keeps when the last Redis command failed, and why, for {@link RedisBackplane#status}.
 */
final class ClusterMetrics {
    private final MeterRegistry registry;
    private final Map<String, Counter> forwarded = new ConcurrentHashMap<>();
    private final Map<String, Counter> sent = new ConcurrentHashMap<>();
    private final Counter received;
    private final Counter dropped;
    private final Counter lost;
    private final Counter duplicates;
    private final Counter errors;
    private final Counter resyncs;
    private final Counter lostRemote;
    private final LongSupplier nanos;
    /** When the last command failed ({@link #nanos}), and its message; any thread. */
    private volatile long lastErrorNanos;
    private volatile @Nullable String lastError;

    ClusterMetrics(MeterRegistry registry, LongSupplier nanos) {
        this.registry = registry;
        this.nanos = nanos;
        this.received = Counter.builder("conduit.cluster.received")
                .description("Messages from other nodes routed here").register(registry);
        this.dropped = Counter.builder("conduit.cluster.dropped")
                .description("Messages not forwarded: the send queue was full, or the node stopped").register(registry);
        this.lost = Counter.builder("conduit.cluster.lost")
                .description("Batches trimmed from this node's stream before it read them").register(registry);
        this.duplicates = Counter.builder("conduit.cluster.duplicates")
                .description("Stream entries read twice (a resent XADD) and dropped").register(registry);
        this.lostRemote = Counter.builder("conduit.cluster.gaps")
                .description("Messages another node could not forward here (its send queue was full), told to "
                        + "local subscribers with GAP").register(registry);
        this.errors = Counter.builder("conduit.cluster.errors").description("Failed Redis commands and lost connections").register(registry);
        this.resyncs = Counter.builder("conduit.cluster.resyncs")
                .description("Full re-reads of the other nodes' presence and interest").register(registry);
    }

    void gauges(Supplier<Number> nodes, Supplier<Number> remoteInterests, Supplier<Number> queuedBytes,
                Supplier<Number> lagMillis) {
        Gauge.builder("conduit.cluster.nodes", nodes).description("Other live nodes").register(registry);
        Gauge.builder("conduit.cluster.remote.interests", remoteInterests)
                .description("Interest records of other nodes known here").register(registry);
        Gauge.builder("conduit.cluster.queued.bytes", queuedBytes)
                .description("Bytes waiting to be sent to other nodes").register(registry);
        Gauge.builder("conduit.cluster.held.bytes", queuedBytes)
                .description("Bytes held for other nodes and not yet landed in Redis (as queued.bytes)").register(registry);
        Gauge.builder("conduit.cluster.lag.ms", lagMillis)
                .description("Age of the oldest message held for another node and not yet landed in Redis").register(registry);
    }

    /** {@code messages} for {@code node} taken into a send round; the round's thread, once per target node. */
    void forwarded(String node, int messages) {
        forwardedCounter(node).increment(messages);
    }

    /**
     * {@code conduit.cluster.forwarded} for {@code node} (also the pseudo node {@code durable}), for
     * a caller that counts often and keeps it.
     */
    Counter forwardedCounter(String node) {
        return forwarded.computeIfAbsent(node, n -> Counter.builder("conduit.cluster.forwarded").tag("node", n)
                .description("Messages for another node taken into a send round").register(registry));
    }

    void sent(String node, int messages) {
        sent.computeIfAbsent(node, n -> Counter.builder("conduit.cluster.sent").tag("node", n)
                .description("Messages written to another node's stream").register(registry)).increment(messages);
    }

    /** Messages forwarded to {@code node} since start. */
    double forwardedTo(String node) {
        Counter c = forwarded.get(node);
        return c == null ? 0 : c.count();
    }

    void received(int n) {
        received.increment(n);
    }

    void dropped(int n) {
        dropped.increment(n);
    }

    void lost(long batches) {
        lost.increment(batches);
    }

    void lostRemote(long messages) {
        lostRemote.increment(messages);
    }

    void duplicate() {
        duplicates.increment();
    }

    void resynced() {
        resyncs.increment();
    }

    /** A Redis command failed; {@code why} says how (its exception's message). */
    void error(@Nullable String why) {
        errors.increment();
        lastError = why == null ? "no message" : why;
        lastErrorNanos = nanos.getAsLong();
    }

    /** An entry could not be processed: counted as an error, not as a sign that Redis is failing. */
    void processingError() {
        errors.increment();
    }

    /** Failed Redis commands since start. */
    long errors() {
        return (long) errors.count();
    }

    /**
     * Why the last Redis command failed, if it failed within {@code windowNanos}; null otherwise.
     */
    @Nullable String recentError(long windowNanos) {
        String why = lastError;
        if (why == null || nanos.getAsLong() - lastErrorNanos >= windowNanos) {
            return null;
        }
        return why + " (" + java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - lastErrorNanos)
                + " ms ago)";
    }
}

package dev.conduit.cluster;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends what this node forwards to other nodes: a queue, bounded in bytes, that the event loops
 * add to without blocking or locking ({@link #offer}; the thread is unparked only when it waits), and one thread ({@code conduit-cluster-send}) that takes
 * what is queued, makes one batch per target node and {@code XADD}s each to that node's inbound
 * stream, then waits for every reply before the next round. So at most one entry per target is in
 * flight, and one that failed is sent again (with the same sequence number, which lets the reader
 * drop a copy that did land) before anything after it: per target node, entries land in the order
 * the messages were offered.
 *
 * <p>While Redis is unreachable the entry in flight is retried (with backoff, and only once the
 * connection is open again, so that retries do not pile up in Lettuce's own buffer) and the queue
 * holds everything behind it, up to {@code maxQueuedBytes}: none of it is dropped, and all of it
 * lands in order once Redis is back. Past the bound a message is not queued; its subject is
 * counted for its target ({@link Losses}), and a marker queued at the first such loss makes the
 * sender, when it reaches the marker, send that node a lost record per subject, after the messages
 * queued before the loss. The receiving node turns them into GAPs.
 */
final class Sender {
    private static final Logger log = LoggerFactory.getLogger(Sender.class);

    /** A record for a node, queued at {@code atNanos}; a null item is a marker: take the node's losses here. */
    private record Outgoing(String node, Batch.@Nullable Item item, int bytes, long atNanos) {
    }

    private final String self;
    private final long epoch;
    private final ClusterTuning tuning;
    private final RedisAsyncCommands<String, byte[]> redis;
    private final ClusterMetrics metrics;
    private final ConcurrentLinkedQueue<Outgoing> queue = new ConcurrentLinkedQueue<>();
    /** The sender thread is parked, or about to, waiting for a record: the next offer unparks it. */
    private final AtomicBoolean idle = new AtomicBoolean();
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Sequence of the last batch sent to each node; the sender thread only. */
    private final Map<String, Long> seqs = new HashMap<>();
    /** What could not be queued, per target node. */
    private final Map<String, Losses> losses = new ConcurrentHashMap<>();
    private final LongSupplier nanos;
    private final BooleanSupplier connected;
    /** When the oldest record of the round in flight was queued; -1 when none is in flight. Written by the sender thread. */
    private volatile long inFlightSince = -1;
    private final Thread thread;
    private volatile boolean running = true;
    /** Publishers' releases, run once the queue is back under a quarter of its bound (or Redis fails). */
    private final java.util.concurrent.ConcurrentLinkedQueue<Runnable> waiters = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * @param nanos     the clock ({@link System#nanoTime} outside tests) for the lag
     * @param connected whether the send connection is open now; a failed entry is sent again only then
     */
    Sender(String self, long epoch, ClusterTuning tuning, RedisAsyncCommands<String, byte[]> redis,
           ClusterMetrics metrics, LongSupplier nanos, BooleanSupplier connected) {
        this.self = self;
        this.epoch = epoch;
        this.tuning = tuning;
        this.redis = redis;
        this.metrics = metrics;
        this.nanos = nanos;
        this.connected = connected;
        this.thread = Thread.ofPlatform().daemon().name("conduit-cluster-send").unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /**
     * Queues a record for a node; any thread, never blocks.
     *
     * @return false if the queue is at its bound: the record is not sent (the caller counts it in
     *     {@code conduit.cluster.dropped}); a message's subject is counted for that node, which is
     *     told (a lost record) once the sender gets there
     */
    boolean offer(String node, Batch.Item item) {
        int bytes = 64 + item.body().encodedLength();
        if (queuedBytes.addAndGet(bytes) > tuning.maxQueuedBytes()) {
            queuedBytes.addAndGet(-bytes);
            if (item.kind() == Batch.MESSAGE
                    && losses.computeIfAbsent(node, n -> new Losses(tuning.maxLostSubjects())).add(item.body().subject())) {
                // One marker per node at a time, outside the bound: where the losses are taken.
                enqueue(new Outgoing(node, null, 0, nanos.getAsLong()));
            }
            return false;
        }
        enqueue(new Outgoing(node, item, bytes, nanos.getAsLong()));
        return true;
    }

    private void enqueue(Outgoing o) {
        queue.add(o);
        if (idle.get() && idle.compareAndSet(true, false)) {
            LockSupport.unpark(thread);
        }
    }

    /**
     * The next record, waiting at most {@code nanos} for one; null if none came. The sender thread:
     * it says it is idle before it looks again and parks, so an offer either finds it idle and
     * unparks it or is found by that second look.
     */
    private @Nullable Outgoing next(long nanos) throws InterruptedException {
        Outgoing o = queue.poll();
        if (o != null) {
            return o;
        }
        idle.set(true);
        o = queue.poll();
        if (o == null) {
            LockSupport.parkNanos(this, nanos);
            o = queue.poll();
        }
        idle.set(false);
        if (o == null && Thread.interrupted()) {
            throw new InterruptedException(); // stop() gave up waiting
        }
        return o;
    }

    /** Age in milliseconds of the oldest record queued and not yet landed in Redis; 0 if none. */
    long lagMillis() {
        long since = inFlightSince;
        if (since < 0) {
            Outgoing head = queue.peek();
            if (head == null) {
                return 0;
            }
            since = head.atNanos();
        }
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - since));
    }

    /**
     * Whether a publisher should wait: the queue is past half its bound while Redis is reachable
     * (Redis is slower than the publishers). Then {@code release} runs once the queue is back under
     * a quarter of its bound, or at once if Redis fails meanwhile (an outage holds messages up to
     * the bound and then reports losses with GAP: local traffic must go on). Any thread.
     */
    boolean holdPublisher(Runnable release) {
        if (queuedBytes.get() <= tuning.maxQueuedBytes() / 2 || !connected.getAsBoolean() || !running) {
            return false;
        }
        waiters.add(release);
        if (queuedBytes.get() < tuning.maxQueuedBytes() / 4 || !connected.getAsBoolean()) {
            releaseWaiters(); // drained (or failed) while it was added
        }
        return true;
    }

    /** Runs every waiting publisher's release. */
    void releaseWaiters() {
        for (Runnable r; (r = waiters.poll()) != null; ) {
            r.run();
        }
    }

    /** Bytes waiting to be sent. */
    long queuedBytes() {
        return queuedBytes.get();
    }

    /** Stops after sending what is queued, waiting at most {@code millis} for it. */
    void stop(long millis) {
        running = false;
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.interrupt();
    }

    private void run() {
        List<Outgoing> taken = new ArrayList<>(tuning.maxBatchMessages());
        while (running || !queue.isEmpty()) {
            try {
                Outgoing first = next(tuning.readBlock().toNanos());
                if (first == null) {
                    continue;
                }
                taken.add(first);
                inFlightSince = first.atNanos();
                int bytes = first.bytes();
                while (taken.size() < tuning.maxBatchMessages() && bytes < tuning.maxBatchBytes()) {
                    Outgoing next = queue.poll();
                    if (next == null) {
                        break;
                    }
                    taken.add(next);
                    bytes += next.bytes();
                }
                try {
                    send(taken);
                } finally {
                    queuedBytes.addAndGet(-bytes); // sent, or counted as dropped below
                    inFlightSince = -1;
                }
                if (!waiters.isEmpty() && queuedBytes.get() < tuning.maxQueuedBytes() / 4) {
                    releaseWaiters();
                }
                taken.clear();
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                log.error("cluster sender failed; {} messages not sent", taken.size(), e);
                metrics.dropped(taken.size());
                taken.clear();
            }
        }
        releaseWaiters();
        int left = queue.size();
        if (left > 0) {
            metrics.dropped(left);
            log.warn("cluster sender stopped with {} messages not sent", left);
        }
    }

    /** One batch per target node, all sent at once, each until it lands (or the sender stops). */
    private void send(List<Outgoing> taken) throws InterruptedException {
        Map<String, Integer> sizes = new HashMap<>();
        for (Outgoing o : taken) {
            sizes.merge(o.node(), o.bytes(), Integer::sum);
        }
        Map<String, Batch> batches = new LinkedHashMap<>();
        Map<String, Integer> messages = new HashMap<>();
        for (Outgoing o : taken) {
            Batch batch = batches.computeIfAbsent(o.node(), n -> new Batch(sizes.get(n)));
            Batch.Item item = o.item();
            if (item == null) {
                Losses lost = losses.get(o.node());
                List<Batch.Item> records = lost == null ? List.of() : lost.take();
                records.forEach(batch::add);
                if (!records.isEmpty()) {
                    log.warn("the send queue to node {} was full: telling it that {} messages were not forwarded",
                            o.node(), records.stream().mapToLong(Batch.Item::count).sum());
                }
            } else {
                batch.add(item);
                messages.merge(o.node(), 1, Integer::sum);
            }
        }
        batches.values().removeIf(b -> b.count() == 0);
        Map<String, Map<String, byte[]>> entries = new LinkedHashMap<>();
        batches.forEach((node, batch) -> {
            long seq = seqs.merge(node, 1L, Long::sum);
            Map<String, byte[]> fields = new LinkedHashMap<>();
            fields.put("n", self.getBytes(StandardCharsets.UTF_8));
            fields.put("e", Long.toString(epoch).getBytes(StandardCharsets.UTF_8));
            fields.put("s", Long.toString(seq).getBytes(StandardCharsets.UTF_8));
            fields.put("b", batch.toBytes());
            entries.put(node, fields);
        });
        long backoff = 50;
        while (!entries.isEmpty()) {
            XAddArgs args = XAddArgs.Builder.maxlen(tuning.streamMaxLen()).approximateTrimming();
            Map<String, RedisFuture<String>> futures = new LinkedHashMap<>();
            entries.forEach((node, fields) -> futures.put(node, redis.xadd(ClusterKeys.inbound(node), args, fields)));
            for (Map.Entry<String, RedisFuture<String>> f : futures.entrySet()) {
                try {
                    f.getValue().get(tuning.commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
                    metrics.sent(f.getKey(), messages.getOrDefault(f.getKey(), 0));
                    entries.remove(f.getKey());
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    metrics.error(e.getMessage());
                    log.warn("XADD to node {} failed ({}); sending it again", f.getKey(), e.getMessage());
                }
            }
            if (!entries.isEmpty()) {
                releaseWaiters(); // Redis is failing: publishers go on, held up to the bound
                if (!running) {
                    int lost = entries.keySet().stream().mapToInt(n -> messages.getOrDefault(n, 0)).sum();
                    metrics.dropped(lost);
                    log.warn("cluster sender stopping: {} messages to {} not sent", lost, entries.keySet());
                    return;
                }
                // Redis is unreachable: hold the batch (and the queue behind it) and retry once the
                // connection is open again (Lettuce reconnects on its own).
                Thread.sleep(backoff);
                backoff = Math.min(2_000, backoff * 2);
                while (!connected.getAsBoolean() && running) {
                    Thread.sleep(Math.min(backoff, 100));
                }
            }
        }
    }
}

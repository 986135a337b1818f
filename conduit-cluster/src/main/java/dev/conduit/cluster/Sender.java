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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends what this node forwards to other nodes: a queue, bounded in bytes, that the event loops
 * add to without blocking ({@link #offer}), and one thread ({@code conduit-cluster-send}) that takes
 * what is queued, makes one batch per target node and {@code XADD}s each to that node's inbound
 * stream, then waits for every reply before the next round. So at most one entry per target is in
 * flight, and one that failed is sent again (with the same sequence number, which lets the reader
 * drop a copy that did land) before anything after it: per target node, entries land in the order
 * the messages were offered.
 */
final class Sender {
    private static final Logger log = LoggerFactory.getLogger(Sender.class);

    private record Outgoing(String node, Batch.Item item, int bytes) {
    }

    private final String self;
    private final long epoch;
    private final ClusterTuning tuning;
    private final RedisAsyncCommands<String, byte[]> redis;
    private final ClusterMetrics metrics;
    private final LinkedBlockingQueue<Outgoing> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Sequence of the last batch sent to each node; the sender thread only. */
    private final Map<String, Long> seqs = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    Sender(String self, long epoch, ClusterTuning tuning, RedisAsyncCommands<String, byte[]> redis,
           ClusterMetrics metrics) {
        this.self = self;
        this.epoch = epoch;
        this.tuning = tuning;
        this.redis = redis;
        this.metrics = metrics;
        this.thread = Thread.ofPlatform().daemon().name("conduit-cluster-send").unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /**
     * Queues a record for a node; any thread, never blocks.
     *
     * @return false if the queue is at its bound (the record is not sent; the caller counts it)
     */
    boolean offer(String node, Batch.Item item) {
        int bytes = 64 + item.body().encodedLength();
        if (queuedBytes.addAndGet(bytes) > tuning.maxQueuedBytes()) {
            queuedBytes.addAndGet(-bytes);
            return false;
        }
        queue.add(new Outgoing(node, item, bytes));
        return true;
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
                Outgoing first = queue.poll(tuning.readBlock().toMillis(), TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                taken.add(first);
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
        int left = queue.size();
        if (left > 0) {
            metrics.dropped(left);
            log.warn("cluster sender stopped with {} messages not sent", left);
        }
    }

    /** One batch per target node, all sent at once, each until it lands (or the sender stops). */
    private void send(List<Outgoing> taken) throws InterruptedException {
        Map<String, Batch> batches = new LinkedHashMap<>();
        for (Outgoing o : taken) {
            batches.computeIfAbsent(o.node(), n -> new Batch()).add(o.item());
        }
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
                    metrics.sent(f.getKey(), batches.get(f.getKey()).count());
                    entries.remove(f.getKey());
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    metrics.error();
                    log.warn("XADD to node {} failed ({}); sending it again", f.getKey(), e.getMessage());
                }
            }
            if (!entries.isEmpty()) {
                if (!running) {
                    int lost = entries.keySet().stream().mapToInt(n -> batches.get(n).count()).sum();
                    metrics.dropped(lost);
                    log.warn("cluster sender stopping: {} messages to {} not sent", lost, entries.keySet());
                    return;
                }
                Thread.sleep(backoff); // Redis is unreachable: hold the batch (and the queue behind it) and retry
                backoff = Math.min(2_000, backoff * 2);
            }
        }
    }
}

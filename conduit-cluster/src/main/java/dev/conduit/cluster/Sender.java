package dev.conduit.cluster;

import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends what this node forwards to other nodes: a queue, bounded in bytes, that the event loops
 * add to without blocking or locking ({@link #offer}), and <em>rounds</em>, one at a time: a round
 * takes what is queued, makes one batch per target node, {@code XADD}s each to that node's inbound
 * stream and, once every reply is in, ends and starts the next if anything is queued. The first
 * round after a quiet spell runs on the thread that offered (an event loop: building a batch and
 * handing Lettuce its commands does not block); the next ones run where Lettuce completes the
 * replies (its event loop), so a message waits for no thread of ours to wake. At most one entry
 * per target is in flight, and one that failed is sent again (with the same sequence number, which
 * lets the reader drop a copy that did land) before anything after it: per target node, entries
 * land in the order the messages were offered.
 *
 * <p>While Redis is unreachable the entry in flight is retried (with backoff, and only once the
 * connection is open again, so that retries do not pile up in Lettuce's own buffer) and the queue
 * holds everything behind it, up to {@code maxQueuedBytes}: none of it is dropped, and all of it
 * lands in order once Redis is back. Past the bound a message is not queued; its subject is
 * counted for its target ({@link Losses}), and a marker queued at the first such loss makes the
 * round that reaches the marker send that node a lost record per subject, after the messages
 * queued before the loss. The receiving node turns them into GAPs.
 */
final class Sender {
    private static final Logger log = LoggerFactory.getLogger(Sender.class);

    /**
     * A record for a node, queued at {@code atNanos}; a null item is a marker: take the node's losses
     * here. A durable sessions' step ({@code op} not null, {@code node} {@link #DURABLE}) goes into the
     * round's one script call ({@link DurableStore}).
     */
    private record Outgoing(String node, Batch.@Nullable Item item, int bytes, long atNanos,
                            java.util.function.@Nullable Consumer<DurableStore.Round> op) {
        Outgoing(String node, Batch.@Nullable Item item, int bytes, long atNanos) {
            this(node, item, bytes, atNanos, null);
        }
    }

    /** The pseudo node of durable steps in a round (no node id is empty). */
    static final String DURABLE = "";

    private final String self;
    private final long epoch;
    private final ClusterTuning tuning;
    private final RedisAsyncCommands<String, byte[]> redis;
    /**
     * Send connections by the event loop thread their channel lives on (see {@link #onLoops}); a
     * round sends on the one of the thread it runs on, so its commands go to the socket without a
     * hand-off to another loop. Empty: always {@link #redis}.
     */
    private volatile Map<Thread, RedisAsyncCommands<String, byte[]>> byLoop = Map.of();
    private final ClusterMetrics metrics;
    /**
     * What the event loops queued, taken by the rounds (one at a time, ordered by {@link #busy}: a
     * single consumer). An array-backed queue: a node per record was a tenth of a forwarding node's
     * CPU.
     */
    private final java.util.Queue<Outgoing> queue = dev.conduit.transport.Queues.mpsc(1024);
    /** A round is under way: only its holder takes from {@link #queue} and touches {@link #seqs}. */
    private final AtomicBoolean busy = new AtomicBoolean();
    /** Notified when a round ends while stopping. */
    private final Object stopLock = new Object();
    /** Stopped waiting for the queue to drain: rounds take nothing more. */
    private volatile boolean abandoned;
    /** Records queued since start, counted before each is added to {@link #queue}. */
    private final AtomicLong queuedCount = new AtomicLong();
    /** Records taken by rounds that have ended (landed, or dropped and counted); written by the rounds. */
    private volatile long endedCount;
    /** The round under way has failed at least once (Redis unreachable): acknowledgements do not wait. */
    private volatile boolean failing;
    /** What waits for records to land ({@link #whenSent}), by the count they wait for, then in order. */
    private final java.util.PriorityQueue<AckWaiter> ackWaiters = new java.util.PriorityQueue<>();
    private long ackWaiterOrder;

    private record AckWaiter(long mark, long order, Runnable action) implements Comparable<AckWaiter> {
        @Override
        public int compareTo(AckWaiter o) {
            int c = Long.compare(mark, o.mark);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Sequence of the last batch sent to each node; the round under way only. */
    private final Map<String, Long> seqs = new HashMap<>();
    /** What could not be queued, per target node. */
    private final Map<String, Losses> losses = new ConcurrentHashMap<>();
    private final LongSupplier nanos;
    private final BooleanSupplier connected;
    /** Applies the durable steps of a round; null without durable sessions. */
    private volatile @Nullable DurableStore durable;
    /** Rounds that carried durable steps, numbered for the script's idempotence; the rounds only. */
    private long durableRounds;
    /** When the oldest record of the round in flight was queued; -1 when none is in flight. Written by the rounds. */
    private volatile long inFlightSince = -1;
    private volatile boolean running = true;
    /** Publishers' releases, run once the queue is back under half the hold mark (or Redis fails). */
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

    /**
     * Send connections whose channels live on these event loop threads, besides the default one:
     * a round runs on the loop that queued its first message or that completed the last round's
     * replies, and sends on that loop's connection. Rounds stay one at a time (the next one starts
     * once every reply of the last is in), so entries still land in order whichever connection
     * carries them.
     */
    void onLoops(Map<Thread, RedisAsyncCommands<String, byte[]>> connections) {
        this.byLoop = Map.copyOf(connections);
    }

    /** Rounds in a row that ran on the same event loop to have it called steady ({@link #steadyLoop}). */
    static final int STEADY_ROUNDS = 8;
    /** The loop thread the last round ran on (of {@link #byLoop}'s), and the rounds in a row on it. */
    private volatile @Nullable Thread lastLoop;
    private volatile int roundsOnLastLoop;

    /**
     * The event loop this node's last {@value #STEADY_ROUNDS} send rounds or more all ran on, else
     * null: where the sessions publishing across nodes live, and so where replies to them are
     * headed ({@link Reader} reads there). A hint only: written by the rounds without a lock.
     */
    @Nullable Thread steadyLoop() {
        return roundsOnLastLoop >= STEADY_ROUNDS ? lastLoop : null;
    }

    void noteLoop(Thread t) {
        if (t == lastLoop) {
            if (roundsOnLastLoop < STEADY_ROUNDS) {
                roundsOnLastLoop++;
            }
        } else if (byLoop.containsKey(t)) {
            roundsOnLastLoop = 1;
            lastLoop = t;
        }
    }

    /** Durable sessions are on: their steps go to {@code store}. Before the first {@link #offerDurable}. */
    void durable(DurableStore store) {
        this.durable = store;
    }

    /**
     * Queues a durable sessions' step (docs/cluster.md, "Durable sessions"); any thread, never
     * blocks. A message ({@code droppable}) is refused past the bound, like any forwarded message;
     * the other steps (a session's life, subscriptions, acknowledgements, small and made at the
     * pace of client frames) may pass it by an eighth more, then they are refused too.
     *
     * @return false if not queued
     */
    boolean offerDurable(java.util.function.Consumer<DurableStore.Round> op, int bytes, boolean droppable) {
        long bound = droppable ? tuning.maxQueuedBytes() : tuning.maxQueuedBytes() + tuning.maxQueuedBytes() / 8;
        int size = 64 + bytes;
        if (queuedBytes.addAndGet(size) > bound) {
            queuedBytes.addAndGet(-size);
            return false;
        }
        enqueue(new Outgoing(DURABLE, null, size, nanos.getAsLong(), op));
        return true;
    }

    private void enqueue(Outgoing o) {
        queuedCount.incrementAndGet(); // before the add: a mark read after it covers this record
        queue.add(o);
        kick();
    }

    /**
     * Runs {@code action} once every record queued before this call has landed in Redis (or was
     * dropped and reported), or at once while Redis is failing or the sender stops: then what is
     * queued is held in memory up to the bound. Rounds take records in the order queued, so
     * the records queued before the call are among the first {@code mark} taken. Any thread; the
     * action runs on the thread that ends the round, in the order of the calls' marks.
     */
    void whenSent(Runnable action) {
        long mark = queuedCount.get();
        if (mark <= endedCount || failing || !running) {
            action.run();
            return;
        }
        synchronized (ackWaiters) {
            ackWaiters.add(new AckWaiter(mark, ackWaiterOrder++, action));
        }
        runAckWaiters(failing || !running ? Long.MAX_VALUE : endedCount); // a round ended meanwhile
    }

    /** Runs what waits for at most {@code upTo} records, in order, outside the lock. */
    private void runAckWaiters(long upTo) {
        while (true) {
            AckWaiter w;
            synchronized (ackWaiters) {
                w = ackWaiters.peek();
                if (w == null || w.mark() > upTo) {
                    return;
                }
                ackWaiters.poll();
            }
            w.action().run();
        }
    }

    /**
     * Starts a round on this thread unless one is under way: that one, when it ends, takes what
     * was queued meanwhile. An offer adds before it tries, and a round ends (no longer busy) before
     * it looks at the queue again, so a record is never left queued with no round to take it.
     */
    private void kick() {
        while (!queue.isEmpty() && !abandoned && busy.compareAndSet(false, true)) {
            if (round()) {
                return;
            }
        }
    }

    /**
     * Age in milliseconds of the oldest record taken by the round in flight (what waits behind it
     * is younger; a record queued while no round is in flight starts one at once); 0 if none.
     */
    long lagMillis() {
        long since = inFlightSince;
        if (since < 0) {
            return 0;
        }
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - since));
    }

    /**
     * Whether a publisher should wait: the queue is past {@link ClusterTuning#holdAboveBytes} while
     * Redis is reachable (Redis is slower than the publishers). Then {@code release} runs once the
     * queue is back under half of that, or at once if Redis fails meanwhile (an outage holds
     * messages up to the bound and then reports losses with GAP: local traffic must go on). Any
     * thread.
     */
    boolean holdPublisher(Runnable release) {
        if (queuedBytes.get() <= tuning.holdAboveBytes() || !connected.getAsBoolean() || !running) {
            return false;
        }
        waiters.add(release);
        if (queuedBytes.get() < tuning.holdAboveBytes() / 2 || !connected.getAsBoolean()) {
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
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (stopLock) {
            long left;
            while ((busy.get() || !queue.isEmpty()) && (left = deadline - System.nanoTime()) > 0) {
                try {
                    stopLock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        abandoned = true;
        releaseWaiters();
        runAckWaiters(Long.MAX_VALUE);
        int left = queue.size();
        if (left > 0) {
            metrics.dropped(left);
            log.warn("cluster sender stopped with {} messages not sent", left);
        }
    }

    /** What a round took from the queue, while it is prepared; the holder of {@link #busy} only. */
    private final List<Outgoing> taken = new ArrayList<>();

    /** The batches of one round, per target node, and what they carry. */
    private static final class Round {
        final Map<String, Map<String, byte[]>> entries = new LinkedHashMap<>();
        /** The durable steps of the round, in order; null if none. */
        DurableStore.@Nullable Round durable;
        long durableRound;
        int durableSteps;
        final Map<String, Integer> messages = new HashMap<>();
        final int bytes;
        final int records;
        long backoff = 50;

        Round(int bytes, int records) {
            this.bytes = bytes;
            this.records = records;
        }
    }

    /**
     * Takes what is queued (up to one batch's bounds) and sends it; false, and no longer busy, if
     * nothing was queued. The holder of {@link #busy} only.
     */
    private boolean round() {
        List<Outgoing> taken = this.taken;
        int bytes = 0;
        for (Outgoing o; taken.size() < tuning.maxBatchMessages() && bytes < tuning.maxBatchBytes()
                && (o = queue.poll()) != null; ) {
            taken.add(o);
            bytes += o.bytes();
        }
        if (taken.isEmpty()) {
            busy.set(false);
            signalStop();
            return false;
        }
        inFlightSince = taken.get(0).atNanos();
        Round r = new Round(bytes, taken.size());
        try {
            prepare(taken, r);
        } catch (RuntimeException e) {
            log.error("cluster sender failed; {} messages not sent", taken.size(), e);
            metrics.dropped(taken.size());
            r.entries.clear();
        } finally {
            taken.clear();
        }
        if (r.entries.isEmpty() && r.durable == null) {
            end(r);
            return true;
        }
        send(r);
        return true;
    }

    /** One target node's part of a round, while it is made. */
    private static final class Part {
        int bytes;
        int messages;
        /** Of {@link #messages}, the messages routed here (not the records of session moves, no-responders or losses). */
        int forwarded;
        @Nullable Batch batch;
    }

    /** One batch per target node. */
    private void prepare(List<Outgoing> taken, Round r) {
        Map<String, Part> parts = new LinkedHashMap<>();
        String lastNode = null;
        Part last = null;
        for (Outgoing o : taken) { // sizes first: each batch is made once, at about its size
            if (o.op() != null) {
                continue;
            }
            if (!o.node().equals(lastNode)) {
                lastNode = o.node();
                last = parts.computeIfAbsent(lastNode, n -> new Part());
            }
            last.bytes += o.item() == null ? 64 : o.item().body().encodedLength() + 32;
        }
        lastNode = null;
        for (Outgoing o : taken) {
            if (o.op() != null) {
                if (r.durable == null) {
                    r.durable = new DurableStore.Round();
                    r.durableRound = ++durableRounds;
                }
                o.op().accept(r.durable);
                r.durableSteps++;
                continue;
            }
            if (!o.node().equals(lastNode)) {
                lastNode = o.node();
                last = parts.get(lastNode);
                if (last.batch == null) {
                    last.batch = new Batch(last.bytes);
                }
            }
            Batch batch = last.batch;
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
                last.messages++;
                if (item.kind() == Batch.MESSAGE) {
                    last.forwarded++;
                }
            }
        }
        parts.forEach((node, part) -> {
            Batch batch = part.batch;
            if (batch == null || batch.count() == 0) {
                return;
            }
            long seq = seqs.merge(node, 1L, Long::sum);
            Map<String, byte[]> fields = new LinkedHashMap<>();
            fields.put("n", self.getBytes(StandardCharsets.UTF_8));
            fields.put("e", Long.toString(epoch).getBytes(StandardCharsets.UTF_8));
            fields.put("s", Long.toString(seq).getBytes(StandardCharsets.UTF_8));
            fields.put("b", batch.toBytes());
            r.entries.put(node, fields);
            r.messages.put(node, part.messages);
            if (part.forwarded > 0) {
                metrics.forwarded(node, part.forwarded); // once per round, not per message
            }
        });
    }

    /** XADDs the round's entries not yet landed; {@link #landed} runs once every reply is in. */
    private void send(Round r) {
        XAddArgs args = XAddArgs.Builder.maxlen(tuning.streamMaxLen()).approximateTrimming();
        Map<String, CompletableFuture<String>> futures = new LinkedHashMap<>();
        Thread thread = Thread.currentThread();
        noteLoop(thread);
        RedisAsyncCommands<String, byte[]> redis = byLoop.getOrDefault(thread, this.redis);
        r.entries.forEach((node, fields) -> {
            CompletableFuture<String> f;
            try {
                f = redis.xadd(ClusterKeys.inbound(node), args, fields).toCompletableFuture();
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            futures.put(node, f);
        });
        DurableStore store = durable;
        if (r.durable != null && store != null) {
            CompletableFuture<String> f;
            try {
                f = store.apply(r.durableRound, DurableStore.MAX_FRAMES, tuning.streamMaxLen(), r.durable)
                        .thenApply(counts -> "").toCompletableFuture();
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            futures.put(DURABLE, f);
        }
        CompletableFuture.allOf(futures.values().toArray(CompletableFuture[]::new))
                .whenComplete((v, e) -> landed(r, futures));
    }

    private void landed(Round r, Map<String, CompletableFuture<String>> futures) {
        futures.forEach((node, f) -> {
            if (!f.isCompletedExceptionally()) {
                if (node.equals(DURABLE)) {
                    r.durable = null; // landed (or was applied before: the script applies a round once)
                    return;
                }
                metrics.sent(node, r.messages.getOrDefault(node, 0));
                r.entries.remove(node);
            } else {
                Throwable e = f.exceptionNow();
                metrics.error(e.getMessage());
                log.warn("XADD to node {} failed ({}); sending it again", node, e.getMessage());
            }
        });
        if (r.entries.isEmpty() && r.durable == null) {
            end(r);
            return;
        }
        releaseWaiters(); // Redis is failing: publishers go on, held up to the bound
        failing = true; // and are acknowledged from memory, as the bound documents
        runAckWaiters(Long.MAX_VALUE);
        retry(r, r.backoff);
        r.backoff = Math.min(2_000, r.backoff * 2);
    }

    /**
     * Redis is unreachable: holds the round (and the queue behind it) and sends it again after
     * {@code millis}, once the connection is open again (Lettuce reconnects on its own).
     */
    private void retry(Round r, long millis) {
        CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS).execute(() -> {
            if (!running) {
                int lost = r.entries.keySet().stream().mapToInt(n -> r.messages.getOrDefault(n, 0)).sum();
                metrics.dropped(lost);
                log.warn("cluster sender stopping: {} messages to {} not sent", lost, r.entries.keySet());
                if (r.durable != null) {
                    log.warn("cluster sender stopping: {} durable session steps not applied", r.durableSteps);
                }
                end(r);
            } else if (!connected.getAsBoolean()) {
                retry(r, Math.min(r.backoff, 100));
            } else {
                send(r);
            }
        });
    }

    /** The round is over: its bytes leave the bound, and the next round starts if anything is queued. */
    private void end(Round r) {
        queuedBytes.addAndGet(-r.bytes); // sent, or counted as dropped
        inFlightSince = -1;
        failing = false;
        endedCount += r.records; // the rounds only, one at a time
        runAckWaiters(endedCount);
        if (!waiters.isEmpty() && queuedBytes.get() < tuning.holdAboveBytes() / 2) {
            releaseWaiters();
        }
        busy.set(false);
        signalStop();
        kick();
    }

    private void signalStop() {
        if (!running) {
            synchronized (stopLock) {
                stopLock.notifyAll();
            }
        }
    }
}

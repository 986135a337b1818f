package dev.conduit.cluster;

import dev.conduit.server.spi.BackplaneHost;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SingleThreadEventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads this node's inbound stream and routes what it reads into local routing, in stream order:
 * one {@code XREAD BLOCK} at a time, its reply processed where Lettuce completes it (the read
 * connection's event loop, so a message crosses no other thread before its subscriber's writer),
 * and the next read sent from there once that loop has written what the reply delivered ({@link
 * #readAfterDeliveries}). With a read connection on each loop ({@link #onLoops}) the reads follow
 * this node's sessions: the next read goes on the connection of the loop this node's send rounds
 * have steadily run on ({@link Sender#steadyLoop}), where the sessions that publish across nodes,
 * and so the replies to them, live; else it stays on the loop it is on. Nothing there blocks:
 * routing hands deliveries to the sessions' writers, as a publisher's event loop does. Its cursor
 * is the id of the last entry processed: after a failed read (Redis restarting, a reconnect) it
 * reads on from there, whichever connection the next read goes on, so nothing is skipped and
 * nothing read twice. An entry whose (sender, epoch, seq) it has seen is a resent {@code XADD} and
 * is dropped; a seq that jumps means entries were trimmed unread, counted as lost.
 *
 * <p>It also trims the stream of what it has processed ({@code XTRIM MINID ~} the cursor, once
 * {@value #TRIM_BYTES} bytes or {@value #TRIM_ENTRIES} entries were processed since the last trim),
 * so that the stream holds what is unread and little more. Left to the senders' {@code MAXLEN ~}
 * alone, it grew toward that bound whatever the reader's pace, and an {@code XADD} cost Redis about
 * four times what it costs on a short stream (docs/cluster.md, "Trimming what was read"). The
 * entries trimmed are never read again: the cursor is past them, and a new incarnation of this
 * node deletes the stream.
 */
final class Reader {
    private static final Logger log = LoggerFactory.getLogger(Reader.class);
    /** Entries asked for per read. */
    private static final int READ_COUNT = 64;
    /** Bytes of entries processed (their fields' values) after which the stream is trimmed. */
    static final int TRIM_BYTES = 256 << 10;
    /** Entries processed after which the stream is trimmed, however small (request/reply: one message each). */
    static final int TRIM_ENTRIES = 1_024;

    private final String self;
    private final ClusterTuning tuning;
    private final RedisAsyncCommands<String, byte[]> redis;
    private final BackplaneHost host;
    private final ReplyRoutes replyRoutes;
    private final ClusterMetrics metrics;
    /** Sends a no-responders record back: (node, reply subject). */
    private final BiConsumer<String, String> noResponders;
    /** The last seq read from each sender incarnation ({@code node/epoch}); the read callbacks only, one at a time. */
    private final Map<String, Long> lastSeq = new HashMap<>();
    /** Completed once the reads have stopped. */
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    /** Wait before the next read after a failed one; the read's callbacks only (one at a time). */
    private long backoff = 50;
    /** Sessions moving between nodes: control records, and which sessions a sender's messages skip or are held for. */
    private final Moves moves;
    private volatile boolean running = true;
    /** Subjects decoded so far; the read callbacks only. */
    private final Batch.Strings subjects = new Batch.Strings();
    /** The id of the last entry processed; written by the read callbacks (volatile for views). */
    private volatile String cursor = "0-0";
    private final Runnable readTask = this::read;
    /** The loop the last read callback ran on ({@link #currentLoop}); the read callbacks only, one at a time. */
    private @Nullable SingleThreadEventLoop lastLoop;
    /** Entries and their bytes processed since the last trim; the read callbacks only. */
    private int untrimmedEntries;
    private long untrimmedBytes;
    /** See {@link #readLagMillis}; written by this thread. */
    private volatile long readLagMillis;

    Reader(String self, ClusterTuning tuning, RedisAsyncCommands<String, byte[]> redis, BackplaneHost host,
           ReplyRoutes replyRoutes, ClusterMetrics metrics, BiConsumer<String, String> noResponders, Moves moves) {
        this.moves = moves;
        this.self = self;
        this.tuning = tuning;
        this.redis = redis;
        this.host = host;
        this.replyRoutes = replyRoutes;
        this.metrics = metrics;
        this.noResponders = noResponders;
    }

    /** Read connections by the loop thread their replies complete on; empty: always {@link #redis}. */
    private volatile Map<Thread, RedisAsyncCommands<String, byte[]>> byLoop = Map.of();
    /** Where this node's sessions that publish across nodes live ({@link Sender#steadyLoop}), if known. */
    private volatile Supplier<@Nullable Thread> steadyLoop = () -> null;

    /** Read connections on the server's loops ({@link LoopConnections}) and where to read; before {@link #start}. */
    void onLoops(Map<Thread, RedisAsyncCommands<String, byte[]>> connections, Supplier<@Nullable Thread> steady) {
        this.byLoop = Map.copyOf(connections);
        this.steadyLoop = steady;
    }

    /** The connection for the next read: the steady loop's, else this loop's, else the first. */
    private RedisAsyncCommands<String, byte[]> connection() {
        Map<Thread, RedisAsyncCommands<String, byte[]>> loops = byLoop;
        if (loops.isEmpty()) {
            return redis;
        }
        Thread target = steadyLoop.get();
        RedisAsyncCommands<String, byte[]> c = target == null ? null : loops.get(target);
        if (c == null) {
            c = loops.get(Thread.currentThread());
        }
        return c != null ? c : redis;
    }

    /** Durable sessions' frames in this node's stream go to {@code d}; before {@link #start}. */
    private volatile @Nullable Durables durables;

    void durables(Durables d) {
        this.durables = d;
    }

    void start() {
        read();
    }

    /**
     * How old, by Redis's clock in its entry ids against this host's, the last entry of the last
     * read was; 0 when the last read found nothing new.
     */
    long readLagMillis() {
        return readLagMillis;
    }

    private static long entryAge(String id) {
        int dash = id.indexOf('-');
        try {
            long millis = Long.parseLong(dash < 0 ? id : id.substring(0, dash));
            return Math.max(0, System.currentTimeMillis() - millis);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The id of the last entry processed. */
    String cursor() {
        return cursor;
    }

    /** Stops reading: waits for the read under way to end (at most its block time and a command timeout). */
    void stop() {
        running = false;
        try {
            stopped.get(tuning.readBlock().toMillis() + tuning.commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("the read of this node's stream did not end in time: {}", e.toString());
        }
    }

    /** Sends the next read from the cursor; its reply comes to {@link #onRead}. */
    private void read() {
        if (!running) {
            stopped.complete(null);
            return;
        }
        RedisFuture<List<StreamMessage<String, byte[]>>> f;
        try {
            f = connection().xread(XReadArgs.Builder.block(tuning.readBlock().toMillis()).count(READ_COUNT),
                    XReadArgs.StreamOffset.from(ClusterKeys.inbound(self), cursor));
        } catch (RuntimeException e) {
            failed(e);
            return;
        }
        f.whenComplete(this::onRead);
    }

    private void onRead(List<StreamMessage<String, byte[]>> read, Throwable error) {
        if (error != null) {
            failed(error);
            return;
        }
        backoff = 50;
        if (read == null || read.isEmpty()) {
            readLagMillis = 0;
            read();
        } else {
            readLagMillis = entryAge(read.get(read.size() - 1).getId());
            for (StreamMessage<String, byte[]> m : read) {
                try {
                    process(m.getBody());
                } catch (RuntimeException e) {
                    metrics.processingError();
                    log.error("cluster entry {} could not be processed; skipped", m.getId(), e);
                }
                cursor = m.getId();
                untrimmedEntries++;
                for (byte[] v : m.getBody().values()) {
                    untrimmedBytes += v.length;
                }
            }
            trimIfDue();
            if (read.size() < READ_COUNT) {
                readAfterDeliveries();
            } else {
                read(); // more is likely waiting: read on while the deliveries are written
            }
        }
    }

    /**
     * Trims the entries up to the cursor once {@value #TRIM_BYTES} bytes or {@value #TRIM_ENTRIES}
     * entries were processed since the last trim: sent before the next read, and not waited for.
     * One that fails (Redis going away) is not retried: the next covers it, and the senders' {@code
     * MAXLEN} still bounds the stream.
     */
    private void trimIfDue() {
        if (untrimmedBytes < TRIM_BYTES && untrimmedEntries < TRIM_ENTRIES) {
            return;
        }
        untrimmedBytes = 0;
        untrimmedEntries = 0;
        try {
            connection().xtrim(ClusterKeys.inbound(self), XTrimArgs.Builder.minId(cursor).approximateTrimming())
                    .whenComplete((n, e) -> {
                        if (e != null) {
                            log.debug("trimming this node's stream failed: {}", e.toString());
                        }
                    });
        } catch (RuntimeException e) {
            log.debug("trimming this node's stream failed: {}", e.toString());
        }
    }

    /**
     * Sends the next read once this event loop has run its tasks, among them the writes of what the
     * reply just delivered to sessions of this loop: a message leaves for its subscriber one write
     * earlier than if the read went first (docs/cluster.md, "Where C2's round trip goes"). Only
     * after a read that emptied the stream (fewer entries than asked for), when the next read will
     * wait anyway. Reads at once when not on one of the server's loops (Lettuce's own, or a test's).
     */
    private void readAfterDeliveries() {
        SingleThreadEventLoop loop = currentLoop();
        if (loop != null) {
            try {
                loop.executeAfterEventLoopIteration(readTask);
                return;
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                // read at once: the loop is going away
            }
        }
        read();
    }

    /** The server's loop this read callback runs on, else null; looked up once per loop the reads move to. */
    private @Nullable SingleThreadEventLoop currentLoop() {
        SingleThreadEventLoop last = lastLoop;
        if (last != null && last.inEventLoop()) {
            return last;
        }
        if (host.eventLoops() instanceof EventLoopGroup group) {
            for (EventExecutor e : group) {
                if (e.inEventLoop() && e instanceof SingleThreadEventLoop loop) {
                    lastLoop = loop;
                    return loop;
                }
            }
        }
        return null;
    }

    /** Redis is unreachable (or restarting): read again from the same cursor after a backoff. */
    private void failed(Throwable e) {
        if (!running) {
            stopped.complete(null);
            return;
        }
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        metrics.error(cause.getMessage());
        long wait = backoff;
        backoff = Math.min(2_000, backoff * 2);
        log.warn("reading this node's stream failed ({}); reading on from {} in {} ms", cause.getMessage(), cursor, wait);
        CompletableFuture.delayedExecutor(wait, TimeUnit.MILLISECONDS).execute(this::read);
    }

    private void process(Map<String, byte[]> fields) {
        byte[] durable = fields.get("d");
        if (durable != null) { // frames of durable sessions held here (docs/cluster.md, "Durable sessions")
            Durables d = durables;
            if (d != null) {
                d.bell(durable);
            }
            return;
        }
        String node = text(fields, "n");
        String epoch = text(fields, "e");
        long seq = Long.parseLong(text(fields, "s"));
        byte[] batch = fields.get("b");
        if (batch == null) {
            throw new IllegalArgumentException("entry without a batch");
        }
        Long last = lastSeq.get(node + "/" + epoch);
        if (last != null && seq <= last) {
            metrics.duplicate();
            return;
        }
        if (last != null && seq > last + 1) {
            metrics.lost(seq - last - 1);
            log.warn("{} batches from node {} were trimmed from this node's stream before they were read "
                    + "(it fell behind by more than its bound)", seq - last - 1, node);
        }
        lastSeq.put(node + "/" + epoch, seq);
        int received = 0;
        for (Batch.Item item : Batch.read(batch, subjects)) {
            if (item.kind() == Batch.NO_RESPONDERS) {
                host.noRespondersRemote(item.body().subject());
                continue;
            }
            Batch.Control control = item.control();
            if (control != null) {
                moves.received(node, control);
                continue;
            }
            if (item.kind() == Batch.LOST) {
                int told = host.gapRemote(item.lostSubject(), item.count());
                metrics.lostRemote(item.count());
                log.warn("node {} could not forward {} messages on {} here (its send queue was full); "
                        + "{} local subscriptions told with GAP", node, item.count(),
                        item.lostSubject() == null ? "subjects it did not record" : item.lostSubject(), told);
                continue;
            }
            String replyTo = item.body().replyTo();
            if (item.request() && replyTo != null) {
                replyRoutes.put(replyTo, node);
            }
            int delivered = host.deliverRemote(item.body(), item.request(), item.groups(), moves.skip(node),
                    moves.hold(node));
            received++;
            if (delivered == 0 && item.sole() && item.request() && replyTo != null) {
                noResponders.accept(node, replyTo);
            }
        }
        metrics.received(received);
    }

    private static String text(Map<String, byte[]> fields, String name) {
        byte[] b = fields.get(name);
        if (b == null) {
            throw new IllegalArgumentException("entry without field " + name);
        }
        return new String(b, StandardCharsets.UTF_8);
    }
}

package dev.conduit.cluster;

import dev.conduit.server.spi.BackplaneHost;
import io.lettuce.core.RedisException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads this node's inbound stream on one thread ({@code conduit-cluster-read}) and routes what it
 * reads into local routing, in stream order. Its cursor is the id of the last entry processed: after
 * a failed read (Redis restarting, a reconnect) it reads on from there, so nothing is skipped and
 * nothing read twice. An entry whose (sender, epoch, seq) it has seen is a resent {@code XADD} and
 * is dropped; a seq that jumps means entries were trimmed unread, counted as lost.
 */
final class Reader {
    private static final Logger log = LoggerFactory.getLogger(Reader.class);

    private final String self;
    private final ClusterTuning tuning;
    private final RedisCommands<String, byte[]> redis;
    private final BackplaneHost host;
    private final ReplyRoutes replyRoutes;
    private final ClusterMetrics metrics;
    /** Sends a no-responders record back: (node, reply subject). */
    private final BiConsumer<String, String> noResponders;
    /** The last seq read from each sender incarnation ({@code node/epoch}); this thread only. */
    private final Map<String, Long> lastSeq = new HashMap<>();
    private final Thread thread;
    /** Sessions moving between nodes: control records, and which sessions a sender's messages skip or are held for. */
    private final Moves moves;
    private volatile boolean running = true;
    /** Subjects decoded so far; this thread only. */
    private final Batch.Strings subjects = new Batch.Strings();
    /** The id of the last entry processed; this thread only (volatile for views). */
    private volatile String cursor = "0-0";
    /** See {@link #readLagMillis}; written by this thread. */
    private volatile long readLagMillis;

    Reader(String self, ClusterTuning tuning, RedisCommands<String, byte[]> redis, BackplaneHost host,
           ReplyRoutes replyRoutes, ClusterMetrics metrics, BiConsumer<String, String> noResponders, Moves moves) {
        this.moves = moves;
        this.self = self;
        this.tuning = tuning;
        this.redis = redis;
        this.host = host;
        this.replyRoutes = replyRoutes;
        this.metrics = metrics;
        this.noResponders = noResponders;
        this.thread = Thread.ofPlatform().daemon().name("conduit-cluster-read").unstarted(this::run);
    }

    void start() {
        thread.start();
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

    void stop() {
        running = false;
        try {
            thread.join(tuning.readBlock().toMillis() + tuning.commandTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        String key = ClusterKeys.inbound(self);
        XReadArgs args = XReadArgs.Builder.block(tuning.readBlock().toMillis()).count(64);
        long backoff = 50;
        while (running) {
            List<StreamMessage<String, byte[]>> read;
            try {
                read = redis.xread(args, XReadArgs.StreamOffset.from(key, cursor));
                backoff = 50;
            } catch (RedisException e) {
                if (!running) {
                    break;
                }
                metrics.error(e.getMessage());
                log.warn("reading this node's stream failed ({}); reading on from {} in {} ms", e.getMessage(), cursor,
                        backoff);
                try {
                    Thread.sleep(backoff); // Redis is unreachable: try again from the same cursor
                } catch (InterruptedException ie) {
                    break;
                }
                backoff = Math.min(2_000, backoff * 2);
                continue;
            }
            if (read == null || read.isEmpty()) {
                readLagMillis = 0;
                continue;
            }
            readLagMillis = entryAge(read.get(read.size() - 1).getId());
            for (StreamMessage<String, byte[]> m : read) {
                try {
                    process(m.getBody());
                } catch (RuntimeException e) {
                    metrics.processingError();
                    log.error("cluster entry {} could not be processed; skipped", m.getId(), e);
                }
                cursor = m.getId();
            }
        }
    }

    private void process(Map<String, byte[]> fields) {
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

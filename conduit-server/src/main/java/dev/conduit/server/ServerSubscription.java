package dev.conduit.server;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A subscription as the server holds it: which session, under which id, for which pattern and queue
 * group. Delivered from whatever I/O thread routes a publish, so its counters are atomic.
 */
final class ServerSubscription {
    final ServerSession session;
    final int id;
    final String pattern;
    /** The group this subscription belongs to, or {@code null}. Set by the index on insert. */
    QueueGroup group;
    private final String queueGroup;
    private final AtomicLong delivered = new AtomicLong();
    /** Total deliveries after which the subscription ends; Long.MAX_VALUE for never. */
    private volatile long limit = Long.MAX_VALUE;

    /** End the session rather than drop this subscription's messages when the session is too slow. */
    final boolean disconnectWhenSlow;
    /** Messages dropped since the last GAP; guarded by the session's outbound lock. */
    private long dropped;

    ServerSubscription(ServerSession session, int id, String pattern, String queueGroup, boolean disconnectWhenSlow) {
        this.session = session;
        this.id = id;
        this.pattern = pattern;
        this.queueGroup = queueGroup;
        this.disconnectWhenSlow = disconnectWhenSlow;
    }

    ServerSubscription(ServerSession session, int id, String pattern, String queueGroup) {
        this(session, id, pattern, queueGroup, false);
    }

    void dropOne() {
        dropped++;
    }

    /** The messages dropped since the last call. */
    long takeDropped() {
        long d = dropped;
        dropped = 0;
        return d;
    }

    /** Messages delivered since the subscription began. */
    long delivered() {
        return delivered.get();
    }

    /** Messages dropped and not yet reported by a GAP; under the session's outbound lock. */
    long droppedSinceGap() {
        return dropped;
    }

    String queueGroup() {
        return queueGroup;
    }

    /**
     * Counts one delivery about to be made.
     *
     * @return -1 if the subscription had already reached its limit (do not deliver), 1 if this
     *         delivery is its last, 0 otherwise
     */
    int countDelivery() {
        long n = delivered.incrementAndGet();
        long max = limit;
        if (n > max) {
            return -1;
        }
        return n == max ? 1 : 0;
    }

    /** Ends the subscription once {@code total} messages have been delivered since it began. */
    boolean limitTo(long total) {
        limit = total;
        return delivered.get() >= total;
    }

    @Override
    public String toString() {
        return "sub " + id + " '" + pattern + "'" + (queueGroup == null ? "" : " queue " + queueGroup) + " of " + session;
    }
}

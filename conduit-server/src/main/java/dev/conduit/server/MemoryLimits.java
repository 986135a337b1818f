package dev.conduit.server;

/**
 * The server-wide bounds on what a server holds in memory for its peers, beside the per-session
 * {@link ServerConfig#maxPendingBytesPerSession()}. Each, when reached, has one behaviour, written in
 * docs/guarantees.md and counted by a metric (docs/operations.md):
 *
 * @param maxMemory           bytes of sequenced frames held for all sessions together until their
 *                            clients acknowledge them: queued for a connection, in flight, or held for a
 *                            detached session. Past it, detached sessions are ended oldest first (each a
 *                            lost session, {@code conduit_sessions_evicted_total}) and a delivery to a
 *                            session holding more than its fair share ({@code maxMemory} divided by the
 *                            number of sessions) is refused as if that session were over its own bound:
 *                            skipped with a GAP, or the session ended with SLOW_CONSUMER, as its
 *                            subscription asked. Sessions holding less than their share are not slowed.
 * @param maxDetachedSessions sessions kept detached (waiting for a resume) at once; one more ends the
 *                            one detached longest ago, whose client is told {@code 410} when it tries
 *                            to resume
 * @param maxDetachedBytes    bytes held for detached sessions together; past it detached sessions are
 *                            ended oldest first, as above. At most {@code maxMemory}
 * @param maxPongBacklogBytes bytes of PONGs (Conduit's, and WebSocket's for a ws link) a connection may
 *                            have queued while its output is backed up (the peer reads nothing but
 *                            keeps sending PINGs); past it the connection is closed, with {@code ERROR
 *                            429} for Conduit PINGs
 */
public record MemoryLimits(long maxMemory, int maxDetachedSessions, long maxDetachedBytes, long maxPongBacklogBytes) {
    /** Ten thousand, as many as the default {@code maxConnections}. */
    public static final int DEFAULT_MAX_DETACHED_SESSIONS = 10_000;
    /** 1 MiB: some 75,000 unanswered PINGs. */
    public static final long DEFAULT_MAX_PONG_BACKLOG_BYTES = 1 << 20;

    public MemoryLimits {
        if (maxMemory < 1) {
            throw new IllegalArgumentException("maxMemory must be > 0: " + maxMemory);
        }
        if (maxDetachedSessions < 0) {
            throw new IllegalArgumentException("maxDetachedSessions must be >= 0: " + maxDetachedSessions);
        }
        if (maxDetachedBytes < 0) {
            throw new IllegalArgumentException("maxDetachedBytes must be >= 0: " + maxDetachedBytes);
        }
        if (maxDetachedBytes > maxMemory) {
            throw new IllegalArgumentException("maxDetachedBytes must be at most maxMemory (" + maxMemory + "): "
                    + maxDetachedBytes);
        }
        if (maxPongBacklogBytes < 64) {
            throw new IllegalArgumentException("maxPongBacklogBytes must be >= 64: " + maxPongBacklogBytes);
        }
    }

    /** A quarter of the heap the JVM may use ({@link Runtime#maxMemory()}), at least 64 MiB. */
    public static long defaultMaxMemory() {
        return Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 4);
    }
}

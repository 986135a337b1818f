package dev.conduit.cluster;

import java.time.Duration;

/**
 * The backplane's bounds and periods (docs/cluster.md); fixed for now, a record so that tests can
 * shorten them ({@link RedisBackplaneProvider#tuning}).
 *
 * @param maxQueuedBytes     bytes of messages waiting to be sent to other nodes; past it a message
 *                           is not forwarded and is counted in {@code conduit.cluster.dropped}
 * @param maxBatchMessages   messages in one stream entry at most
 * @param maxBatchBytes      payload and header bytes in one stream entry at most (one message may
 *                           pass it alone)
 * @param streamMaxLen       approximate bound on the entries of a node's inbound stream ({@code
 *                           XADD MAXLEN ~}); entries trimmed before they were read are counted in
 *                           {@code conduit.cluster.lost}
 * @param presenceTtl        how long a node's presence key lives unless refreshed
 * @param resyncInterval     presence refresh and full re-read of other nodes' interest
 * @param readBlock          how long one {@code XREAD BLOCK} waits
 * @param commandTimeout     how long one Redis command may take before it is retried
 * @param maxReplyRoutes     reply subjects remembered (request from another node -> its node)
 * @param replyRouteTtl      how long a reply subject is remembered
 * @param maxLostSubjects    distinct subjects counted per target node for messages dropped at
 *                           {@code maxQueuedBytes} (told to that node as lost records, then GAP);
 *                           the rest are counted together, their subjects unknown
 * @param degradedFor        how long after a failed Redis command the backplane still reports
 *                           itself degraded ({@code /readyz} 503)
 */
record ClusterTuning(long maxQueuedBytes, int maxBatchMessages, int maxBatchBytes, long streamMaxLen,
                     Duration presenceTtl, Duration resyncInterval, Duration readBlock, Duration commandTimeout,
                     int maxReplyRoutes, Duration replyRouteTtl, int maxLostSubjects, Duration degradedFor) {

    static final ClusterTuning DEFAULT = new ClusterTuning(64L << 20, 512, 512 << 10, 100_000,
            Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(5),
            100_000, Duration.ofMinutes(2), 1_024, Duration.ofSeconds(5));

    ClusterTuning {
        if (maxQueuedBytes <= 0 || maxBatchMessages <= 0 || maxBatchBytes <= 0 || streamMaxLen <= 0
                || maxReplyRoutes <= 0 || maxLostSubjects <= 0) {
            throw new IllegalArgumentException("cluster bounds must be > 0");
        }
        if (presenceTtl.compareTo(resyncInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("presenceTtl must be at least twice resyncInterval: " + presenceTtl);
        }
    }

    /**
     * The most a send queue holds while Redis keeps up before publishers wait ({@link
     * #holdAboveBytes}): about 40,000 small messages, 80 rounds of a full batch, enough to keep the
     * rounds full, where a queue near its whole bound kept a node's young collections copying it.
     */
    static final long HOLD_CAP = 4L << 20;

    /**
     * Queued bytes past which a local publisher waits while Redis is reachable (released under half
     * of it): half of {@code maxQueuedBytes}, at most {@link #HOLD_CAP}. The rest of the bound is
     * for an outage, when publishers do not wait.
     */
    long holdAboveBytes() {
        return Math.min(maxQueuedBytes / 2, HOLD_CAP);
    }

    /** These values with another {@code maxQueuedBytes} (tests). */
    ClusterTuning withMaxQueuedBytes(long bytes) {
        return new ClusterTuning(bytes, maxBatchMessages, maxBatchBytes, streamMaxLen, presenceTtl, resyncInterval,
                readBlock, commandTimeout, maxReplyRoutes, replyRouteTtl, maxLostSubjects, degradedFor);
    }

    /** These values with another {@code resyncInterval} (tests: the durable sessions' full re-read is every 10). */
    ClusterTuning withResyncInterval(Duration d) {
        return new ClusterTuning(maxQueuedBytes, maxBatchMessages, maxBatchBytes, streamMaxLen, presenceTtl, d,
                readBlock, commandTimeout, maxReplyRoutes, replyRouteTtl, maxLostSubjects, degradedFor);
    }

    /** These values with another {@code degradedFor} (tests). */
    ClusterTuning withDegradedFor(Duration d) {
        return new ClusterTuning(maxQueuedBytes, maxBatchMessages, maxBatchBytes, streamMaxLen, presenceTtl,
                resyncInterval, readBlock, commandTimeout, maxReplyRoutes, replyRouteTtl, maxLostSubjects, d);
    }
}

package dev.conduit.cluster;

import java.time.Duration;

/**
 * The backplane's bounds and periods (docs/cluster.md); fixed for now, a record so that tests can
 * shorten them.
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
 */
record ClusterTuning(long maxQueuedBytes, int maxBatchMessages, int maxBatchBytes, long streamMaxLen,
                     Duration presenceTtl, Duration resyncInterval, Duration readBlock, Duration commandTimeout,
                     int maxReplyRoutes, Duration replyRouteTtl) {

    static final ClusterTuning DEFAULT = new ClusterTuning(64L << 20, 512, 512 << 10, 100_000,
            Duration.ofSeconds(3), Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(5),
            100_000, Duration.ofMinutes(2));

    ClusterTuning {
        if (maxQueuedBytes <= 0 || maxBatchMessages <= 0 || maxBatchBytes <= 0 || streamMaxLen <= 0
                || maxReplyRoutes <= 0) {
            throw new IllegalArgumentException("cluster bounds must be > 0");
        }
        if (presenceTtl.compareTo(resyncInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("presenceTtl must be at least twice resyncInterval: " + presenceTtl);
        }
    }
}

package dev.conduit.benchmarks;

/**
 * One line of the comparison table: a metric of a workload for Conduit and, if it has one, its peer.
 *
 * @param higherIsBetter true for rates, false for latencies and costs
 * @param conduitSkipped messages the system skipped over the measured runs (a GAP, a slow-consumer
 *                       drop), -1 where no messages flow (W8); request/reply workloads skip none (a
 *                       lost reply fails the run)
 * @param peerSkipped    the same for the peer
 */
record Row(String workload, String metric, String unit, boolean higherIsBetter, Series conduit, String peer,
           Series peerSeries, long conduitSkipped, long peerSkipped) {

    /** A row of a workload that cannot skip messages (request/reply, a raw echo): 0 skipped on both sides. */
    Row(String workload, String metric, String unit, boolean higherIsBetter, Series conduit, String peer,
        Series peerSeries) {
        this(workload, metric, unit, higherIsBetter, conduit, peer, peerSeries, 0, peer == null ? -1 : 0);
    }

    /** Whether either side skipped messages: its figure then describes fewer messages, not comparable. */
    boolean skippedAny() {
        return conduitSkipped > 0 || peerSkipped > 0;
    }

    boolean comparable() {
        return peer != null && conduit.ok() && peerSeries != null && peerSeries.ok() && !skippedAny();
    }

    /** Conduit's median over the peer's. */
    double ratio() {
        return conduit.median() / peerSeries.median();
    }

    /** Conduit relative to the peer with higher meaning better for Conduit (the fraction of a baseline). */
    double advantage() {
        return higherIsBetter ? ratio() : 1 / ratio();
    }
}

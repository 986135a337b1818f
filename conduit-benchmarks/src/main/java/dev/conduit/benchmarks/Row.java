package dev.conduit.benchmarks;

/**
 * One line of the comparison table: a metric of a workload for Conduit and, if it has one, its peer.
 *
 * @param higherIsBetter true for rates, false for latencies and costs
 */
record Row(String workload, String metric, String unit, boolean higherIsBetter, Series conduit, String peer,
           Series peerSeries) {

    boolean comparable() {
        return peer != null && conduit.ok() && peerSeries != null && peerSeries.ok();
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

package dev.conduit.benchmarks;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts what reaches the receiving side of a throughput run: delivered messages, and messages the
 * system reported as skipped (a GAP from the server, a client-side slow-consumer drop). Done once
 * delivered + skipped reaches the expected count; the rate runs from the first to the last arrival.
 */
final class Arrivals {
    /** How long {@link #awaitOrStall} waits with nothing arriving before it counts the rest as lost. */
    static final java.time.Duration STALL = java.time.Duration.ofSeconds(5);

    private final long expected;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong first = new AtomicLong();
    private volatile long last;
    private final CountDownLatch done = new CountDownLatch(1);

    Arrivals(long expected) {
        this.expected = expected;
    }

    void arrived() {
        long now = System.nanoTime();
        if (first.get() == 0) {
            first.compareAndSet(0, now);
        }
        long n = delivered.incrementAndGet();
        check(n + skipped.get(), now);
    }

    void skipped(long messages) {
        long s = skipped.addAndGet(messages);
        check(delivered.get() + s, System.nanoTime());
    }

    private void check(long total, long now) {
        if (total >= expected && done.getCount() > 0) {
            last = now;
            done.countDown();
        }
    }

    void await(Deadline deadline, String what) throws Exception {
        deadline.await(done, what + " (delivered " + delivered.get() + " of " + expected + ")");
    }

    /**
     * As {@link #await}, but for a path that can lose messages without telling the receiver (a
     * cluster's hop between nodes, whose drops the sending server counts): returns once all
     * arrived (0), or once nothing arrived for {@code stall}, with the messages still missing (the
     * rate then runs to the last progress seen, to within 100 ms). Fails only at the deadline.
     */
    long awaitOrStall(Deadline deadline, String what, java.time.Duration stall) throws Exception {
        long seen = -1;
        long progressAt = System.nanoTime();
        while (!done.await(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            long now = System.nanoTime();
            long total = delivered.get() + skipped.get();
            if (total != seen) {
                seen = total;
                progressAt = now;
            } else if (now - progressAt > stall.toNanos()) {
                if (done.getCount() > 0) {
                    last = progressAt;
                    return expected - total;
                }
                return 0;
            }
            deadline.check(what + " (delivered " + delivered.get() + " of " + expected + ")");
        }
        return 0;
    }

    long delivered() {
        return delivered.get();
    }

    long skippedCount() {
        return skipped.get();
    }

    /** Delivered messages per second, first to last arrival. */
    double rate() {
        return Runs.rate(delivered.get(), first.get(), last);
    }
}

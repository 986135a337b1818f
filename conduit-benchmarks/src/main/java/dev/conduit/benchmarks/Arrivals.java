package dev.conduit.benchmarks;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts what reaches the receiving side of a throughput run: delivered messages, and messages the
 * system reported as skipped (a GAP from the server, a client-side slow-consumer drop). Done once
 * delivered + skipped reaches the expected count; the rate runs from the first to the last arrival.
 */
final class Arrivals {
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

package dev.conduit.benchmarks;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The end of one bounded run: loops check it and a run past it fails with a timeout. */
record Deadline(long endNanos, Duration budget) {

    static Deadline in(Duration budget) {
        return new Deadline(System.nanoTime() + budget.toNanos(), budget);
    }

    long remainingNanos() {
        return Math.max(0, endNanos - System.nanoTime());
    }

    Duration remaining() {
        return Duration.ofNanos(Math.max(1_000_000, remainingNanos()));
    }

    void check(String what) throws TimeoutException {
        if (System.nanoTime() - endNanos > 0) {
            throw new TimeoutException(what + ": not done within " + budget);
        }
    }

    void await(CountDownLatch latch, String what) throws TimeoutException, InterruptedException {
        if (!latch.await(remainingNanos(), TimeUnit.NANOSECONDS)) {
            throw new TimeoutException(what + ": not done within " + budget);
        }
    }
}

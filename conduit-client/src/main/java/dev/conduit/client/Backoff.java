package dev.conduit.client;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: before attempt {@code n} (0-based) wait a uniformly random
 * time in {@code [0, min(cap, base x 2^n)]}. Full jitter spreads a crowd of clients that lost the
 * same server over the whole window instead of bunching them at its edges.
 */
final class Backoff {
    private final long baseNanos;
    private final long capNanos;
    private final RandomGenerator random;

    Backoff(Duration base, Duration cap, RandomGenerator random) {
        this.baseNanos = base.toNanos();
        this.capNanos = cap.toNanos();
        this.random = random;
    }

    /** The upper bound of the wait before attempt {@code n}. */
    long ceilingNanos(int attempt) {
        if (baseNanos == 0) {
            return 0;
        }
        int shift = Math.min(attempt, 62 - (63 - Long.numberOfLeadingZeros(baseNanos)));
        long ceiling = shift < 0 ? capNanos : baseNanos << shift;
        return Math.min(capNanos, ceiling);
    }

    /** A random wait before attempt {@code n}, within {@link #ceilingNanos}. */
    long delayNanos(int attempt) {
        long ceiling = ceilingNanos(attempt);
        return ceiling == 0 ? 0 : random.nextLong(ceiling + 1);
    }
}

package dev.conduit.server;

import dev.conduit.transport.Clock;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Slows down resume guessing: one token bucket per remote address, charged by each refused resume
 * whose token named this server's epoch (a guess at a live session's secret, or a stale token). While
 * an address's bucket is empty, its resume attempts are refused unchecked (ERROR 420, fatal), so an
 * address gets {@link #BURST} refusals at once and then {@link #PER_SECOND} a second. Resumes that
 * succeed cost nothing, so many clients behind one address can resume together after a network
 * failure; tokens from an earlier epoch (after a restart) cost nothing either, since they point at no
 * live session.
 *
 * <p>Bounded: at most {@link #MAX_ADDRESSES} buckets are tracked. Beyond that the full buckets (which
 * equal no bucket) are dropped, and if that is not enough, arbitrary ones, which only forgets some
 * addresses' debt.
 *
 * <p>Thread-safe: buckets are updated atomically in a concurrent map, from any connection's thread.
 */
final class ResumeAttempts {
    static final int BURST = 10;
    static final int PER_SECOND = 1;
    static final int MAX_ADDRESSES = 10_000;
    private static final long NANOS_PER_TOKEN = TimeUnit.SECONDS.toNanos(1) / PER_SECOND;

    private final Clock clock;
    /** Per address: when its bucket will be full again, in clock nanos; absent = full. */
    private final Map<String, Long> fullAt = new ConcurrentHashMap<>();

    ResumeAttempts(Clock clock) {
        this.clock = clock;
    }

    /** Whether {@code address} may try a resume now (its bucket holds at least one token). */
    boolean allowed(String address) {
        Long full = fullAt.get(address);
        if (full == null) {
            return true;
        }
        long tokens = BURST - ceilDiv(full - clock.nanoTime(), NANOS_PER_TOKEN);
        return tokens >= 1;
    }

    /** A resume from {@code address} was refused: takes one token from its bucket. */
    void refused(String address) {
        long now = clock.nanoTime();
        fullAt.compute(address, (a, full) -> {
            long start = full == null || full - now < 0 ? now : full;
            long capped = now + BURST * NANOS_PER_TOKEN; // never more debt than an empty bucket
            long next = start + NANOS_PER_TOKEN;
            return next - capped > 0 ? capped : next;
        });
        if (fullAt.size() > MAX_ADDRESSES) {
            prune(now);
        }
    }

    /** How many addresses are tracked; for tests. */
    int tracked() {
        return fullAt.size();
    }

    private void prune(long now) {
        fullAt.values().removeIf(full -> full - now <= 0);
        Iterator<String> it = fullAt.keySet().iterator();
        while (fullAt.size() > MAX_ADDRESSES && it.hasNext()) {
            it.next();
            it.remove();
        }
    }

    private static long ceilDiv(long a, long b) {
        return a <= 0 ? 0 : (a + b - 1) / b;
    }
}

package dev.conduit.server;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Latencies recorded by any thread, read as percentiles over the last {@link #SECONDS} intervals
 * (one interval per {@code $SYS.stats} tick, a second). Recording goes to an HdrHistogram {@link
 * Recorder} (wait-free, no allocation); each {@link #roll()} takes the interval's histogram from
 * it, keeps the last {@link #SECONDS} of them in a ring and merges them.
 *
 * <p>Threads: {@link #record} from any thread; {@link #roll} from one thread at a time (the stats
 * tick), which owns the ring and the merged histogram.
 */
final class LatencyWindow {
    /** Intervals the percentiles cover. */
    static final int SECONDS = 10;
    /** Values are nanoseconds, from 1 µs to 60 s, two significant digits (about 1%); more is clamped. */
    static final long LOWEST_NANOS = 1_000;
    static final long HIGHEST_NANOS = 60_000_000_000L;
    private static final int DIGITS = 2;

    /**
     * The percentiles over the window, in milliseconds; {@code samples} 0 means there was nothing to
     * measure, and the percentiles are then meaningless (shown as null, never as 0).
     */
    record Reading(long samples, double p50Millis, double p99Millis, double maxMillis) {
        static final Reading EMPTY = new Reading(0, 0, 0, 0);
    }

    private final Recorder recorder = new Recorder(LOWEST_NANOS, HIGHEST_NANOS, DIGITS);
    private final Histogram[] ring = new Histogram[SECONDS];
    private final Histogram merged = new Histogram(LOWEST_NANOS, HIGHEST_NANOS, DIGITS);
    private int next;
    private Histogram spare;

    /** Records one latency; negative values count as 0, values past 60 s as 60 s. */
    void record(long nanos) {
        recorder.recordValue(Math.min(HIGHEST_NANOS, Math.max(LOWEST_NANOS, nanos)));
    }

    /** Ends the current interval and returns the percentiles over the last {@link #SECONDS} of them. */
    Reading roll() {
        Histogram interval = recorder.getIntervalHistogram(spare);
        spare = ring[next];
        ring[next] = interval;
        next = (next + 1) % SECONDS;
        merged.reset();
        for (Histogram h : ring) {
            if (h != null) {
                merged.add(h);
            }
        }
        long n = merged.getTotalCount();
        if (n == 0) {
            return Reading.EMPTY;
        }
        return new Reading(n, millis(merged.getValueAtPercentile(50)), millis(merged.getValueAtPercentile(99)),
                millis(merged.getMaxValue()));
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }
}

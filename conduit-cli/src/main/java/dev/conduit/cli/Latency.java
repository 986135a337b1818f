package dev.conduit.cli;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.AbstractHistogram;

/** Latency samples in nanoseconds, kept in an HdrHistogram, and their one-line summary. */
final class Latency {
    /** The largest latency recorded as such; longer ones are recorded as this. */
    static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(10);
    /** Significant decimal digits the histograms keep. */
    static final int DIGITS = 3;

    private Latency() {
    }

    /** Records one sample, clamped to [1 ns, {@link #HIGHEST_NANOS}]. */
    static void record(AbstractHistogram histogram, long nanos) {
        histogram.recordValue(Math.max(1, Math.min(nanos, HIGHEST_NANOS)));
    }

    /** {@code latency (WHAT, N samples): p50=12.3us p90=... p99=... p99.9=... max=...}, in microseconds. */
    static String summary(AbstractHistogram h, String what) {
        if (h.getTotalCount() == 0) {
            return "latency (" + what + "): no samples";
        }
        return String.format(Locale.ROOT, "latency (%s, %d samples): p50=%s p90=%s p99=%s p99.9=%s max=%s",
                what, h.getTotalCount(), us(h.getValueAtPercentile(50)), us(h.getValueAtPercentile(90)),
                us(h.getValueAtPercentile(99)), us(h.getValueAtPercentile(99.9)), us(h.getMaxValue()));
    }

    private static String us(long nanos) {
        return String.format(Locale.ROOT, "%.1fus", nanos / 1000.0);
    }
}

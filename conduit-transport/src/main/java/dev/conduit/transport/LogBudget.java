package dev.conduit.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How many lines of one kind a log may write: {@value #LINES_PER_WINDOW} every {@value
 * #WINDOW_SECONDS} seconds of the given clock, so that a flood of hostile peers cannot flood the log
 * as well. The lines over it are counted, so the next line written can say how many were left out.
 * Used by the server's limit log and the ZeroMQ gateway's. Thread-safe.
 */
public final class LogBudget {
    /** Lines a window lets through. */
    public static final int LINES_PER_WINDOW = 20;
    /** A window's length. */
    public static final int WINDOW_SECONDS = 10;
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(WINDOW_SECONDS);

    private final Clock clock;
    private final AtomicLong windowStart;
    private final AtomicInteger lines = new AtomicInteger();
    private final AtomicLong suppressed = new AtomicLong();

    public LogBudget(Clock clock) {
        this.clock = clock;
        this.windowStart = new AtomicLong(clock.nanoTime());
    }

    /** Whether a line may be written now; counts it as left out if not. */
    public boolean admit() {
        long now = clock.nanoTime();
        long start = windowStart.get();
        if (now - start >= WINDOW_NANOS && windowStart.compareAndSet(start, now)) {
            lines.set(0);
        }
        if (lines.incrementAndGet() > LINES_PER_WINDOW) {
            suppressed.incrementAndGet();
            return false;
        }
        return true;
    }

    /** The lines left out since the last one written, which the line being written reports: resets them. */
    public long takeSuppressed() {
        return suppressed.getAndSet(0);
    }

    /** Lines left out since the last one written. */
    public long suppressed() {
        return suppressed.get();
    }
}

package dev.conduit.transport;

import java.util.concurrent.TimeUnit;

/**
 * Time as the time-based parts of Conduit see it: heartbeats, reconnect backoff, resume windows,
 * request deadlines. Production code uses {@link #system()}; tests pass a manual clock ({@code
 * ManualClock} in the {@code conduit-testkit} module) and move time forward themselves, so that
 * nothing waits.
 *
 * <p>Thread-safe. Tasks run on the clock's own thread (for {@link #system()}, one shared daemon
 * thread), so they must be short and must not block: hand real work to an executor.
 */
public interface Clock {

    /** A monotonic reading in nanoseconds, comparable only with other readings of this clock. */
    long nanoTime();

    /**
     * Runs {@code task} once, {@code delay} from now. The task runs even if whatever it acts on has
     * ended by then, so it must check; cancel it when it is no longer needed.
     */
    Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit);

    /**
     * Runs {@code task} once this clock reads {@code nanoTime} (at once, on the clock's thread, if
     * that reading has passed). Prefer it to {@link #schedule} with a delay worked out from an earlier
     * {@link #nanoTime()}: the deadline stays the same however late the caller runs, also on a clock
     * that a test moves in large steps while the caller reads it.
     */
    default Connection.Cancellable scheduleAt(Runnable task, long nanoTime) {
        return schedule(task, Math.max(0, nanoTime - nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** The real clock: {@link System#nanoTime()} and one shared timer thread. */
    static Clock system() {
        return SystemClock.INSTANCE;
    }
}

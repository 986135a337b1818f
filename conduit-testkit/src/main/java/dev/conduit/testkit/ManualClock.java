package dev.conduit.testkit;

import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link Clock} whose time moves only when a test moves it, so that heartbeats, backoff and
 * deadlines can be tested without waiting:
 *
 * <pre>{@code
 * ManualClock clock = ManualClock.create();
 * clock.schedule(() -> fired.set(true), 5, TimeUnit.SECONDS);
 * clock.advance(Duration.ofSeconds(4));   // nothing runs
 * clock.advance(Duration.ofSeconds(1));   // the task runs here, on this thread, with nanoTime() at its due time
 * }</pre>
 *
 * <p>Scheduled tasks run only inside {@link #advance} and {@link #advanceTo}, on the thread that
 * calls them, in due-time order; tasks due at the same time run in the order they were scheduled.
 * While a task runs, {@link #nanoTime()} reads its due time. A task due now (a delay of zero or
 * less) runs at the next advance, including {@code advance(Duration.ZERO)}, never inside {@link
 * #schedule}.
 *
 * <p>Thread-safe: any thread may schedule, cancel, read the time or advance. No lock is held while
 * a task runs, so a task may schedule and cancel tasks, and other threads may do so meanwhile; a
 * task it schedules that falls due within the window being advanced runs in the same advance. If
 * several threads advance at once, tasks still start in due-time order and time never goes back,
 * but tasks may then run at the same time on different threads.
 *
 * <p>The clock starts at an arbitrary non-zero reading ({@link #create()}) or at one the test
 * chooses ({@link #startingAt(long)}), and like {@link System#nanoTime()} its readings may wrap past
 * {@link Long#MAX_VALUE}: compare readings by subtracting them.
 */
public final class ManualClock implements Clock {

    /** Where {@link #create()} starts: far from zero, so that code that treats 0 as "never" shows it. */
    private static final long DEFAULT_ORIGIN = 1_000_000_000_000L;

    private final long origin;
    private final Object lock = new Object();

    /** Nanoseconds since {@link #origin}; only grows. Written under {@link #lock}. */
    private volatile long elapsed;

    /** Tasks not yet run nor cancelled, earliest first. Guarded by {@link #lock}. */
    private final PriorityQueue<Task> queue = new PriorityQueue<>();

    /** Scheduling order, the tie-break between tasks due at the same time. Guarded by {@link #lock}. */
    private long sequence;

    private ManualClock(long origin) {
        this.origin = origin;
    }

    /** A clock at an arbitrary non-zero reading, with nothing scheduled. */
    public static ManualClock create() {
        return new ManualClock(DEFAULT_ORIGIN);
    }

    /**
     * A clock whose {@link #nanoTime()} starts at {@code nanoTime}: near {@link Long#MAX_VALUE}, for
     * example, to check that code under test survives the wrap-around.
     */
    public static ManualClock startingAt(long nanoTime) {
        return new ManualClock(nanoTime);
    }

    @Override
    public long nanoTime() {
        return origin + elapsed;
    }

    /** How far the clock has moved since it was created. */
    public Duration elapsed() {
        return Duration.ofNanos(elapsed);
    }

    /**
     * Schedules {@code task} to run once its delay has passed on this clock. A negative delay counts
     * as zero. The returned handle's {@code cancel()} removes the task if it has not run yet; it is
     * idempotent and may be called from any thread.
     */
    @Override
    public Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(unit, "unit");
        long delayNanos = Math.max(0, unit.toNanos(delay));
        synchronized (lock) {
            return add(task, saturatedAdd(elapsed, delayNanos));
        }
    }

    /**
     * Schedules {@code task} to run when the clock reads {@code nanoTime}; a reading already passed
     * makes it due now. Unlike {@code schedule(task, nanoTime - nanoTime(), ...)}, the due time does
     * not depend on when another thread calls this during an {@link #advance}.
     */
    @Override
    public Connection.Cancellable scheduleAt(Runnable task, long nanoTime) {
        Objects.requireNonNull(task, "task");
        synchronized (lock) {
            long at = nanoTime - origin;
            return add(task, at - elapsed < 0 ? elapsed : at);
        }
    }

    /** Queues {@code task} due at {@code due} (nanoseconds since the origin); under {@link #lock}. */
    private Task add(Runnable task, long due) {
        Task t = new Task(task, due, sequence++);
        queue.add(t);
        return t;
    }

    /**
     * Moves time forward by {@code duration}, running every task that falls due on the way, each
     * with the clock set to its due time, and leaves the clock at the end of the window.
     *
     * <p>If a task throws, the exception propagates from here at once: the clock stays at that
     * task's due time and the tasks after it stay scheduled.
     *
     * @throws IllegalArgumentException if {@code duration} is negative
     */
    public void advance(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative()) {
            throw new IllegalArgumentException("duration must be >= 0: " + duration);
        }
        long nanos;
        try {
            nanos = duration.toNanos();
        } catch (ArithmeticException tooLong) {
            nanos = Long.MAX_VALUE;
        }
        runUntil(saturatedAdd(elapsed, nanos));
    }

    /**
     * Moves time forward to the reading {@code nanoTime}, as {@link #advance} does.
     *
     * @throws IllegalArgumentException if {@code nanoTime} is before {@link #nanoTime()}
     */
    public void advanceTo(long nanoTime) {
        long target = nanoTime - origin;
        long now = elapsed;
        if (target - now < 0) {
            throw new IllegalArgumentException("cannot go back in time: " + nanoTime + " is "
                    + (now - target) + " ns before now (" + nanoTime() + ")");
        }
        runUntil(target);
    }

    /** Tasks scheduled that have neither started nor been cancelled. */
    public int pendingTasks() {
        synchronized (lock) {
            return queue.size();
        }
    }

    /**
     * How long until the earliest pending task is due ({@link Duration#ZERO} if it is due now), or
     * empty if nothing is pending.
     */
    public Optional<Duration> nextDueIn() {
        synchronized (lock) {
            Task next = queue.peek();
            return next == null ? Optional.empty() : Optional.of(Duration.ofNanos(next.due - elapsed));
        }
    }

    private void runUntil(long target) {
        while (true) {
            Task next;
            synchronized (lock) {
                next = queue.peek();
                if (next == null || next.due > target) {
                    elapsed = Math.max(elapsed, target);
                    return;
                }
                queue.poll();
                elapsed = Math.max(elapsed, next.due);
            }
            next.action.run();
        }
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum; // both are >= 0, so a negative sum means overflow
    }

    @Override
    public String toString() {
        return "ManualClock[nanoTime=" + nanoTime() + ", elapsed=" + elapsed() + ", pending=" + pendingTasks() + "]";
    }

    /** One scheduled run; its handle is the {@link Connection.Cancellable} handed out. */
    private final class Task implements Connection.Cancellable, Comparable<Task> {
        final Runnable action;
        final long due;
        final long order;

        Task(Runnable action, long due, long order) {
            this.action = action;
            this.due = due;
            this.order = order;
        }

        @Override
        public void cancel() {
            synchronized (lock) {
                queue.remove(this); // a no-op once the task has started or was cancelled before
            }
        }

        @Override
        public int compareTo(Task other) {
            int byDue = Long.compare(due, other.due);
            return byDue != 0 ? byDue : Long.compare(order, other.order);
        }
    }
}

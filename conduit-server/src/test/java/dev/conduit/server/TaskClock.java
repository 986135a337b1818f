package dev.conduit.server;

import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * A manual clock for server tests whose scheduled tasks run when the test advances it, on the test's
 * thread, in due order (a cut-down copy of conduit-testing's ManualClock, which the server module
 * cannot use since that module depends on the server).
 */
final class TaskClock implements Clock {
    private final Object lock = new Object();
    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private volatile long now = 1_000_000_000_000L;
    private long sequence;

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
        synchronized (lock) {
            Task t = new Task(task, now + Math.max(0, unit.toNanos(delay)), sequence++);
            queue.add(t);
            return t;
        }
    }

    /** Moves time forward, running every task due on the way with the clock at its due time. */
    void advance(Duration d) {
        long target = now + d.toNanos();
        while (true) {
            Task next;
            synchronized (lock) {
                next = queue.peek();
                if (next == null || next.due > target) {
                    now = target;
                    return;
                }
                queue.poll();
                now = Math.max(now, next.due);
            }
            next.action.run();
        }
    }

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
                queue.remove(this);
            }
        }

        @Override
        public int compareTo(Task o) {
            int c = Long.compare(due, o.due);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }
}

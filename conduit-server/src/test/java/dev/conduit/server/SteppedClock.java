package dev.conduit.server;

import dev.conduit.transport.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock for server tests whose reading moves only when the test says (the server module cannot
 * use conduit-testing's ManualClock, which depends on it). Scheduled tasks run on the system clock's
 * timer: the tests that use this one only need time to stand still for what reads {@link #nanoTime}.
 */
final class SteppedClock implements Clock {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Override
    public long nanoTime() {
        return now.get();
    }

    @Override
    public dev.conduit.transport.Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
        return Clock.system().schedule(task, delay, unit);
    }

    void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }
}

package dev.conduit.server;

import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that moves only when a test sets it and never runs what is scheduled on it, for tests
 * that call the server's timed work ({@link StatsPublisher#snapshot}, {@link StatsPublisher#tick})
 * themselves and choose every interval. Not conduit-testkit's {@code ManualClock} (which the other
 * server tests use): advancing that one runs what falls due, so the server's own once-a-second stats
 * tick would run between the test's snapshots and change the intervals they measure.
 */
final class StoppedClock implements Clock {
    private final AtomicLong now = new AtomicLong(5_000_000_000L);

    @Override
    public long nanoTime() {
        return now.get();
    }

    void advanceNanos(long nanos) {
        now.addAndGet(nanos);
    }

    @Override
    public Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
        return () -> { };
    }
}

package dev.conduit.server;

import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that moves only when a test sets it and never runs what is scheduled on it, for tests
 * that call the server's timed work ({@link StatsPublisher#snapshot}) themselves. (The full manual
 * clock lives in conduit-testing, which depends on this module.)
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

package dev.conduit.transport;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link Clock#system()}: one daemon timer thread shared by every user in the process. */
final class SystemClock implements Clock {
    static final SystemClock INSTANCE = new SystemClock();
    private static final Logger log = LoggerFactory.getLogger(SystemClock.class);

    private final ScheduledThreadPoolExecutor timer;

    private SystemClock() {
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "conduit-clock");
            t.setDaemon(true);
            return t;
        });
        // Cancelled timers (most of them: a heartbeat or deadline that did not fire) leave the queue at once.
        timer.setRemoveOnCancelPolicy(true);
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
        ScheduledFuture<?> f = timer.schedule(() -> {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                // One failing task must not kill the thread every other timer runs on.
                log.error("timer task failed", e);
            }
        }, delay, unit);
        return () -> f.cancel(false);
    }
}

package dev.conduit.client;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a shared executor: how a subscription's
 * messages are handled in order without a thread of their own. At most {@value #BATCH} tasks run per
 * turn, so that one busy subscription cannot hold a pooled thread forever.
 *
 * <p>A task that throws a {@link RuntimeException} is logged and the next one runs. An {@link Error}
 * is not swallowed: it ends the current drain and propagates to the delegate's thread, and the
 * remaining tasks are resubmitted in a new drain, in order.
 */
final class SerialExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);
    private static final int BATCH = 256;

    private final Executor delegate;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable drain = this::drain;

    SerialExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    @Override
    public void execute(Runnable task) {
        tasks.offer(task);
        schedule();
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                delegate.execute(drain);
            } catch (RejectedExecutionException e) {
                scheduled.set(false);
                log.debug("executor rejected a task; {} tasks dropped as the client is closed", tasks.size());
                tasks.clear();
            }
        }
    }

    private void drain() {
        try {
            Runnable task;
            int n = 0;
            while (n++ < BATCH && (task = tasks.poll()) != null) {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.warn("task failed", e);
                }
            }
        } finally {
            // Also when an Error escapes a task: it propagates to the delegate's thread, and the
            // tasks behind it still get a drain of their own instead of waiting for good.
            scheduled.set(false);
            if (!tasks.isEmpty()) {
                schedule();
            }
        }
    }
}

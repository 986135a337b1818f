package dev.conduit.client;

import dev.conduit.transport.Queues;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
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
 *
 * <p>Besides tasks it takes items for a fixed sink ({@link #submit}), queued in the same order: how
 * a subscription hands its messages over without a task object per message. The queue is a
 * multi-producer, single-consumer array queue (no node per item); the one consumer is whoever holds
 * {@code scheduled}.
 */
final class SerialExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);
    private static final int BATCH = 256;

    private final Executor delegate;
    private final @Nullable Consumer<Object> sink;
    /** Runnables, and items for {@link #sink}. */
    private final Queue<Object> tasks = Queues.mpsc();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable drain = this::drain;

    SerialExecutor(Executor delegate) {
        this(delegate, null);
    }

    /** With a sink for the items given to {@link #submit}, which must not be Runnables. */
    @SuppressWarnings("unchecked")
    <T> SerialExecutor(Executor delegate, @Nullable Consumer<T> sink) {
        this.delegate = delegate;
        this.sink = (Consumer<Object>) sink;
    }

    @Override
    public void execute(Runnable task) {
        tasks.offer(task);
        schedule();
    }

    /** Queues an item for the sink, in order with the tasks. */
    void submit(Object item) {
        tasks.offer(item);
        schedule();
    }

    /**
     * Queues an item for the sink, in order with the tasks, without starting a drain: the caller
     * must call {@link #kick()} afterwards (a batch of items then costs one hand-off to the
     * executor, not one each). A task given to {@link #execute} starts the drain as well.
     */
    void offer(Object item) {
        tasks.offer(item);
    }

    /** Makes sure what {@link #offer} queued is drained. */
    void kick() {
        schedule();
    }

    private void schedule() {
        if (scheduled.compareAndSet(false, true)) {
            try {
                delegate.execute(drain);
            } catch (RejectedExecutionException e) {
                // Still holding scheduled, so this thread is the queue's only consumer while it clears.
                log.debug("executor rejected a task; {} tasks dropped as the client is closed", tasks.size());
                tasks.clear();
                scheduled.set(false);
            }
        }
    }

    private void drain() {
        try {
            Object task;
            int n = 0;
            while (n++ < BATCH && (task = tasks.poll()) != null) {
                try {
                    if (task instanceof Runnable r) {
                        r.run();
                    } else {
                        Objects.requireNonNull(sink, "items are offered only with a sink").accept(task);
                    }
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

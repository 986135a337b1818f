package dev.conduit.client;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's executor, made safe against refusal: a task the executor rejects (a user executor
 * shut down before the client, or the client's own after it closed) still runs, on a new virtual
 * thread, so that no future's completion and no listener call is lost, and user code still never
 * runs on an I/O or clock thread. The first rejection is logged.
 *
 * <p>Thread-safe.
 */
final class RejectionSafeExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(RejectionSafeExecutor.class);

    private final Executor delegate;
    private final AtomicBoolean warned = new AtomicBoolean();

    private RejectionSafeExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    static Executor wrap(Executor executor) {
        return executor instanceof RejectionSafeExecutor ? executor : new RejectionSafeExecutor(executor);
    }

    @Override
    public void execute(Runnable task) {
        try {
            delegate.execute(task);
        } catch (RejectedExecutionException e) {
            if (warned.compareAndSet(false, true)) {
                log.warn("the client's executor rejected a task ({}); it and any later ones run on their own "
                        + "virtual threads", e.toString());
            }
            Thread.ofVirtual().name("conduit-rejected").start(task);
        }
    }
}

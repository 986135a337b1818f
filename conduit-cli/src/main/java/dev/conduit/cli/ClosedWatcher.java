package dev.conduit.cli;

import dev.conduit.client.ClientListener;
import dev.conduit.client.ConnectionClosedException;
import dev.conduit.client.ConnectionState;
import dev.conduit.protocol.ConduitException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Lets a long-running command wait until its connection closes or it is done, and then say why the
 * connection closed: the first error the client reported, or a plain "connection closed".
 */
final class ClosedWatcher implements ClientListener {
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicReference<ConduitException> firstError = new AtomicReference<>();

    @Override
    public void onError(ConduitException error) {
        firstError.compareAndSet(null, error);
    }

    @Override
    public void onStateChange(ConnectionState from, ConnectionState to) {
        if (to == ConnectionState.CLOSED) {
            closed.countDown();
        }
    }

    /** Ends {@link #await()} early: the command has done what it was asked. */
    void finish() {
        closed.countDown();
    }

    /** Waits until the connection closes or {@link #finish()} is called. */
    void await() throws InterruptedException {
        closed.await();
    }

    /** Why the connection closed, as the exception a command should end with. */
    ConduitException reason() {
        ConduitException e = firstError.get();
        return e != null ? e : new ConnectionClosedException("connection closed");
    }
}

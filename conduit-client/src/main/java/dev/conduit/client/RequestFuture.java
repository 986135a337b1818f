package dev.conduit.client;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A request's future, whose reply can be handed by the I/O thread straight to a thread blocked in
 * {@link #get()}, {@link #get(long, TimeUnit)} or {@link #join()}: that thread is woken at once,
 * without the hop through the client's executor that completing the future there costs (a wake-up
 * of an executor thread, which then wakes the blocked one), and completes the future itself. So
 * dependent stages never run on the I/O thread: they run on the executor as before, or, for a
 * handed reply, on the application's thread that was waiting.
 *
 * <p>One waiter at a time takes this path (the first to block); others wait as on any future. The
 * hand-over is a compare-and-set of {@link #waiter} from the waiting thread to {@link #HANDED}: the
 * I/O thread that wins it has handed the reply and the waiter must complete with it; a waiter that
 * leaves first (a timeout, an interrupt, the future completed another way) clears it, and the I/O
 * thread then completes through the executor.
 */
final class RequestFuture extends CompletableFuture<Message> {
    private static final VarHandle WAITER;
    private static final Object HANDED = new Object();

    static {
        try {
            WAITER = MethodHandles.lookup().findVarHandle(RequestFuture.class, "waiter", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Null, the thread blocked in a get or join, or {@link #HANDED}. */
    private volatile @Nullable Object waiter;
    /** The handed reply: written before {@link #waiter} becomes {@link #HANDED}, read after. */
    private @Nullable Message handed;

    /**
     * On the I/O thread: hands the reply to the thread blocked on this future, if one is.
     *
     * @return true if handed (the waiter completes the future); false if nobody waits on this path,
     *     and the caller completes it another way
     */
    boolean handToWaiter(Message reply) {
        if (!(waiter instanceof Thread t)) {
            return false;
        }
        handed = reply;
        if (!WAITER.compareAndSet(this, t, HANDED)) {
            handed = null;
            return false;
        }
        LockSupport.unpark(t);
        return true;
    }

    /** Whether a thread is blocked on this future on the hand-over path. */
    boolean hasWaiter() {
        return waiter instanceof Thread;
    }

    @Override
    public Message get() throws InterruptedException, ExecutionException {
        await(-1, true);
        return super.get();
    }

    @Override
    public Message get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        long nanos = unit.toNanos(timeout);
        if (!await(Math.max(0, nanos), true)) {
            return super.get(0, TimeUnit.NANOSECONDS); // completed meanwhile, or a TimeoutException
        }
        return super.get();
    }

    @Override
    public Message join() {
        try {
            await(-1, false);
        } catch (InterruptedException e) {
            throw new AssertionError(e); // not interruptible
        }
        return super.join();
    }

    /**
     * Blocks until the future is done or a reply is handed (then completes with it), or for at most
     * {@code nanos} (negative: no limit).
     *
     * @return false if the time ran out first; true otherwise (also when another thread holds the
     *     hand-over path: the caller then waits as on any future)
     */
    private boolean await(long nanos, boolean interruptible) throws InterruptedException {
        Thread me = Thread.currentThread();
        if (isDone() || !WAITER.compareAndSet(this, null, me)) {
            return true;
        }
        long deadline = nanos >= 0 ? System.nanoTime() + nanos : 0;
        boolean interrupted = false;
        boolean timedOut = false;
        while (waiter == me && !isDone()) {
            if (nanos >= 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    timedOut = true;
                    break;
                }
                LockSupport.parkNanos(this, left);
            } else {
                LockSupport.park(this);
            }
            if (Thread.interrupted()) {
                interrupted = true;
                if (interruptible) {
                    break;
                }
            }
        }
        if (!WAITER.compareAndSet(this, me, null)) { // handed: the reply is ours to complete with
            Message reply = handed;
            handed = null;
            super.complete(reply);
            timedOut = false;
        }
        if (interrupted) {
            if (interruptible && !isDone()) {
                throw new InterruptedException();
            }
            me.interrupt();
        }
        return !timedOut;
    }

    /** Wakes a waiter on the hand-over path when the future completes another way. */
    private void wakeWaiter() {
        if (waiter instanceof Thread t) {
            LockSupport.unpark(t);
        }
    }

    @Override
    public boolean complete(Message value) {
        boolean done = super.complete(value);
        wakeWaiter();
        return done;
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
        boolean done = super.completeExceptionally(ex);
        wakeWaiter();
        return done;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean done = super.cancel(mayInterruptIfRunning);
        wakeWaiter();
        return done;
    }

    @Override
    public void obtrudeValue(Message value) {
        super.obtrudeValue(value);
        wakeWaiter();
    }

    @Override
    public void obtrudeException(Throwable ex) {
        super.obtrudeException(ex);
        wakeWaiter();
    }
}

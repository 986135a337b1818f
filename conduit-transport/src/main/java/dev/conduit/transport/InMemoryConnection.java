package dev.conduit.transport;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolLimits;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One side of an in-memory pair. What one side sends lands in the other's inbox, which a single
 * task at a time drains on the executor: the peer's handler sees frames one by one, in order.
 *
 * <p>The inbox also carries this side's timer tasks ({@link #schedule}) and its close marker, so
 * everything that acts on the side's state (frames, timers, the close) runs in that one drain, one at
 * a time, as it does on a socket's event loop. Timer tasks keep running after the close (frames that
 * arrive then are discarded), because {@link Connection#schedule} promises they run regardless.
 * While reading is suspended ({@link #suspendReading}), frames and the close are set aside in
 * order and timers run ahead of them.
 *
 * <p>A handler that throws from {@link FrameHandler#onFrame} closes the pair, as over TCP: frames
 * after it are discarded and the handler's {@link FrameHandler#onClosed} receives the exception.
 */
final class InMemoryConnection implements Connection {
    private static final Logger log = LoggerFactory.getLogger(InMemoryConnection.class);
    /** Delivered to a side's own inbox after its last frame: tells its handler it is closed. */
    private static final Object CLOSED = new Object();

    private final String name;
    private final Executor executor;
    /** Only measures delays: when one has passed, the task is put in the inbox. */
    private final Clock clock;
    /** Frames, {@link Timer}s and {@link #CLOSED}, in arrival order. */
    private final Queue<Object> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Encoded size of the frames in the inbox, so that limits read the same as over TCP. */
    private final AtomicLong inboxBytes = new AtomicLong();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    @SuppressWarnings("NullAway.Init") // set by pair(), before either side is handed out
    private volatile InMemoryConnection peer;
    @SuppressWarnings("NullAway.Init") // set by pair(), before either side is handed out
    private volatile FrameHandler handler;
    /**
     * Set by the drain once the handler has been told it is closed: from then on the drain only runs
     * timer tasks. Read and written only inside the drain, which the {@link #draining} flag makes one
     * task at a time; the flag's compare-and-set orders one drain's writes before the next's reads.
     */
    private boolean finished;
    /**
     * Set by {@link #suspendReading}: frames and the close then wait in {@link #held}, in order,
     * while timers still run (so that a task scheduled to resume reading can).
     */
    private volatile boolean readingSuspended;
    /** What arrived while reading was suspended; used only inside the drain. */
    private final java.util.ArrayDeque<Object> held = new java.util.ArrayDeque<>();

    InMemoryConnection(String name, Executor executor, Clock clock) {
        this.name = name;
        this.executor = executor;
        this.clock = clock;
    }

    void join(InMemoryConnection other) {
        this.peer = other;
    }

    void start(FrameHandler h) {
        this.handler = h;
        scheduleDrain();
    }

    @Override
    public boolean send(Frame frame) {
        if (closed.get()) {
            return false;
        }
        peer.deliver(frame);
        return true;
    }

    @Override
    public void sendAndClose(Frame frame) {
        send(frame);
        close();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            deliver(CLOSED);
            peer.closeFromPeer();
        }
    }

    /** Nothing waits in a socket buffer here, so aborting is closing. */
    @Override
    public void abort() {
        close();
    }

    private void closeFromPeer() {
        if (closed.compareAndSet(false, true)) {
            deliver(CLOSED);
        }
    }

    private void deliver(Object item) {
        if (item instanceof Frame f) {
            inboxBytes.addAndGet(FrameCodec.encodedLength(f));
        }
        inbox.offer(item);
        scheduleDrain();
    }

    private void scheduleDrain() {
        if (handler != null && draining.compareAndSet(false, true)) {
            executor.execute(this::drain);
        }
    }

    private void drain() {
        FrameHandler h = handler;
        // A frame was handed over and no onReadComplete followed yet (timers ran behind it).
        boolean unread = false;
        try {
            while (true) {
                Object item;
                if (!readingSuspended && !held.isEmpty()) {
                    item = held.poll();
                } else {
                    item = inbox.poll();
                    if (item == null) {
                        if (unread && !finished) {
                            unread = false;
                            h.onReadComplete(); // the read ends when the inbox is empty, timers or not
                        }
                        break;
                    }
                    if (readingSuspended && !(item instanceof Timer)) {
                        held.add(item); // frames and the close wait; timers (the resume among them) run
                        continue;
                    }
                }
                if (item instanceof Timer timer) {
                    timer.run();
                } else if (item instanceof Frame frame) {
                    inboxBytes.addAndGet(-FrameCodec.encodedLength(frame));
                    if (!finished) {
                        deliverToHandler(h, frame);
                        unread = true;
                        if (!finished && inbox.isEmpty() && (held.isEmpty() || readingSuspended)) {
                            unread = false;
                            h.onReadComplete();
                        }
                    }
                } else if (item == CLOSED && !finished) {
                    finish(h, null);
                }
            }
        } finally {
            // Even if something escaped (a VirtualMachineError), the next item gets its own drain.
            draining.set(false);
            if (!inbox.isEmpty() || (!readingSuspended && !held.isEmpty())) {
                scheduleDrain();
            }
        }
    }

    private void deliverToHandler(FrameHandler h, Frame frame) {
        try {
            h.onFrame(frame);
        } catch (RuntimeException | Error e) {
            // As over TCP, where the channel closes and the handler hears why: the pair closes, the
            // frames behind this one are discarded, and the drain goes on (for timers), not wedged.
            log.debug("{}: handler failed on {}; closing", name, frame.getClass().getSimpleName(), e);
            if (closed.compareAndSet(false, true)) {
                peer.closeFromPeer();
            }
            finish(h, e);
            if (e instanceof VirtualMachineError vme) {
                throw vme;
            }
        }
    }

    private void finish(FrameHandler h, @Nullable Throwable cause) {
        finished = true;
        closeFuture.complete(null);
        try {
            h.onClosed(cause);
        } catch (RuntimeException e) {
            log.warn("{}: handler failed in onClosed", name, e);
        }
    }

    @Override
    public boolean isOpen() {
        return !closed.get();
    }

    /** What this side sent that the peer has not handled yet, in encoded bytes. */
    @Override
    public long pendingOutboundBytes() {
        InMemoryConnection p = peer;
        return p == null ? 0 : p.inboxBytes.get();
    }

    @Override
    public void inboundLimits(ProtocolLimits limits) {
        // Frames cross as objects; the sender checks sizes against the announced limits.
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    /**
     * When the delay has passed, the task joins this side's inbox behind the frames already there, and
     * runs in the drain, never at the same time as this side's handler. Cancelling it before it runs
     * (even once it is in the inbox) keeps it from running.
     */
    /** Into this side's inbox at once, as a timer that is already due; runs in the drain, in order. */
    @Override
    public void execute(Runnable task) {
        deliver(new Timer(task));
    }

    @Override
    public Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
        Timer timer = new Timer(task);
        timer.due = clock.schedule(() -> {
            try {
                deliver(timer);
            } catch (RejectedExecutionException e) {
                // The executor is shut down (the server stopped): nothing runs on it any more.
                log.debug("{}: timer task dropped, the executor is shut down", name);
            }
        }, delay, unit);
        return timer;
    }

    /** Frames and the close wait until {@link #resumeReading}; timers still run. */
    @Override
    public void suspendReading() {
        readingSuspended = true;
    }

    @Override
    public void resumeReading() {
        readingSuspended = false;
        try {
            scheduleDrain();
        } catch (RejectedExecutionException e) {
            log.debug("{}: not resuming, the executor is shut down", name);
        }
    }

    @Override
    public String remoteAddress() {
        return "in-process";
    }

    @Override
    public String transportName() {
        return "memory";
    }

    @Override
    public String toString() {
        return name;
    }

    /** A timer task in the inbox. */
    private final class Timer implements Cancellable {
        private final Runnable task;
        private volatile boolean cancelled;
        private volatile @Nullable Cancellable due;

        Timer(Runnable task) {
            this.task = task;
        }

        /** In the drain. A failing task is logged, as an event loop does, and the drain goes on. */
        void run() {
            if (cancelled) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                if (e instanceof VirtualMachineError vme) {
                    throw vme;
                }
                log.warn("{}: scheduled task failed", name, e);
            }
        }

        @Override
        public void cancel() {
            cancelled = true;
            Cancellable d = due;
            if (d != null) {
                d.cancel();
            }
        }
    }
}

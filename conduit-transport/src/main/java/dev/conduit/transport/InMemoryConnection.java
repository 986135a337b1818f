package dev.conduit.transport;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolLimits;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One side of an in-memory pair. What one side sends lands in the other's inbox, which a single
 * task at a time drains on the executor: the peer's handler sees frames one by one, in order.
 */
final class InMemoryConnection implements Connection {
    /** Delivered to a side's own inbox after its last frame: tells its handler it is closed. */
    private static final Object CLOSED = new Object();
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "conduit-memory-timer");
        t.setDaemon(true);
        return t;
    });

    private final String name;
    private final Executor executor;
    private final Queue<Object> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Encoded size of the frames in the inbox, so that limits read the same as over TCP. */
    private final AtomicLong inboxBytes = new AtomicLong();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private volatile InMemoryConnection peer;
    private volatile FrameHandler handler;

    InMemoryConnection(String name, Executor executor) {
        this.name = name;
        this.executor = executor;
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
        Object item;
        while ((item = inbox.poll()) != null) {
            if (item == CLOSED) {
                inbox.clear();
                closeFuture.complete(null);
                h.onClosed(null);
                return; // stays "draining" forever: nothing is delivered after close
            }
            Frame frame = (Frame) item;
            inboxBytes.addAndGet(-FrameCodec.encodedLength(frame));
            h.onFrame(frame);
            if (inbox.isEmpty()) {
                h.onReadComplete();
            }
        }
        draining.set(false);
        if (!inbox.isEmpty()) {
            scheduleDrain();
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

    @Override
    public Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
        ScheduledFuture<?> f = TIMER.schedule(() -> executor.execute(task), delay, unit);
        return () -> f.cancel(false);
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
}

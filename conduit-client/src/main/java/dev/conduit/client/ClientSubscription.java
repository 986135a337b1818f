package dev.conduit.client;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.MessageBody;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * One subscription of a {@link ConduitClient}. Messages arrive on the I/O thread ({@link
 * #onMessage}) and are handed to the handler in order through a {@link SerialExecutor} (as items for
 * its sink, {@link #handle}, not as a task each).
 *
 * <p>A reliable subscription ({@link Delivery#RELIABLE}) never drops: the server sends it no more
 * than its credit (a window of {@code maxPending} messages and {@code maxPendingBytes} payload bytes
 * beyond what the handler has taken), so its queue is bounded by that window, and the subscription
 * reports what the handler takes with CREDIT frames (docs/protocol.md section 7b). A lossy one lets
 * at most {@code maxPending} wait, and drops and reports the excess.
 *
 * <p>A pull subscription (made with {@link PullHandler#INSTANCE} as its handler) has no handler: its
 * messages wait in {@link #pulled} for {@link #next}, and a message counts as taken (for credit and
 * {@link #delivered()}) when {@code next} returns it, as when a handler has run on it. Its queue is
 * bounded the same way: by the credit window, or by {@code maxPending} for a lossy one.
 *
 * <p>Both sides count the messages delivered to the subscription since it began, identically, so an
 * automatic unsubscribe ({@link #unsubscribeAfter}) ends it at the same message on both.
 */
final class ClientSubscription implements Subscription {
    /** Marks the end of a pull subscription's queue, to wake {@link #next} callers. */
    @SuppressWarnings("NullAway") // a marker, compared by identity: never read
    private static final ReceivedMessage END = new ReceivedMessage(null, null);

    private final ConduitClient client;
    private final int id;
    /** Final but for the request inbox, which a new session moves ({@link #movedTo}). */
    private volatile String pattern;
    private final @Nullable String queueGroup;
    private final MessageHandler handler;
    private final SerialExecutor dispatch;
    /** Null for a handler subscription; for a pull one, its received messages and, once over, {@link #END}. */
    private final @Nullable BlockingQueue<ReceivedMessage> pulled;
    private final int maxPending;
    private final boolean disconnectWhenSlow;
    private final boolean reliable;
    private final long maxPendingBytes;
    /** Payload bytes queued for the handler. */
    private final AtomicLong pendingBytes = new AtomicLong();
    /** Messages and payload bytes the handler has taken since the subscription began, in all sessions. */
    private final AtomicLong consumed = new AtomicLong();
    private final AtomicLong consumedBytes = new AtomicLong();
    /** {@link #consumed} and {@link #consumedBytes} when the current session's SUBSCRIBE was made. */
    private volatile long consumedBase;
    private volatile long consumedBytesBase;
    /** The credit of the current session's SUBSCRIBE. */
    private volatile long windowMessages;
    private volatile long windowBytes;
    /** Totals last reported with CREDIT (relative to the bases); guarded by this. */
    private long reported;
    private long reportedBytes;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    /** Messages received from the server; written only by the connection's I/O thread. */
    private final AtomicLong received = new AtomicLong();
    /** Total received at which the subscription ends; Long.MAX_VALUE for never. */
    private volatile long limit = Long.MAX_VALUE;
    private volatile boolean active = true;
    /** See {@link #direct(Predicate)}; null for none. */
    private volatile @Nullable Predicate<ReceivedMessage> direct;
    /** Messages were queued since the last {@link #dispatch()}; used only by the I/O thread. */
    private boolean awaitingDispatch;

    ClientSubscription(ConduitClient client, int id, String pattern, @Nullable String queueGroup, MessageHandler handler,
                       java.util.concurrent.Executor executor, int maxPending, long maxPendingBytes,
                       Delivery delivery, boolean disconnectWhenSlow) {
        this.disconnectWhenSlow = disconnectWhenSlow;
        this.reliable = delivery == Delivery.RELIABLE && !disconnectWhenSlow;
        this.maxPendingBytes = maxPendingBytes;
        this.windowMessages = maxPending;
        this.windowBytes = maxPendingBytes;
        this.client = client;
        this.id = id;
        this.pattern = pattern;
        this.queueGroup = queueGroup;
        this.handler = handler;
        this.dispatch = new SerialExecutor(executor, this::handle);
        this.pulled = handler == PullHandler.INSTANCE ? new LinkedBlockingQueue<>() : null;
        this.maxPending = maxPending;
    }

    /**
     * Runs on the I/O thread: queues the message for the handler without starting the handler's
     * drain; the connection calls {@link #dispatch()} at the end of the read, so a batch of messages
     * costs one hand-off to the executor.
     *
     * @return true if the message was queued and this subscription now awaits {@link #dispatch()}
     *     (false if it already did, or the message was dropped)
     */
    boolean onMessage(MessageBody body) {
        if (!active) {
            return false;
        }
        long n = received.incrementAndGet();
        if (n >= limit) {
            end();
        }
        if (reliable) {
            // Never dropped: the server sent it within the credit, so the queue stays within the window.
            pending.incrementAndGet();
            pendingBytes.addAndGet(body.payloadLength());
        } else if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            if (dropped.getAndIncrement() == 0) {
                // Not through dispatch: that queue is stuck behind the handler that is too slow.
                client.reportSlowConsumer(this);
            }
            return false;
        }
        if (pulled != null) {
            pulled.add(new ReceivedMessage(client, body));
            return false;
        }
        ReceivedMessage message = new ReceivedMessage(client, body);
        Predicate<ReceivedMessage> direct = this.direct;
        if (direct != null && direct.test(message)) {
            taken(message, pending.decrementAndGet());
            return false;
        }
        dispatch.offer(message);
        if (awaitingDispatch) {
            return false;
        }
        awaitingDispatch = true;
        return true;
    }

    /**
     * Gives this subscription a test that {@link #onMessage} runs on the I/O thread before queueing a
     * message for the handler: a message it accepts (returns true for) has been dealt with and is not
     * queued. Internal code only (the request inbox): it must not run application code or block.
     */
    void direct(Predicate<ReceivedMessage> direct) {
        this.direct = direct;
    }

    /** On the I/O thread, at the end of a read: hands what {@link #onMessage} queued to the executor. */
    void dispatch() {
        awaitingDispatch = false;
        dispatch.kick();
    }

    /** The dispatch's sink: runs the handler on one message, on the client's executor. */
    void handle(ReceivedMessage message) {
        int left = pending.decrementAndGet();
        try {
            handler.onMessage(message);
        } catch (Exception | Error e) {
            if (e instanceof VirtualMachineError) {
                throw (Error) e;
            }
            client.notifyHandlerFailure(this, e);
        } finally {
            taken(message, left);
        }
    }

    /** Counts a message as taken by the handler or by {@link #next}, and reports credit when due. */
    private void taken(ReceivedMessage message, int left) {
        delivered.incrementAndGet();
        if (reliable) {
            int bytes = message.payloadLength();
            pendingBytes.addAndGet(-bytes);
            consumed.incrementAndGet();
            consumedBytes.addAndGet(bytes);
            reportCredit(left == 0);
        }
    }

    @Override
    public @Nullable Message next(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        if (pulled == null) {
            throw new IllegalStateException(this + " has a handler; next() is for subscriptions made without one");
        }
        long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            long left = deadline - System.nanoTime();
            ReceivedMessage m = left <= 0 ? pulled.poll() : pulled.poll(left, TimeUnit.NANOSECONDS);
            if (m == null) {
                return null;
            }
            if (m != END) {
                taken(m, pending.decrementAndGet());
                return m;
            }
            // Over: put the marker back for other callers; a message queued behind it is still returned.
            pulled.add(END);
            if (pulled.peek() == END) {
                return null;
            }
        }
    }

    /**
     * Tells the server what the handler has taken, once half of either window has been taken since
     * the last report, or when the queue ran empty with something unreported (so that a message too
     * big for what is left of the byte window is never stuck). On the handler's turn.
     */
    private synchronized void reportCredit(boolean idle) {
        long taken = consumed.get() - consumedBase;
        long takenBytes = consumedBytes.get() - consumedBytesBase;
        if (taken - reported >= Math.max(1, windowMessages / 2) || takenBytes - reportedBytes >= windowBytes / 2
                || (idle && (taken > reported || takenBytes > reportedBytes))) {
            if (active && client.sendCredit(new Frame.Credit(id, taken, takenBytes))) {
                reported = taken;
                reportedBytes = takenBytes;
            }
        }
    }

    /** The consumed totals of the current session, for the CREDIT sent again after a resume. */
    Frame.Credit creditFrame() {
        return new Frame.Credit(id, Math.max(0, consumed.get() - consumedBase),
                Math.max(0, consumedBytes.get() - consumedBytesBase));
    }

    boolean reliable() {
        return reliable;
    }

    Frame.Subscribe subscribeFrame() {
        return reliable ? Frame.Subscribe.reliable(id, pattern, queueGroup, windowMessages, windowBytes)
                : new Frame.Subscribe(id, pattern, queueGroup, disconnectWhenSlow);
    }

    /**
     * The frames that make this subscription again in a new session, whose server counts
     * deliveries from zero: SUBSCRIBE, and UNSUBSCRIBE with what is left of a limit. Resets the
     * count to match. On the I/O thread that will receive the new session's messages.
     */
    List<Frame> resubscribeFrames() {
        long got = received.getAndSet(0);
        if (reliable) {
            newSessionCredit();
        }
        long max = limit;
        if (max == Long.MAX_VALUE) {
            return List.of(subscribeFrame());
        }
        limit = max - got;
        return List.of(subscribeFrame(), new Frame.Unsubscribe(id, max - got));
    }

    /**
     * The new session counts from zero: what is still queued from the old one (read before the
     * consumed totals, so it is never under-counted) is taken from the window, and counts as consumed
     * in the new session once handled, so the queue stays within the first window.
     */
    private synchronized void newSessionCredit() {
        long queued = pending.get();
        long queuedBytes = pendingBytes.get();
        consumedBase = consumed.get();
        consumedBytesBase = consumedBytes.get();
        windowMessages = Math.max(1, maxPending - queued);
        windowBytes = Math.max(1, maxPendingBytes - queuedBytes);
        reported = 0;
        reportedBytes = 0;
    }

    /** Completes once every message handed to this subscription so far has been handled. */
    CompletableFuture<Void> idle() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        dispatch.execute(() -> f.complete(null));
        return f;
    }

    /** Messages dropped since the last call. */
    long takeDropped() {
        return dropped.getAndSet(0);
    }

    /** Marks the subscription over and forgets it; no frame is sent. */
    void end() {
        active = false;
        client.forget(this);
        if (pulled != null) {
            pulled.add(END);
        }
    }

    @Override
    public int id() {
        return id;
    }

    /** The request inbox moves under a new session's inbox prefix; under the client's monitor. */
    void movedTo(String newPattern) {
        this.pattern = newPattern;
    }

    @Override
    public String pattern() {
        return pattern;
    }

    @Override
    public @Nullable String queueGroup() {
        return queueGroup;
    }

    @Override
    public boolean isActive() {
        return active;
    }

    @Override
    public long delivered() {
        return delivered.get();
    }

    @Override
    public void unsubscribe() {
        if (active) {
            end();
            client.enqueue(new Frame.Unsubscribe(id, 0), null, 0, false);
        }
    }

    @Override
    public void unsubscribeAfter(long messages) {
        if (messages < 1 || messages > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("messages must be between 1 and 4294967295: " + messages);
        }
        if (!active) {
            return;
        }
        // The wire carries a total since subscribe; racing arrivals are counted the same on both sides.
        long total = received.get() + messages;
        if (total > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("subscription has already received " + received.get()
                    + " messages; " + messages + " more exceeds the protocol's 32-bit count");
        }
        limit = total;
        if (received.get() >= total) {
            end();
        }
        client.enqueue(new Frame.Unsubscribe(id, total), null, 0, false);
    }

    @Override
    public String toString() {
        return "Subscription[" + id + " " + pattern + (queueGroup == null ? "" : " queue " + queueGroup) + "]";
    }
}

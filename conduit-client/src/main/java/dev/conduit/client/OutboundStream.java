package dev.conduit.client;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.SequencedStream;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's outbound half: every sequenced frame (PUBLISH, SUBSCRIBE, UNSUBSCRIBE) from the moment
 * the client takes it until the server confirms it. Held in {@link #unacked} once sent (numbered,
 * replayed on a resume), in {@link #pending} while no connection is ready; both count against one
 * bound, {@link #bufferedBytes}, where {@link BufferFullPolicy} applies to publishes; on a ready
 * link a {@code WAIT} publisher is paced well before it ({@link #pace}). Also the
 * flushes waiting for confirmations and the expiry of buffered publishes with a time-to-live.
 *
 * <p>Threads: every field is guarded by the client's monitor (the {@link ClientSession} passed in),
 * which callers hold around each method unless the method says otherwise; a publisher waiting for
 * room waits on that monitor, which releases it. Its own timers (flush timeouts, expiry) take the
 * monitor briefly on the clock thread; futures complete and listeners are called through the
 * executor or the client's {@code events}, never under the monitor.
 */
final class OutboundStream {
    private static final Logger log = LoggerFactory.getLogger(OutboundStream.class);

    /** The monitor that guards this stream, and the owner of the lifecycle it checks. */
    private final ClientSession session;
    private final ClientOptions options;
    private final Clock clock;
    private final Executor executor;
    private final SerialExecutor events;
    /** Whether a PUBLISH is a request (requests are failed or re-sent by {@link Requests}, not here). */
    private final Predicate<Frame.Publish> isRequest;

    /**
     * Sent and not yet confirmed: numbered, held until the server's ACK, replayed on a resume. Its
     * bound is not used: {@link #bufferedBytes} bounds it together with {@link #pending}.
     */
    private final SequencedStream<Outgoing> unacked = new SequencedStream<>(Long.MAX_VALUE, o -> o.bytes);
    private final ArrayDeque<Outgoing> pending = new ArrayDeque<>();
    private long bufferedBytes;
    private int waiters;
    /** Publishers held at the pace mark ({@link #pace}). */
    private int pacers;
    /**
     * A pace wait ran out ({@code bufferFullWait} with nothing released): publishes are not paced
     * again until the server confirms down to the release mark or a new link opens, so that a stalled
     * server brings a publisher to the bound and its policy, not to one publish per {@code bufferFullWait}.
     */
    private boolean paceExpired;
    private final List<Flush> flushes = new ArrayList<>();
    private Connection.@Nullable Cancellable expiryTimer;
    private long expiryAt = Long.MAX_VALUE;
    /** The ready link's connection, where frames go at once; null while none is ready. */
    private @Nullable Connection connection;

    /** A sequenced frame waiting to be sent or confirmed. */
    private static final class Outgoing {
        Frame frame;
        final int bytes;
        final @Nullable CompletableFuture<Void> outcome;
        final long expiresAt;

        Outgoing(Frame frame, int bytes, @Nullable CompletableFuture<Void> outcome, long expiresAt) {
            this.frame = frame;
            this.bytes = bytes;
            this.outcome = outcome;
            this.expiresAt = expiresAt;
        }
    }

    /**
     * A {@link #flush} waiting for the server to confirm up to {@code target}. Its timer fails it only
     * when nothing more was confirmed for a whole timeout ({@code confirmed} is what had been when
     * the timer was set): a publisher held back by a subscriber's credit is slow, not failed.
     * Guarded by the client's monitor.
     */
    private static final class Flush {
        final long target;
        final CompletableFuture<Void> future;
        @SuppressWarnings("NullAway.Init") // armed as soon as it is made (armFlush)
        Connection.Cancellable timer;
        long confirmed;

        Flush(long target, CompletableFuture<Void> future, long confirmed) {
            this.target = target;
            this.future = future;
            this.confirmed = confirmed;
        }
    }

    OutboundStream(ClientSession session, ClientOptions options, Executor executor, SerialExecutor events,
                   Predicate<Frame.Publish> isRequest) {
        this.session = session;
        this.options = options;
        this.clock = options.clock();
        this.executor = executor;
        this.events = events;
        this.isRequest = isRequest;
    }

    // ---------------------------------------------------------------------------------------------
    // Taking frames

    /**
     * Takes a sequenced frame of {@code size} encoded bytes: sends it now if a connection is ready
     * and nothing waits before it, else holds it until one is. Only {@code bounded} frames are
     * refused or kept waiting by the buffer bound. The caller has checked that the client is not
     * closed.
     *
     * @return false if the buffer is full under {@link BufferFullPolicy#RETURN_FALSE}
     */
    boolean offer(Frame frame, int size, @Nullable CompletableFuture<Void> outcome, long ttlNanos, boolean bounded) {
        if (bounded && connection != null && !paceExpired && bufferedBytes > paceAbove()
                && options.bufferFull() == BufferFullPolicy.WAIT) {
            pace();
        }
        if (bounded && full(size)) {
            if (!waitForRoom(size)) {
                return false;
            }
        }
        long expiresAt = ttlNanos == 0 ? 0 : clock.nanoTime() + ttlNanos;
        Outgoing o = new Outgoing(frame, size, outcome, expiresAt);
        bufferedBytes += size;
        if (connection != null && pending.isEmpty()) {
            transmit(o);
        } else {
            pending.addLast(o);
            if (expiresAt != 0) {
                armExpiry(expiresAt);
            }
        }
        return true;
    }

    /** Applies the buffer-full policy. */
    private boolean waitForRoom(int size) {
        switch (options.bufferFull()) {
            case RETURN_FALSE -> {
                return false;
            }
            case THROW -> throw new BufferFullException(bufferFullMessage(size));
            case WAIT -> {
                Wait w;
                waiters++;
                try {
                    w = await(() -> !full(size));
                } finally {
                    waiters--;
                }
                return switch (w) {
                    case DONE -> true;
                    case TIMED_OUT -> throw new BufferFullException(bufferFullMessage(size) + " for "
                            + options.bufferFullWait().toMillis() + " ms");
                    case INTERRUPTED -> throw new BufferFullException(bufferFullMessage(size)
                            + "; interrupted while waiting");
                };
            }
            default -> throw new IllegalStateException(options.bufferFull().toString());
        }
    }

    /** Whether a frame of {@code size} bytes does not fit the bound (an empty buffer takes any one frame). */
    private boolean full(int size) {
        return bufferedBytes > 0 && bufferedBytes + size > options.maxBufferedBytes();
    }

    /** How a wait on the client's monitor ended. */
    private enum Wait { DONE, TIMED_OUT, INTERRUPTED }

    /**
     * Waits on the client's monitor until {@code done} holds or {@code bufferFullWait} has passed;
     * throws if the client closes meanwhile. An interrupt ends the wait and is kept.
     */
    private Wait await(BooleanSupplier done) {
        long deadline = clock.nanoTime() + options.bufferFullWait().toNanos();
        while (!done.getAsBoolean()) {
            session.requireNotClosed("send");
            long left = deadline - clock.nanoTime();
            if (left <= 0) {
                return Wait.TIMED_OUT;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(session, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Wait.INTERRUPTED;
            }
        }
        return Wait.DONE;
    }

    /**
     * Unconfirmed bytes on a ready link past which a {@link BufferFullPolicy#WAIT} publisher waits
     * ({@link #pace}): half the buffer's bound, at most {@link #PACE_CAP}.
     */
    private long paceAbove() {
        return Math.min(options.maxBufferedBytes() / 2, PACE_CAP);
    }

    /**
     * The most a ready link carries unconfirmed before a waiting publisher is held: at 16 B payloads
     * about 100,000 messages, far more than a round trip needs, where a publisher that ran up to the
     * whole 64 MiB bound held millions of objects that each young collection copied (docs/guarantees.md).
     * The rest of the bound is for an outage, when nothing is confirmed.
     */
    static final long PACE_CAP = 4L << 20;

    /**
     * Holds a publisher while the ready link carries more than {@link #paceAbove} unconfirmed, until
     * the server has confirmed down to half of it, the link is gone (the buffer's bound alone applies
     * then), or {@code bufferFullWait} has passed ({@link #paceExpired}). Then the publish goes on:
     * pacing slows a publisher but never fails it; only the bound does. An interrupt ends the wait
     * and is kept.
     */
    private void pace() {
        long release = paceAbove() / 2;
        pacers++;
        try {
            if (await(() -> connection == null || bufferedBytes <= release) == Wait.TIMED_OUT) {
                paceExpired = true;
            }
        } finally {
            pacers--;
        }
    }

    /** What a full buffer reports. May be called without the monitor (the count is then approximate). */
    String bufferFullMessage(int size) {
        return "buffer full: " + bufferedBytes + " bytes await confirmation and " + size + " more would exceed "
                + options.maxBufferedBytes();
    }

    /**
     * Bytes were freed: wakes publishers waiting for room, and paced ones once the count is under
     * the release mark, where a pace that ran out ({@link #paceExpired}) applies again.
     */
    private void wakeWaiters() {
        boolean released = bufferedBytes <= paceAbove() / 2;
        if (released) {
            paceExpired = false;
        }
        if (waiters > 0 || (pacers > 0 && released)) {
            session.notifyAll();
        }
    }

    /** Makes sure a timer fails buffered publishes when their time-to-live runs out. */
    private void armExpiry(long at) {
        if (at - expiryAt >= 0 && expiryTimer != null) {
            return;
        }
        if (expiryTimer != null) {
            expiryTimer.cancel();
        }
        expiryAt = at;
        expiryTimer = clock.scheduleAt(this::expireBuffered, at);
    }

    /** On the clock thread; takes the monitor. */
    private void expireBuffered() {
        List<Runnable> notices = new ArrayList<>();
        synchronized (session) {
            expiryTimer = null;
            expiryAt = Long.MAX_VALUE;
            long now = clock.nanoTime();
            long next = Long.MAX_VALUE;
            for (Iterator<Outgoing> it = pending.iterator(); it.hasNext(); ) {
                Outgoing o = it.next();
                if (o.expiresAt == 0) {
                    continue;
                }
                if (now - o.expiresAt >= 0) {
                    it.remove();
                    expired(o, notices);
                } else {
                    next = Math.min(next, o.expiresAt);
                }
            }
            if (next != Long.MAX_VALUE) {
                armExpiry(next);
            }
            wakeWaiters();
        }
        // Through the events queue: onPublishFailed is a listener call, serialized with the others.
        notices.forEach(events::execute);
    }

    private void expired(Outgoing o, List<Runnable> notices) {
        bufferedBytes -= o.bytes;
        if (o.frame instanceof Frame.Publish p) {
            PublishExpiredException e = new PublishExpiredException("publish to '" + p.body().subject()
                    + "' expired after waiting for a connection");
            if (o.outcome != null) {
                notices.add(() -> o.outcome.completeExceptionally(e));
            } else {
                notices.add(() -> options.listener().onPublishFailed(p.body().subject(), e));
            }
        }
    }

    /** Removes a request that timed out before it was sent, so it is never sent late. */
    void withdraw(Frame.Publish request) {
        for (Iterator<Outgoing> it = pending.iterator(); it.hasNext(); ) {
            Outgoing o = it.next();
            if (o.frame == request) {
                it.remove();
                bufferedBytes -= o.bytes;
                wakeWaiters();
                return;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Sending and confirming

    /** A link is ready: frames go to {@code c} from now on, starting with what waited, less what expired. */
    void open(Connection c, List<Runnable> notices) {
        connection = c;
        paceExpired = false;
        long now = clock.nanoTime();
        Outgoing o;
        while ((o = pending.poll()) != null) {
            if (o.expiresAt != 0 && now - o.expiresAt >= 0) {
                expired(o, notices);
            } else {
                transmit(o);
            }
        }
    }

    /** The ready link is gone: frames wait in {@link #pending} until the next {@link #open}. */
    void suspend() {
        connection = null;
        if (pacers > 0) {
            session.notifyAll(); // paced publishers go on: their frames wait in pending, within the bound
        }
    }

    /** Numbers and sends one frame on the ready connection. */
    private void transmit(Outgoing o) {
        if (o.frame instanceof Frame.Publish p) {
            // A PUBLISH states its number; one sent again after a resume keeps it (it is held as sent).
            o.frame = p.withSequence(unacked.sent() + 1);
        }
        unacked.send(o);
        Objects.requireNonNull(connection, "transmitted only on a ready connection").send(o.frame);
    }

    /**
     * The server resumed the session having received up to {@code lastReceived}: drops what that
     * confirms and sends the rest again on {@code c}, in order.
     *
     * @return false if the server's number is outside what this client holds (the caller drops the link)
     */
    boolean resume(long lastReceived, Connection c, List<Runnable> notices) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        SequencedStream.Replay replay = unacked.replayAfter(lastReceived, o -> confirmed(o, done), o -> c.send(o.frame));
        if (replay != SequencedStream.Replay.REPLAYED) {
            log.warn("server resumed at frame {} but this client holds {}..{}", lastReceived,
                    unacked.acknowledged() + 1, unacked.sent());
            return false;
        }
        confirmedUpTo(lastReceived, done, notices);
        return true;
    }

    /** How many frames are held sent and unconfirmed. */
    long held() {
        return unacked.held();
    }

    /**
     * The server's cumulative ACK up to {@code seq}.
     *
     * @return false if it confirms what was never sent (the caller drops the link)
     */
    boolean acknowledge(long seq, List<Runnable> notices) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        SequencedStream.Ack ack = unacked.acknowledge(seq, o -> confirmed(o, done));
        if (ack == SequencedStream.Ack.BEYOND_SENT || ack == SequencedStream.Ack.INVALID) {
            log.warn("server acknowledged frame {} but this client sent only {}", Long.toUnsignedString(seq),
                    unacked.sent());
            return false;
        }
        if (ack == SequencedStream.Ack.CONFIRMED) {
            confirmedUpTo(seq, done, notices);
        }
        return true;
    }

    /** One frame the server confirmed: its bytes are free; its future, if any, completes. */
    private void confirmed(Outgoing o, List<CompletableFuture<Void>> done) {
        bufferedBytes -= o.bytes;
        if (o.outcome != null) {
            done.add(o.outcome);
        }
    }

    /** The server confirmed everything up to {@code seq}: flushes that waited for it complete too. */
    private void confirmedUpTo(long seq, List<CompletableFuture<Void>> done, List<Runnable> notices) {
        for (Iterator<Flush> it = flushes.iterator(); it.hasNext(); ) {
            Flush f = it.next();
            if (f.target <= seq) {
                it.remove();
                f.timer.cancel();
                done.add(f.future);
            }
        }
        if (!done.isEmpty()) {
            notices.add(() -> done.forEach(f -> f.complete(null)));
        }
        wakeWaiters();
    }

    /**
     * A future that completes once the server confirms everything taken so far. The caller has
     * checked that the client is not closed.
     */
    CompletableFuture<Void> flush(Duration timeout) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        long target = unacked.sent() + pending.size();
        if (target == unacked.acknowledged()) {
            f.complete(null);
            return f;
        }
        Flush flush = new Flush(target, f, unacked.acknowledged());
        armFlush(flush, timeout);
        flushes.add(flush);
        return f;
    }

    /** The flush fails if nothing more is confirmed within {@code timeout}. */
    private void armFlush(Flush flush, Duration timeout) {
        flush.timer = clock.schedule(() -> {
            boolean failed;
            synchronized (session) {
                long confirmed = unacked.acknowledged();
                if (!flushes.contains(flush)) {
                    return;
                }
                if (confirmed > flush.confirmed) {
                    flush.confirmed = confirmed; // progress: the server is slow, not gone
                    armFlush(flush, timeout);
                    return;
                }
                failed = flushes.remove(flush);
            }
            if (failed) {
                executor.execute(() -> flush.future.completeExceptionally(new ConnectionClosedException(
                        "the server confirmed nothing for " + timeout.toMillis() + " ms")));
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    // ---------------------------------------------------------------------------------------------
    // A lost session, and the end

    /**
     * The session is lost: forgets what was sent and not confirmed, and returns its publishes (not
     * requests), adding the futures to fail to {@code failed}.
     */
    List<SessionLost.Unconfirmed> dropUnconfirmed(List<CompletableFuture<Void>> failed) {
        List<SessionLost.Unconfirmed> unconfirmed = new ArrayList<>();
        unacked.reset(o -> {
            bufferedBytes -= o.bytes;
            if (o.frame instanceof Frame.Publish p && !isRequest.test(p)) {
                MessageBody b = p.body();
                unconfirmed.add(new SessionLost.Unconfirmed(b.subject(), b.replyTo(), b.headers(), b.payload()));
                if (o.outcome != null) {
                    failed.add(o.outcome);
                }
            }
        });
        return unconfirmed;
    }

    /** Drops the requests still waiting to be sent: {@link Requests} fails or re-sends them. */
    void dropPendingRequests() {
        pending.removeIf(o -> {
            if (o.frame instanceof Frame.Publish p && isRequest.test(p)) {
                bufferedBytes -= o.bytes;
                return true;
            }
            return false;
        });
    }

    /** Whether subscription {@code id}'s SUBSCRIBE is still waiting to be sent. */
    boolean subscribeIsPending(int id) {
        for (Outgoing o : pending) {
            if (o.frame instanceof Frame.Subscribe s && s.subscriptionId() == id) {
                return true;
            }
        }
        return false;
    }

    /** Puts {@code frames} (counted, never refused) ahead of everything waiting to be sent. */
    void putFirst(List<Frame> frames) {
        ArrayDeque<Outgoing> rebuilt = new ArrayDeque<>();
        for (Frame f : frames) {
            int size = FrameCodec.encodedLength(f);
            bufferedBytes += size;
            rebuilt.add(new Outgoing(f, size, null, 0));
        }
        rebuilt.addAll(pending);
        pending.clear();
        pending.addAll(rebuilt);
    }

    /** Ends every flush waiting, adding its future to {@code failed}. */
    void failFlushes(List<CompletableFuture<Void>> failed) {
        for (Flush f : flushes) {
            f.timer.cancel();
            failed.add(f.future);
        }
        flushes.clear();
    }

    /**
     * The client closed: cancels the expiry timer and fails every publish (with a future or through
     * {@code onPublishFailed}) and flush still held, adding the calls to {@code notices}.
     */
    void close(ConnectionClosedException failure, List<Runnable> notices) {
        connection = null;
        if (expiryTimer != null) {
            expiryTimer.cancel();
        }
        Consumer<Outgoing> fail = o -> {
            if (o.frame instanceof Frame.Publish p && !isRequest.test(p)) {
                if (o.outcome != null) {
                    notices.add(() -> o.outcome.completeExceptionally(failure));
                } else {
                    notices.add(() -> options.listener().onPublishFailed(p.body().subject(), failure));
                }
            }
        };
        unacked.reset(fail);
        pending.forEach(fail);
        pending.clear();
        bufferedBytes = 0;
        for (Flush f : flushes) {
            f.timer.cancel();
            notices.add(() -> f.future.completeExceptionally(failure));
        }
        flushes.clear();
    }
}

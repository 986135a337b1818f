package dev.conduit.client;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.MessageBody;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The requests a client has in flight. All share one inbox subscription, {@code <inbox prefix>*},
 * made on first use, where the inbox prefix is the one the server assigned to the session in
 * WELCOME (such as {@code _INBOX.x7Gq.}; only this session may subscribe under it, and a new session
 * gets a new one); each request's reply subject is the inbox plus its own number, which is how a
 * reply or a NO_RESPONDERS frame finds its request. Many requests thus multiplex over one session
 * with one subscription, and, because the inbox is a subscription of the session, replies that
 * arrive while the connection is down are delivered after the resume.
 *
 * <p>Futures complete on the client's executor, never on the I/O thread. Deadlines use the
 * client's clock and are swept by one timer, not one scheduled task per request: each request
 * notes its deadline; the single sweep is armed for the earliest one (re-armed only when a request
 * comes due before it), fails every request due when it runs and re-arms for the next. A sweep
 * walks the requests in flight, and sweeps are at least {@link #SWEEP_SPACING_NANOS} apart, so a
 * request may time out up to that much after its deadline when many come due one after another.
 */
final class Requests {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The least time between two sweeps of the deadlines. */
    static final long SWEEP_SPACING_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ConduitClient client;
    private final Executor executor;
    private final Clock clock;
    /** The session's inbox prefix; replaced by each new session (under the client's monitor). */
    private volatile String inboxPrefix;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong();
    /** The inbox subscription, null until the first request. Written under this. */
    private volatile @Nullable ClientSubscription inbox;

    /** The sweep of the deadlines ({@link #sweep}): whether one is armed, for when, and when the last ran. */
    private final Object sweepLock = new Object();
    private Connection.@Nullable Cancellable sweepTimer; // guarded by sweepLock, as the three below
    private boolean armed;
    private long armedFor;
    private long lastSweep;
    private boolean swept;

    /** A request in flight; {@code deadline} in the clock's nanoseconds. */
    private record Pending(String subject, Frame.Publish frame, RequestFuture future,
                           long deadline, Duration timeout, boolean idempotent) {
    }

    /** What a lost session did to the requests in flight. */
    record Outcome(List<Frame.Publish> resend, int failed) {
    }

    Requests(ConduitClient client, Executor executor, Clock clock) {
        this.client = client;
        this.executor = executor;
        this.clock = clock;
        byte[] token = new byte[12];
        RANDOM.nextBytes(token);
        this.inboxPrefix = "_INBOX." + Base64.getUrlEncoder().withoutPadding().encodeToString(token) + ".";
    }

    /**
     * A new session began with the inbox prefix the server assigned (empty: none, keep ours). The
     * inbox subscription moves there, so that the client's re-subscription puts it under the new
     * prefix. Under the client's monitor, before the lost session's requests are collected.
     */
    void newSession(String assignedPrefix) {
        if (assignedPrefix.isEmpty() || assignedPrefix.equals(inboxPrefix)) {
            return;
        }
        synchronized (this) {
            inboxPrefix = assignedPrefix;
            if (inbox != null) {
                inbox.movedTo(assignedPrefix + "*");
            }
        }
    }

    CompletableFuture<Message> send(MessageBody request, Duration timeout, boolean idempotent) {
        ensureInbox();
        long id = nextId.incrementAndGet();
        String inboxPrefix = this.inboxPrefix;
        MessageBody body = request.withReplyTo(inboxPrefix + id); // the subject is not measured again
        Frame.Publish frame = new Frame.Publish(0, true, body);
        RequestFuture future = new RequestFuture();
        long deadline = clock.nanoTime() + timeout.toNanos();
        pending.put(id, new Pending(request.subject(), frame, future, deadline, timeout, idempotent));
        armFor(deadline); // after the put, so that the sweep it arms sees this request
        boolean taken;
        try {
            taken = client.enqueue(frame, null, 0, true);
        } catch (RuntimeException e) {
            pending.remove(id);
            throw e;
        }
        if (!taken) {
            pending.remove(id);
            future.completeExceptionally(new BufferFullException("buffer full: request to '" + request.subject()
                    + "' not sent"));
        }
        return future;
    }

    /** Makes sure a sweep runs by {@code deadline}: arms one unless one is armed for no later. */
    private void armFor(long deadline) {
        synchronized (sweepLock) {
            if (armed && armedFor - deadline <= 0) {
                return; // the common case: every request has the same timeout, so each is due after the one armed for
            }
            Connection.Cancellable previous = sweepTimer;
            if (armed && previous != null) {
                previous.cancel();
            }
            long at = deadline;
            if (swept && at - (lastSweep + SWEEP_SPACING_NANOS) < 0) {
                at = lastSweep + SWEEP_SPACING_NANOS;
            }
            armed = true;
            armedFor = at;
            sweepTimer = clock.scheduleAt(this::sweep, at);
        }
    }

    /**
     * On the clock's thread: fails every request whose deadline has passed (withdrawing it from the
     * buffer if it was not sent yet) and arms the sweep for the earliest deadline left.
     */
    private void sweep() {
        long now = clock.nanoTime();
        synchronized (sweepLock) {
            armed = false;
            swept = true;
            lastSweep = now;
        }
        boolean any = false;
        long next = 0;
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            if (p.deadline - now <= 0) {
                if (pending.remove(e.getKey(), p)) {
                    client.withdraw(p.frame);
                    executor.execute(() -> p.future.completeExceptionally(
                            new RequestTimeoutException(p.subject, p.timeout)));
                }
            } else if (!any || p.deadline - next < 0) {
                any = true;
                next = p.deadline;
            }
        }
        if (any) {
            armFor(next);
        }
    }

    private void ensureInbox() {
        if (inbox != null) {
            return;
        }
        synchronized (this) {
            if (inbox == null) {
                ClientSubscription s = client.subscribeInternal(inboxPrefix + "*", null, Delivery.RELIABLE, this::onReply,
                        false);
                s.direct(this::handOver);
                inbox = s;
            }
        }
    }

    boolean isInbox(ClientSubscription s) {
        return s == inbox;
    }

    /** Whether a frame is one of this client's requests (which report through their own futures). */
    boolean isRequest(Frame.Publish p) {
        return p.request();
    }

    /**
     * On the I/O thread, for each reply before it is queued for {@link #onReply}: if a thread is
     * blocked on the request's future, hands the reply to it directly (docs/concurrency.md, "Request
     * replies"). True if the reply was dealt with here.
     */
    private boolean handOver(Message reply) {
        Long id = idOf(reply.subject());
        if (id == null) {
            return false;
        }
        Pending p = pending.get(id);
        if (p == null || !p.future.hasWaiter() || !pending.remove(id, p)) {
            return false;
        }
        disarmIfIdle();
        if (!p.future.handToWaiter(reply)) {
            executor.execute(() -> p.future.complete(reply)); // the waiter left meanwhile
        }
        return true;
    }

    /** On the inbox subscription's executor: completes the request a reply is for. */
    private void onReply(Message reply) {
        Pending p = take(reply.subject());
        if (p != null) {
            p.future.complete(reply);
        }
    }

    /** On the I/O thread: fails the request whose reply subject nobody could answer. */
    void onNoResponders(String replySubject) {
        Pending p = take(replySubject);
        if (p != null) {
            executor.execute(() -> p.future.completeExceptionally(new NoRespondersException(p.subject)));
        }
    }

    /**
     * On the I/O thread: the server refused to route a publish to {@code subject} (403); the oldest
     * request in flight to that subject fails with it, at once rather than at its timeout.
     */
    void onDenied(String subject, ServerErrorException error) {
        for (var e : pending.entrySet()) {
            if (e.getValue().subject.equals(subject) && pending.remove(e.getKey(), e.getValue())) {
                Pending p = e.getValue();
                executor.execute(() -> p.future.completeExceptionally(error));
                return;
            }
        }
    }

    /** The request number in a reply subject under this session's inbox; null if it is not one. */
    private @Nullable Long idOf(String replySubject) {
        String inboxPrefix = this.inboxPrefix;
        if (!replySubject.startsWith(inboxPrefix)) {
            return null;
        }
        try {
            return Long.parseLong(replySubject, inboxPrefix.length(), replySubject.length(), 10);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private @Nullable Pending take(String replySubject) {
        Long id = idOf(replySubject);
        if (id == null) {
            return null;
        }
        Pending p = pending.remove(id);
        if (p != null) {
            disarmIfIdle();
        }
        return p;
    }

    /**
     * Cancels the armed sweep once no request is in flight, so that an idle client keeps no timer
     * (its clock holds only its heartbeat and renewal). The emptiness is read under the sweep's lock:
     * a request that {@link #send} puts before its {@link #armFor} either is seen here (nothing is
     * cancelled) or finds the sweep disarmed and arms its own.
     */
    private void disarmIfIdle() {
        synchronized (sweepLock) {
            Connection.Cancellable armedTimer = sweepTimer;
            if (armed && pending.isEmpty() && armedTimer != null) {
                armedTimer.cancel();
                armed = false;
            }
        }
    }

    /**
     * The session was lost with these requests in flight: an idempotent one is to be sent again
     * (returned), any other fails now. Called under the client's monitor.
     */
    Outcome sessionLost(SessionLostException failure) {
        List<Frame.Publish> resend = new ArrayList<>();
        int failed = 0;
        for (Map.Entry<Long, Pending> e : List.copyOf(pending.entrySet())) {
            Pending p = e.getValue();
            if (p.idempotent) {
                // Again under this session's inbox: the old one's reply subject would be refused.
                MessageBody b = p.frame.body();
                Frame.Publish again = new Frame.Publish(0, true,
                        b.withReplyTo(inboxPrefix + e.getKey()));
                if (pending.replace(e.getKey(), p, new Pending(p.subject, again, p.future, p.deadline, p.timeout, true))) {
                    resend.add(again);
                }
            } else if (pending.remove(e.getKey(), p)) {
                failed++;
                executor.execute(() -> p.future.completeExceptionally(failure));
            }
        }
        return new Outcome(resend, failed);
    }

    void failAll(RuntimeException failure) {
        for (Long id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                executor.execute(() -> p.future.completeExceptionally(failure));
            }
        }
    }

    /** Completes when every request now in flight has completed, however. */
    CompletableFuture<Void> allSettled() {
        return CompletableFuture.allOf(pending.values().stream()
                .map(p -> p.future.handle((m, e) -> null))
                .toArray(CompletableFuture[]::new));
    }
}

package dev.conduit.server;

import dev.conduit.protocol.MessageBody;
import dev.conduit.transport.Connection;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A subscription as the server holds it: which session, under which id, for which pattern and queue
 * group. Delivered from whatever I/O thread routes a publish, so its counters are atomic.
 *
 * <p>A <em>reliable</em> subscription (SUBSCRIBE with credit, docs/protocol.md section 7b) also
 * keeps its credit: the client's window, what was sent, what the client reported consumed, and the
 * messages held while the window is closed, with the publishers' connections waiting for them to
 * drain. All of that is touched only by the session's {@link SessionWriter}.
 */
final class ServerSubscription {
    final ServerSession session;
    final int id;
    final String pattern;
    /** The group this subscription belongs to, or {@code null}. Set by the index on insert. */
    QueueGroup group;
    private final String queueGroup;
    private final AtomicLong delivered = new AtomicLong();
    /** Total deliveries after which the subscription ends; Long.MAX_VALUE for never. */
    private volatile long limit = Long.MAX_VALUE;

    /** End the session rather than drop this subscription's messages when the session is too slow. */
    final boolean disconnectWhenSlow;
    /** Messages dropped since the last GAP; written by the session's writer, read by views on any thread. */
    private volatile long dropped;
    /**
     * Messages dropped since the last GAP by the publishers' threads themselves, without a hand-off
     * to the writer, while the session is over its bound ({@link SessionOutbound#deliver}).
     */
    private final AtomicLong droppedAtRouting = new AtomicLong();
    /** Deliveries routed to this subscription; a sample of them still goes to the writer while skipping. */
    private final AtomicLong routedCount = new AtomicLong();

    // Credit of a reliable subscription (windowMessages > 0); touched only by the session's writer.
    final long windowMessages;
    final long windowBytes;
    private long sentMessages;
    private long sentBytes;
    private long consumedMessages;
    private long consumedBytes;
    /** Messages the window has no room for yet, in order. */
    private final ArrayDeque<MessageBody> held = new ArrayDeque<>();
    /** Written by the writer; read by publishers' threads ({@link #overHeldBound}). */
    private volatile long heldBytes;
    /**
     * Publishers' connections not read until {@link #heldBytes} is back under half the bound. Added
     * to by the writer (a hold past the bound) and by publishers' threads ({@link #overHeldBound}).
     */
    private final Set<ServerConnection> waiters = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Payload bytes routed here and not yet taken by the session's writer; any thread. */
    private final AtomicLong routing = new AtomicLong();
    /** Clock nanos since which messages have been held without new credit; -1 when not stalled. */
    long stalledSince = -1;
    /** The timer that ends the subscription if the stall lasts; null when none is set. */
    Connection.Cancellable stallTimer;
    /** Ended by the server (stalled) or the session: nothing more is held or sent. */
    boolean ended;

    ServerSubscription(ServerSession session, int id, String pattern, String queueGroup, boolean disconnectWhenSlow,
                       long windowMessages, long windowBytes) {
        this.session = session;
        this.id = id;
        this.pattern = pattern;
        this.queueGroup = queueGroup;
        this.disconnectWhenSlow = disconnectWhenSlow;
        this.windowMessages = windowMessages;
        this.windowBytes = windowBytes;
    }

    ServerSubscription(ServerSession session, int id, String pattern, String queueGroup, boolean disconnectWhenSlow) {
        this(session, id, pattern, queueGroup, disconnectWhenSlow, 0, 0);
    }

    ServerSubscription(ServerSession session, int id, String pattern, String queueGroup) {
        this(session, id, pattern, queueGroup, false);
    }

    /** Credit-based (never skipped) rather than lossy. */
    boolean reliable() {
        return windowMessages > 0;
    }

    /** Whether the window has room for a message of {@code payloadBytes} now. */
    boolean mayStart(int payloadBytes) {
        if (sentMessages - consumedMessages >= windowMessages) {
            return false;
        }
        long inFlight = sentBytes - consumedBytes;
        return inFlight <= 0 || inFlight + payloadBytes <= windowBytes;
    }

    /** Counts a message sent against the window. */
    void sent(int payloadBytes) {
        sentMessages++;
        sentBytes += payloadBytes;
    }

    /**
     * The client's consumed totals (CREDIT); smaller totals than known are ignored.
     *
     * @return whether either total grew: new credit
     */
    boolean consumed(long messages, long bytes) {
        boolean more = messages > consumedMessages || bytes > consumedBytes;
        consumedMessages = Math.max(consumedMessages, messages);
        consumedBytes = Math.max(consumedBytes, bytes);
        return more;
    }

    /** Holds a message the window has no room for; returns the bytes now held. */
    long hold(MessageBody body) {
        held.addLast(body);
        heldBytes = heldBytes + body.payloadLength(); // one writer
        return heldBytes;
    }

    /** The oldest held message, or null. */
    MessageBody peekHeld() {
        return held.peekFirst();
    }

    MessageBody pollHeld() {
        MessageBody b = held.pollFirst();
        if (b != null) {
            heldBytes = heldBytes - b.payloadLength(); // one writer
        }
        return b;
    }

    boolean holding() {
        return !held.isEmpty();
    }

    long heldBytes() {
        return heldBytes;
    }

    /** Forgets what is held; returns how many messages that was. */
    long dropHeld() {
        long n = held.size();
        held.clear();
        heldBytes = 0;
        return n;
    }

    /** A publisher's connection to wake when the held bytes drain; whether it was not there yet. */
    boolean addWaiter(ServerConnection publisher) {
        return waiters.add(publisher);
    }

    boolean removeWaiter(ServerConnection publisher) {
        return waiters.remove(publisher);
    }

    boolean hasWaiters() {
        return !waiters.isEmpty();
    }

    /** Takes the waiting publishers, to wake them. */
    List<ServerConnection> takeWaiters() {
        if (waiters.isEmpty()) {
            return List.of();
        }
        List<ServerConnection> w = new ArrayList<>(waiters.size());
        for (ServerConnection c : waiters) {
            if (waiters.remove(c)) {
                w.add(c);
            }
        }
        return w;
    }

    /**
     * A publisher's thread routes {@code bytes} here: whether what is held plus what is on its way to
     * the writer passes {@code bound}, so that the publisher stops reading at once (as it did when
     * holding was decided while routing), not a read batch later.
     */
    boolean routed(int bytes, long bound) {
        return heldBytes + routing.addAndGet(bytes) > bound;
    }

    /** The writer took a routed message of {@code bytes}. */
    void taken(int bytes) {
        routing.addAndGet(-bytes);
    }

    /** Whether held and routed bytes are back under {@code bytes}. */
    boolean drainedTo(long bytes) {
        return heldBytes + routing.get() <= bytes;
    }

    /** Messages sent, not yet reported consumed: what the client may hold of this subscription. */
    long inFlightMessages() {
        return Math.max(0, sentMessages - consumedMessages);
    }

    void dropOne() {
        dropped = dropped + 1; // one writer: the session's
    }

    /**
     * Drops one message on a publisher's thread (the session is over its bound) unless this one is
     * the sample that goes on to the writer, which looks at the bound again; any thread.
     *
     * @return whether it was dropped here
     */
    boolean dropAtRouting(int sampleEvery) {
        if (routedCount.incrementAndGet() % sampleEvery == 0) {
            return false;
        }
        droppedAtRouting.incrementAndGet();
        return true;
    }

    /**
     * A message from another node of the cluster found this reliable subscription past its bound
     * (there is no publisher here to stop reading): not held, reported with the next GAP. Any thread.
     */
    void droppedRemote() {
        droppedAtRouting.incrementAndGet();
    }

    /** The messages dropped since the last call, by the writer and at routing; in the writer. */
    long takeDropped() {
        long d = dropped + droppedAtRouting.getAndSet(0);
        dropped = 0;
        return d;
    }

    /**
     * Whether the session can take new work now: attached to a connection (a queue group prefers
     * such members). A subscription without a session (index tests) counts as live.
     */
    boolean live() {
        return session == null || session.state() == ServerSession.State.ATTACHED;
    }

    /** Messages delivered since the subscription began. */
    long delivered() {
        return delivered.get();
    }

    /** Messages dropped and not yet reported by a GAP, as last written by the session's writer; any thread. */
    long droppedSinceGap() {
        return dropped + droppedAtRouting.get();
    }

    String queueGroup() {
        return queueGroup;
    }

    /**
     * Counts one delivery about to be made.
     *
     * @return -1 if the subscription had already reached its limit (do not deliver), 1 if this
     *         delivery is its last, 0 otherwise
     */
    int countDelivery() {
        long n = delivered.incrementAndGet();
        long max = limit;
        if (n > max) {
            return -1;
        }
        return n == max ? 1 : 0;
    }

    /** Ends the subscription once {@code total} messages have been delivered since it began. */
    boolean limitTo(long total) {
        limit = total;
        return delivered.get() >= total;
    }

    /** What a moved session takes along of this subscription (docs/cluster.md); in the session's writer. */
    SessionState.Sub snapshot() {
        return new SessionState.Sub(id, pattern, queueGroup, disconnectWhenSlow, windowMessages, windowBytes,
                sentMessages, sentBytes, consumedMessages, consumedBytes, delivered.get(), limit, droppedSinceGap(),
                List.copyOf(held));
    }

    /** Messages not held for this subscription while its session moved here; before the session is used. */
    void droppedWhileMoving(long n) {
        dropped = dropped + n;
    }

    /** A subscription of a session moved here, as {@link #snapshot} took it on the other server. */
    static ServerSubscription restored(ServerSession session, SessionState.Sub s) {
        ServerSubscription sub = new ServerSubscription(session, s.id(), s.pattern(), s.group(),
                s.disconnectWhenSlow(), s.windowMessages(), s.windowBytes());
        sub.sentMessages = s.sentMessages();
        sub.sentBytes = s.sentBytes();
        sub.consumedMessages = s.consumedMessages();
        sub.consumedBytes = s.consumedBytes();
        sub.delivered.set(s.delivered());
        sub.limit = s.limit();
        sub.dropped = s.dropped();
        for (MessageBody b : s.held()) {
            sub.hold(b);
        }
        return sub;
    }

    @Override
    public String toString() {
        return "sub " + id + " '" + pattern + "'" + (queueGroup == null ? "" : " queue " + queueGroup) + " of " + session;
    }
}

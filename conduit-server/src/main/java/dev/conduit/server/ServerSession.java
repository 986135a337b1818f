package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.transport.Connection;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's session: its subscriptions, and both directions of its sequenced frame stream. It
 * outlives its connections: when one drops without a goodbye, the session is <em>detached</em> and
 * kept for {@link ServerConfig#resumeWindow()}, buffering its deliveries, so that the client can
 * reconnect, name the last frame it received, and carry on with nothing lost or repeated.
 *
 * <p>Outbound, every sequenced frame (MESSAGE, NO_RESPONDERS, GAP) takes the next number and stays
 * in {@link #replay} until the client acknowledges it. Inbound, the session counts the client's
 * sequenced frames (PUBLISH, SUBSCRIBE, UNSUBSCRIBE), processes each once, and acknowledges them
 * once per read batch.
 *
 * <p>Threads and locks. Inbound frames arrive on the I/O thread of the attached connection; during
 * a resume an old connection's thread may still be delivering, so {@link #inLock} serializes inbound
 * processing and attachment changes, and frames from a connection that is no longer attached are
 * ignored. Deliveries come from any publisher's I/O thread and from timers; {@link #outLock}
 * serializes numbering, the replay buffer and writing, so numbers go out in order. Lock order is
 * always inLock, then outLock (routing under one session's inLock takes other sessions' outLocks,
 * never their inLocks), so no cycle can form.
 *
 * <p>Why one file past 600 lines: attachment, inbound, outbound and the few views for {@code
 * $SYS.stats} and {@code $SYS.api} all read and write the state guarded by these two locks; split
 * across classes, the locks and the fields they guard would have to be shared, and the lock order
 * could no longer be checked in one place.
 */
final class ServerSession {
    private static final Logger log = LoggerFactory.getLogger(ServerSession.class);

    /** ATTACHED to a connection, DETACHED while waiting for a resume, CLOSED for good. */
    enum State { ATTACHED, DETACHED, CLOSED }

    final String id;
    private final RoutingServer server;
    private final ServerConfig config;
    private final Map<Integer, ServerSubscription> subscriptions = new ConcurrentHashMap<>();
    /** Routing scratch space, used only under {@link #inLock}. */
    final List<ServerSubscription> targets = new ArrayList<>();
    private final Object inLock = new Object();
    private final Object outLock = new Object();

    // Guarded by inLock (written under both locks).
    private ServerConnection attached;
    private long inSeq;
    private long inAcked;

    // Guarded by outLock.
    private volatile State state = State.ATTACHED;
    private long outSeq;
    /** Sequenced frames sent or buffered and not yet acknowledged: numbers outSeq - size + 1 .. outSeq. */
    private final ArrayDeque<Frame> replay = new ArrayDeque<>();
    private long replayBytes;
    private Connection.Cancellable expiry;
    /** The session is over its bound: the slow-consumer policy applies until it catches up. */
    private boolean behind;
    private volatile String clientName;
    private String endReason;
    /** The session's inbound rate, or null if unlimited; guarded by inLock. */
    final RateLimiter rate;
    /** Traffic counters and the timed request, for metrics and {@code $SYS.stats}. */
    final SessionStats stats;
    /** The principal and its permissions; set before WELCOME, its credentials replaced on renewal. */
    private volatile SessionAccess access;
    /** Milliseconds the credentials of the next WELCOME are valid (0: no expiry); under inLock. */
    private long credentialsValidMillis;

    ServerSession(RoutingServer server, String id, ServerConnection first, String clientName) {
        this.server = server;
        this.config = server.config();
        this.id = id;
        this.attached = first;
        this.clientName = clientName;
        PeerLimits limits = config.peerLimits();
        this.rate = limits.rateLimited()
                ? new RateLimiter(limits.maxMessagesPerSecond(), limits.maxBytesPerSecond(), config.clock()) : null;
        this.stats = new SessionStats(config.clock().nanoTime());
        first.attachedTo(this);
    }

    // ---------------------------------------------------------------------------------------------
    // Principal and credentials

    /** Sets who the session acts for, before its first WELCOME. */
    void access(SessionAccess a, dev.conduit.server.spi.Principal principal) {
        synchronized (inLock) {
            this.access = a;
            credentialsValidMillis = a.credentials(principal, server.authentication().now(), this::credentialsExpired);
        }
    }

    String principalName() {
        return access.name();
    }

    /**
     * The client presented new credentials for the same principal (AUTH): replaces the expiry.
     *
     * @return milliseconds the new credentials are valid, 0 for no expiry
     */
    long renewed(dev.conduit.server.spi.Principal principal) {
        synchronized (inLock) {
            long valid = access.credentials(principal, server.authentication().now(), this::credentialsExpired);
            log.debug("{} renewed its credentials: valid {} ms", this, valid);
            return valid;
        }
    }

    /** The credentials' time is up without a renewal: the session ends with 419. Runs on the clock's thread. */
    private void credentialsExpired() {
        java.time.Instant exp = access.principal().expiresAt();
        if (exp == null || exp.isAfter(server.authentication().now())) {
            return; // renewed meanwhile
        }
        String message = "the credentials of " + access.name() + " expired at " + exp;
        ServerConnection c;
        synchronized (inLock) {
            c = attached;
        }
        if (c != null) {
            c.connection.schedule(() -> c.fatal(ErrorCode.CREDENTIALS_EXPIRED, message), 0, TimeUnit.NANOSECONDS);
        } else {
            end(message);
        }
    }

    void denied(ServerConnection from, String message) {
        access.logDenied(this, message);
        from.connection.send(new Frame.Error(ErrorCode.PERMISSION_DENIED, false, message));
    }

    // ---------------------------------------------------------------------------------------------
    // Attachment

    /** Sends WELCOME for a new session on its first connection. */
    void welcomeNew(int version) {
        synchronized (inLock) {
            synchronized (outLock) {
                attached.connection.send(welcome(version, false));
            }
        }
    }

    /**
     * Moves the session to a new connection whose client received everything up to {@code
     * lastReceived}: drops what that confirms, sends WELCOME (RESUMED) and replays the rest.
     *
     * @return null if resumed, else why the session cannot be resumed
     */
    String resume(ServerConnection to, long lastReceived, int version, String newClientName,
                  dev.conduit.server.spi.Principal principal) {
        ServerConnection old;
        synchronized (inLock) {
            synchronized (outLock) {
                if (state == State.CLOSED) {
                    return "the session has ended" + (endReason == null ? "" : " (" + endReason + ")");
                }
                long oldest = outSeq - replay.size(); // the highest number no longer held
                if (lastReceived < oldest || lastReceived > outSeq) {
                    return "the client names frame " + lastReceived + " but the server holds " + (oldest + 1) + ".."
                            + outSeq;
                }
                confirm(lastReceived);
                credentialsValidMillis = access.credentials(principal, server.authentication().now(),
                        this::credentialsExpired);
                old = attached;
                if (expiry != null) {
                    expiry.cancel();
                    expiry = null;
                }
                attached = to;
                clientName = newClientName;
                to.attachedTo(this);
                state = State.ATTACHED;
                stats.resumed();
                Connection c = to.connection;
                c.send(welcome(version, true));
                for (Frame f : replay) {
                    c.send(f);
                }
                log.debug("{} resumed: client had {}, replayed {} frames", this, lastReceived, replay.size());
            }
        }
        if (old != null) {
            // Half-open: the client gave up on a connection we still thought alive.
            old.connection.abort();
        }
        return null;
    }

    private Frame.Welcome welcome(int version, boolean resumed) {
        ProtocolLimits l = config.limits();
        return new Frame.Welcome(version, server.serverId(), id, server.epoch(), resumed, inSeq,
                l.maxPayloadBytes(), l.maxHeaderBytes(), l.maxSubjectBytes(),
                (int) config.heartbeatInterval().toMillis(), config.heartbeatMisses(), credentialsValidMillis);
    }

    /** The connection dropped without a goodbye: keep the session for a resume, within the window. */
    void detach(ServerConnection from, Throwable cause) {
        synchronized (inLock) {
            synchronized (outLock) {
                if (attached != from || state != State.ATTACHED) {
                    return;
                }
                attached = null;
                if (config.resumeWindow().isZero()) {
                    endLocked("connection lost and resumption is off");
                } else {
                    state = State.DETACHED;
                    expiry = config.clock().schedule(this::expire, config.resumeWindow().toNanos(), TimeUnit.NANOSECONDS);
                    log.debug("{} detached ({}); kept {} ms for a resume", this,
                            cause == null ? "closed" : cause.toString(), config.resumeWindow().toMillis());
                }
            }
        }
        if (state == State.CLOSED) {
            released();
        }
    }

    private void expire() {
        synchronized (inLock) {
            synchronized (outLock) {
                if (state != State.DETACHED) {
                    return;
                }
                endLocked("not resumed within " + config.resumeWindow().toMillis() + " ms");
            }
        }
        server.metrics().sessionLost();
        released();
    }

    /** Ends the session for good: its subscriptions go, its buffers are freed. Idempotent. */
    void end(String reason) {
        boolean ended;
        synchronized (inLock) {
            synchronized (outLock) {
                ended = state != State.CLOSED;
                if (ended) {
                    endLocked(reason);
                }
            }
        }
        if (ended) {
            released();
        }
    }

    private void endLocked(String reason) {
        state = State.CLOSED;
        endReason = reason;
        attached = null;
        replay.clear();
        replayBytes = 0;
        if (expiry != null) {
            expiry.cancel();
            expiry = null;
        }
        if (access != null) {
            access.cancelExpiry();
        }
        log.debug("{} ended: {}", this, reason);
    }

    /** After the session ended: unhooks it from routing, outside the locks. */
    private void released() {
        for (ServerSubscription sub : subscriptions.values()) {
            endSubscription(sub);
        }
        server.sessionEnded(this);
    }

    State state() {
        return state;
    }

    // ---------------------------------------------------------------------------------------------
    // Inbound

    /** A frame from a connection after its handshake; ignored unless that connection is attached. */
    void inbound(ServerConnection from, Frame frame) {
        synchronized (inLock) {
            if (attached != from) {
                return;
            }
            if (frame.sequenced()) {
                inSeq++;
                if (rate != null && rate.charge(frame instanceof Frame.Publish p ? p.body().encodedLength() : 0)) {
                    overRate(from);
                }
                if (frame instanceof Frame.Publish p && p.sequence() != 0 && p.sequence() != inSeq) {
                    from.fatal(ErrorCode.PROTOCOL_ERROR, "PUBLISH carries sequence " + p.sequence() + " where "
                            + inSeq + " was due");
                    return;
                }
            }
            switch (frame) {
                case Frame.Publish p -> publish(from, p);
                case Frame.Subscribe s -> subscribe(from, s);
                case Frame.Unsubscribe u -> unsubscribe(u);
                case Frame.Ack a -> acknowledged(from, a.sequence());
                default -> throw new IllegalArgumentException("not a session frame: " + frame.type());
            }
        }
    }

    /** End of a read batch: one ACK for every sequenced frame processed since the last one. */
    void acknowledge(ServerConnection from) {
        synchronized (inLock) {
            if (attached == from && inSeq > inAcked) {
                inAcked = inSeq;
                from.connection.send(new Frame.Ack(inSeq));
            }
        }
    }

    /**
     * A bucket ran dry under inLock: if the refill does not cover it, the connection stops reading
     * until it does, and the first time in an episode the client is told with a non-fatal 420. The
     * frame that ran it dry is still processed. Never disconnects.
     */
    private void overRate(ServerConnection from) {
        long wait = rate.check();
        if (wait == 0) {
            return;
        }
        String notice = null;
        if (rate.startEpisode()) {
            PeerLimits l = config.peerLimits();
            notice = "over the session's rate of "
                    + (l.maxMessagesPerSecond() > 0 ? l.maxMessagesPerSecond() + " messages/s (maxMessagesPerSecond)" : "")
                    + (l.maxMessagesPerSecond() > 0 && l.maxBytesPerSecond() > 0 ? " and " : "")
                    + (l.maxBytesPerSecond() > 0 ? l.maxBytesPerSecond() + " bytes/s (maxBytesPerSecond)" : "")
                    + ": reading from it is slowed until it is back under the rate";
        }
        from.suspendForRate(wait, notice);
    }

    /** While reading is suspended for the rate: how much longer, or 0 to read on. */
    long rateDebt(ServerConnection from) {
        synchronized (inLock) {
            return attached == from ? rate.check() : 0;
        }
    }

    /**
     * Whether {@code subject} has more than {@code max} tokens. One comparison for a subject too short
     * to have that many (each token is at least one character, plus a dot between two).
     */
    static boolean tooManyTokens(String subject, int max) {
        int length = subject.length();
        if (length < 2 * max + 1) {
            return false;
        }
        int tokens = 1;
        for (int i = 0; i < length; i++) {
            if (subject.charAt(i) == '.' && ++tokens > max) {
                return true;
            }
        }
        return false;
    }

    /** A 422 for a subject deeper than maxSubjectTokens; the frame is dropped, the session goes on. */
    private boolean subjectTooDeep(ServerConnection from, String what, String subject) {
        int max = config.peerLimits().maxSubjectTokens();
        if (subject == null || !tooManyTokens(subject, max)) {
            return false;
        }
        String shown = subject.length() > 64 ? subject.substring(0, 64) + "..." : subject;
        from.error(ErrorCode.INVALID_SUBJECT, what + " '" + shown + "' has more than the maximum of " + max
                + " tokens (maxSubjectTokens); dropped");
        return true;
    }

    private void publish(ServerConnection from, Frame.Publish p) {
        // TCP frames were checked by the decoder; in-process ones arrive as objects and are checked here.
        int max = config.limits().maxPayloadBytes();
        if (p.body().payloadLength() > max) {
            from.fatal(ErrorCode.PAYLOAD_TOO_LARGE, "payload of " + p.body().payloadLength()
                    + " bytes exceeds the maximum of " + max + " bytes");
            return;
        }
        if (subjectTooDeep(from, "subject", p.body().subject())
                || subjectTooDeep(from, "reply subject", p.body().replyTo())) {
            return;
        }
        if (SystemApi.handles(p.body().subject())) {
            server.systemApi().request(this, from, access, p.body());
            return;
        }
        String denied = access.checkPublish(p.body().subject());
        if (denied != null) {
            denied(from, denied);
            return;
        }
        server.route(this, p);
    }

    private void subscribe(ServerConnection from, Frame.Subscribe s) {
        if (subjectTooDeep(from, "pattern", s.pattern())) {
            return;
        }
        String denied = access.checkSubscribe(s.pattern());
        if (denied != null) {
            denied(from, denied);
            return;
        }
        int max = config.peerLimits().maxSubscriptionsPerSession();
        if (subscriptions.size() >= max && !subscriptions.containsKey(s.subscriptionId())) {
            // Only this SUBSCRIBE fails; an id in use is still a duplicate (409) below.
            from.error(ErrorCode.TOO_MANY_SUBSCRIPTIONS, "subscription " + s.subscriptionId() + " '" + s.pattern()
                    + "' refused: the session has its maximum of " + max + " subscriptions (maxSubscriptionsPerSession)");
            return;
        }
        ServerSubscription sub = new ServerSubscription(this, s.subscriptionId(), s.pattern(), s.queueGroup(),
                s.disconnectWhenSlow());
        if (subscriptions.putIfAbsent(s.subscriptionId(), sub) != null) {
            from.error(ErrorCode.DUPLICATE_SUBSCRIPTION, "subscription id " + s.subscriptionId() + " is already in use");
            return;
        }
        server.index().add(sub);
        server.systemSubscriptions(sub.pattern, 1);
    }

    private void unsubscribe(Frame.Unsubscribe u) {
        ServerSubscription sub = subscriptions.get(u.subscriptionId());
        if (sub == null) {
            return; // already ended, possibly by reaching its limit: nothing to do
        }
        if (u.afterMessages() == 0 || sub.limitTo(u.afterMessages())) {
            endSubscription(sub);
        }
    }

    private void endSubscription(ServerSubscription sub) {
        if (subscriptions.remove(sub.id, sub)) {
            server.index().remove(sub);
            server.systemSubscriptions(sub.pattern, -1);
        }
    }

    private void acknowledged(ServerConnection from, long seq) {
        synchronized (outLock) {
            if (seq > outSeq) {
                from.fatal(ErrorCode.PROTOCOL_ERROR, "ACK for frame " + seq + " but only " + outSeq + " were sent");
                return;
            }
            confirm(seq);
            if (behind && replayBytes <= config.maxPendingBytesPerConnection()) {
                // Caught up: report what was dropped now rather than with the next message, which may never come.
                behind = false;
                log.info("{} caught up", this);
                for (ServerSubscription sub : subscriptions.values()) {
                    long dropped = sub.takeDropped();
                    if (dropped > 0) {
                        sendSequenced(new Frame.Gap(sub.id, dropped));
                    }
                }
            }
        }
    }

    /** Drops every buffered frame up to {@code seq}; under outLock. */
    private void confirm(long seq) {
        long first = outSeq - replay.size() + 1;
        for (long n = first; n <= seq; n++) {
            replayBytes -= FrameCodec.encodedLength(replay.removeFirst());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Outbound

    /** Delivers a routed message; runs on the publisher's I/O thread. */
    void deliver(ServerSubscription sub, MessageBody body) {
        deliver(sub, body, true);
    }

    /**
     * Delivers a message.
     *
     * @param traffic whether it counts as traffic (messages out, round trips); the server's own
     *                messages ({@code $SYS.stats}, answers to {@code $SYS.api} requests) do not
     */
    void deliver(ServerSubscription sub, MessageBody body, boolean traffic) {
        boolean last;
        synchronized (outLock) {
            if (state == State.CLOSED) {
                return;
            }
            if (replayBytes > config.maxPendingBytesPerConnection()) {
                if (!tooSlow(sub, body)) {
                    return;
                }
            } else if (behind) {
                behind = false;
                log.info("{} caught up", this);
            }
            int count = sub.countDelivery();
            if (count < 0) {
                return;
            }
            long dropped = sub.takeDropped();
            if (dropped > 0) {
                sendSequenced(new Frame.Gap(sub.id, dropped));
            }
            sendSequenced(new Frame.Message(outSeq + 1, sub.id, body));
            if (traffic) {
                stats.delivered(body.payloadLength());
                long roundTrip = stats.replyDelivered(body.subject(), config.clock());
                if (roundTrip >= 0) {
                    server.metrics().roundTrip(roundTrip);
                }
            }
            last = count == 1;
            if (body.replyTo() != null && access.recordsResponses()) {
                access.granted(body.replyTo());
            }
        }
        if (last) {
            endSubscription(sub);
        }
    }

    /**
     * The session is over its bound when a message arrives for {@code sub}; under outLock. Applies
     * the subscription's policy.
     *
     * @return false: the message is not delivered
     */
    private boolean tooSlow(ServerSubscription sub, MessageBody body) {
        if (sub.disconnectWhenSlow) {
            String message = "more than " + config.maxPendingBytesPerConnection()
                    + " bytes delivered and not acknowledged: the subscriber is not keeping up (subscription "
                    + sub.id + " '" + sub.pattern + "', subject " + body.subject() + ")";
            server.countSlowConsumer(false);
            ServerConnection c = attached;
            if (c != null) {
                // The connection's own thread ends the session; fatal() takes the locks there.
                c.connection.schedule(() -> c.fatal(ErrorCode.SLOW_CONSUMER, message), 0, TimeUnit.NANOSECONDS);
            } else {
                log.warn("ending detached {}: {}", this, message);
                config.clock().schedule(() -> end(message), 0, TimeUnit.NANOSECONDS);
            }
            return false;
        }
        sub.dropOne();
        server.countSlowConsumer(true);
        if (!behind) {
            behind = true;
            log.warn("{} is not keeping up: more than {} bytes unacknowledged; dropping messages for its "
                    + "subscriptions (first: subscription {} '{}', subject {}) and reporting them with GAP",
                    this, config.maxPendingBytesPerConnection(), sub.id, sub.pattern, body.subject());
        }
        return false;
    }

    /**
     * Records, as a delivery latency, the time from {@code startNanos} to the moment what is queued
     * on the attached connection now has been written (a task run on the connection's thread after
     * the drain already scheduled).
     */
    void timeDelivery(long startNanos) {
        ServerConnection c;
        synchronized (outLock) {
            c = attached;
        }
        if (c != null) {
            c.connection.schedule(() -> server.metrics().delivered(config.clock().nanoTime() - startNanos), 0,
                    TimeUnit.NANOSECONDS);
        }
    }

    /** Tells a requester at once that nobody subscribes to its request's subject. */
    void noResponders(String replySubject) {
        synchronized (outLock) {
            if (state != State.CLOSED) {
                sendSequenced(new Frame.NoResponders(replySubject));
            }
        }
    }

    /** Numbers, buffers and (when attached) sends a sequenced frame; under outLock. */
    private void sendSequenced(Frame frame) {
        outSeq++;
        replay.addLast(frame);
        replayBytes += FrameCodec.encodedLength(frame);
        ServerConnection c = attached;
        if (c != null) {
            c.connection.send(frame);
        }
    }

    /** Server stopping: GOAWAY on the attached connection; the session ends with it. */
    void goAway(int drainMillis) {
        ServerConnection c;
        synchronized (inLock) {
            c = attached;
        }
        if (c != null) {
            c.goAway(drainMillis);
        } else {
            end("server stopping");
        }
    }

    /** What {@code $SYS.stats} shows of this session. */
    StatsPublisher.SessionInfo info() {
        synchronized (outLock) {
            ServerConnection c = attached;
            return new StatsPublisher.SessionInfo(id, clientName, state,
                    c == null ? null : c.connection.remoteAddress(), c == null ? null : c.connection.transportName(),
                    subscriptions.size(), replayBytes, stats);
        }
    }

    /** The session's subscriptions, for the session page ({@code $SYS.api.session}). */
    List<SystemApi.SubscriptionInfo> subscriptionInfos() {
        synchronized (outLock) { // the dropped counts are guarded by it
            List<SystemApi.SubscriptionInfo> out = new ArrayList<>(subscriptions.size());
            for (ServerSubscription sub : subscriptions.values()) {
                out.add(new SystemApi.SubscriptionInfo(sub.id, sub.pattern, sub.queueGroup(), sub.delivered(),
                        sub.droppedSinceGap(), sub.disconnectWhenSlow));
            }
            out.sort(java.util.Comparator.comparingInt(SystemApi.SubscriptionInfo::id));
            return out;
        }
    }

    /**
     * Ends the session at an administrator's request: an attached client is told with a fatal
     * {@code ERROR 200} (it may reconnect, as a new session), a detached session just ends.
     */
    void closeByAdministrator(String reason) {
        ServerConnection c;
        synchronized (inLock) {
            c = attached;
        }
        if (c != null) {
            // fatal() runs on the connection's own thread, as every other fatal.
            c.connection.schedule(() -> c.fatal(ErrorCode.NORMAL_CLOSE, reason), 0, TimeUnit.NANOSECONDS);
        } else {
            end(reason);
        }
    }

    int subscriptionCount() {
        return subscriptions.size();
    }

    long bufferedBytes() {
        synchronized (outLock) {
            return replayBytes;
        }
    }

    @Override
    public String toString() {
        ServerConnection c = attached;
        return "session " + id + " (" + clientName + (c == null ? ", detached" : " at " + c.connection.remoteAddress())
                + ")";
    }
}

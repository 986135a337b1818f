package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.protocol.SequencedStream;
import dev.conduit.protocol.ResumeToken;
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

    /** What {@link #resume} returns when the token is not the session's current one. */
    static final String WRONG_TOKEN = "the session is unknown, has ended, or the token is not its current one";
    /** Subjects under this prefix are inboxes: each session receives only under its own {@link #inboxPrefix}. */
    static final String INBOXES = "_INBOX.";

    /** The public id: shown in logs, {@code $SYS.stats} and metrics; it does not resume the session. */
    final String id;
    /** The inbox prefix announced in WELCOME; only this session may subscribe or receive under it. */
    final String inboxPrefix;
    private final RoutingServer server;
    private final ServerConfig config;
    private final Map<Integer, ServerSubscription> subscriptions = new ConcurrentHashMap<>();
    /** Routing scratch space, used only under {@link #inLock}. */
    final List<ServerSubscription> targets = new ArrayList<>();
    private final Object inLock = new Object();
    private final Object outLock = new Object();

    // Guarded by inLock (written under both locks).
    private ServerConnection attached;
    /** The client's sequenced frames received, and what was acknowledged of them. */
    private final SequencedStream.Receiver inbound = new SequencedStream.Receiver();
    /** The secret that resumes the session once; replaced by every resume. */
    private ResumeToken resumeToken;
    /**
     * Tokens issued before {@link #resumeToken} that the client may still hold: still accepted until
     * the client shows it read a newer one (its first frame on the connection the session is attached
     * to, {@link #welcomeRead}). Resumes race: a connection cut before the client read its WELCOME, or
     * a HELLO from an attempt the client gave up but that arrived late and took the session, must not
     * cost the session. At most {@value #MAX_UNCONFIRMED_TOKENS}, oldest dropped first. Under inLock.
     */
    private final ArrayDeque<ResumeToken> unconfirmedTokens = new ArrayDeque<>(MAX_UNCONFIRMED_TOKENS);
    private static final int MAX_UNCONFIRMED_TOKENS = 4;
    /**
     * Opened after a refused resume: kept detached only once its client has sent a sequenced frame,
     * so that resume guesses leave no sessions behind.
     */
    private boolean onceUsedOnly;

    // Guarded by outLock.
    private volatile State state = State.ATTACHED;
    /** Sequenced frames sent or buffered and not yet acknowledged, with their numbering. */
    private final SequencedStream<Frame> replay;
    private Connection.Cancellable expiry;
    /** The session is over its bound: the slow-consumer policy applies until it catches up. */
    private boolean behind;
    private volatile String clientName;
    private String endReason;
    /** Reply subjects of requests a queue group gave this session and it never received; set as it ends. */
    private List<String> unanswered = List.of();
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
        this.inboxPrefix = RoutingServer.newInboxPrefix();
        this.resumeToken = server.issueResumeToken(id);
        this.attached = first;
        this.clientName = clientName;
        PeerLimits limits = config.peerLimits();
        this.rate = limits.rateLimited()
                ? new RateLimiter(limits.maxMessagesPerSecond(), limits.maxBytesPerSecond(), config.clock()) : null;
        this.stats = new SessionStats(config.clock().nanoTime());
        // Bounded by deliver's slow-consumer policy, which looks at heldBytes() itself.
        this.replay = new SequencedStream<>(config.maxPendingBytesPerSession(), FrameCodec::encodedLength);
        first.attachedTo(this);
    }

    // ---------------------------------------------------------------------------------------------
    // Principal and credentials

    /** This session was opened after a refused resume; see {@link #onceUsedOnly}. Before its WELCOME. */
    void heldOnlyOnceUsed() {
        synchronized (inLock) {
            onceUsedOnly = true;
        }
    }

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
        server.audit().closed(access.principal(), c == null ? null : c.connection.remoteAddress(),
                c == null ? null : c.authScheme(), id, "expired");
        if (c != null) {
            c.connection.schedule(() -> c.fatal(ErrorCode.CREDENTIALS_EXPIRED, message), 0, TimeUnit.NANOSECONDS);
        } else {
            end(message);
        }
    }

    /**
     * Ends the session with 401 if {@code list} revokes its credentials: the attached connection gets
     * the ERROR and closes (on its own thread, as for an expiry); a detached session just ends. From
     * the thread that re-read the revocation file. A session without a principal yet (still in its
     * handshake) is left to the authentication, which reads the same list. Anonymous and in-process
     * sessions presented no credentials, so there is nothing to revoke.
     *
     * @return true if the session is being closed
     */
    boolean revokeIf(Revocations list) {
        SessionAccess a = access;
        if (a == null || state == State.CLOSED || a.name().equals(Authentication.IN_PROCESS)
                || a.name().equals(dev.conduit.server.spi.Principal.ANONYMOUS)) {
            return false;
        }
        String reason = list.reasonFor(a.principal());
        if (reason == null) {
            return false;
        }
        ServerConnection c;
        synchronized (inLock) {
            c = attached;
        }
        server.audit().closed(a.principal(), c == null ? null : c.connection.remoteAddress(),
                c == null ? null : c.authScheme(), id, "revoked");
        if (c != null) {
            c.connection.schedule(() -> c.fatal(ErrorCode.AUTHENTICATION_FAILED, reason), 0, TimeUnit.NANOSECONDS);
        } else {
            end(reason);
        }
        return true;
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
     * @return null if resumed, {@link #WRONG_TOKEN} if {@code token} is not the session's current
     *         one (the session is left as it was), else why its owner cannot resume it
     */
    String resume(ServerConnection to, ResumeToken token, long lastReceived, int version, String newClientName,
                  dev.conduit.server.spi.Principal principal) {
        ServerConnection old;
        synchronized (inLock) {
            synchronized (outLock) {
                // Checked and replaced under the lock: two connections with one token resume at most once.
                boolean known = resumeToken.sameSecret(token);
                for (ResumeToken t : unconfirmedTokens) {
                    known |= t.sameSecret(token); // no early exit: the time taken does not say which matched
                }
                if (state == State.CLOSED || !known) {
                    return WRONG_TOKEN;
                }
                List<Frame> again = new ArrayList<>(replay.held());
                long before = replay.heldBytes();
                if (replay.replayAfter(lastReceived, again::add) != SequencedStream.Replay.REPLAYED) {
                    return "the client names frame " + Long.toUnsignedString(lastReceived) + " but the server holds "
                            + (replay.acknowledged() + 1) + ".." + replay.sent();
                }
                server.budget().held(replay.heldBytes() - before, state == State.DETACHED);
                credentialsValidMillis = access.credentials(principal, server.authentication().now(),
                        this::credentialsExpired);
                old = attached;
                if (state == State.DETACHED) {
                    server.budget().moved(-replay.heldBytes());
                }
                if (unconfirmedTokens.size() == MAX_UNCONFIRMED_TOKENS) {
                    unconfirmedTokens.removeFirst();
                }
                unconfirmedTokens.addLast(resumeToken); // until the client shows it has the new one
                resumeToken = server.issueResumeToken(id);
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
                for (Frame f : again) {
                    c.send(f);
                }
                log.debug("{} resumed: client had {}, replayed {} frames", this, lastReceived, again.size());
            }
        }
        server.budget().gone(this);
        if (old != null) {
            // Half-open: the client gave up on a connection we still thought alive.
            old.connection.abort();
        }
        return null;
    }

    private Frame.Welcome welcome(int version, boolean resumed) {
        ProtocolLimits l = config.limits();
        return new Frame.Welcome(version, server.serverId(), id, server.epoch(), resumed, inbound.lastReceived(),
                l.maxPayloadBytes(), l.maxHeaderBytes(), l.maxSubjectBytes(),
                (int) config.heartbeatInterval().toMillis(), config.heartbeatMisses(), resumeToken, inboxPrefix,
                credentialsValidMillis);
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
                } else if (onceUsedOnly && inbound.lastReceived() == 0) {
                    endLocked("connection lost before its client used it (opened after a refused resume)");
                } else {
                    state = State.DETACHED;
                    server.budget().moved(replay.heldBytes());
                    expiry = config.clock().schedule(this::expire, config.resumeWindow().toNanos(), TimeUnit.NANOSECONDS);
                    log.debug("{} detached ({}); kept {} ms for a resume", this,
                            cause == null ? "closed" : cause.toString(), config.resumeWindow().toMillis());
                }
            }
        }
        if (state == State.CLOSED) {
            released();
        } else if (state == State.DETACHED) {
            server.budget().detached(this); // may end this or older detached sessions
        }
    }

    /**
     * A server-wide bound ({@link MemoryLimits}) ends this detached session; the client learns it
     * with 410 when it tries to resume. Does nothing if the session resumed or ended meanwhile.
     *
     * @return whether it ended the session
     */
    boolean evict(String reason) {
        synchronized (inLock) {
            synchronized (outLock) {
                if (state != State.DETACHED) {
                    return false;
                }
                endLocked(reason);
            }
        }
        log.debug("{} ended: {}", this, reason);
        released();
        return true;
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
        server.budget().held(-replay.heldBytes(), state == State.DETACHED);
        state = State.CLOSED;
        for (ServerSubscription sub : subscriptions.values()) {
            if (sub.reliable()) {
                server.metrics().held(-sub.heldBytes());
                sub.dropHeld();
            }
        }
        endReason = reason;
        attached = null;
        unanswered = unansweredRequests(); // forgets what the stream held
        if (expiry != null) {
            expiry.cancel();
            expiry = null;
        }
        if (access != null) {
            access.cancelExpiry();
        }
        log.debug("{} ended: {}", this, reason);
    }

    /**
     * The reply subjects of the requests held for this session's queue group members and not
     * acknowledged: no other member got them, so nobody will answer. Under outLock, as it ends.
     */
    private List<String> unansweredRequests() {
        List<String> replies = new ArrayList<>();
        replay.reset(f -> {
            if (f instanceof Frame.Message m && m.body().replyTo() != null) {
                ServerSubscription sub = subscriptions.get(m.subscriptionId());
                if (sub != null && sub.queueGroup() != null) {
                    replies.add(m.body().replyTo());
                }
            }
        });
        return replies.isEmpty() ? List.of() : replies;
    }

    /** After the session ended: unhooks it from routing and reports unanswered requests, outside the locks. */
    private void released() {
        for (ServerSubscription sub : subscriptions.values()) {
            endSubscription(sub);
        }
        server.sessionEnded(this);
        List<String> replies;
        synchronized (outLock) {
            replies = unanswered;
            unanswered = List.of();
        }
        if (!replies.isEmpty()) {
            server.requestsUnanswered(this, replies);
        }
    }

    State state() {
        return state;
    }

    // ---------------------------------------------------------------------------------------------
    // Inbound

    /** A frame from a connection after its handshake; ignored unless that connection is attached. */
    /**
     * The client sent its first frame on {@code from} after the WELCOME there: it has read that
     * WELCOME's token, so the one before it stops working. On the connection's thread.
     */
    void welcomeRead(ServerConnection from) {
        synchronized (inLock) {
            if (attached == from) {
                unconfirmedTokens.clear();
            }
        }
    }

    void inbound(ServerConnection from, Frame frame) {
        synchronized (inLock) {
            if (attached != from) {
                return;
            }
            if (frame.sequenced()) {
                long stated = frame instanceof Frame.Publish p ? p.sequence() : 0;
                if (inbound.receive(stated) != SequencedStream.Receiver.Received.IN_ORDER) {
                    from.fatal(ErrorCode.PROTOCOL_ERROR, "PUBLISH carries sequence " + Long.toUnsignedString(stated)
                            + " where " + (inbound.lastReceived() + 1) + " was due");
                    return;
                }
                if (rate != null && rate.charge(frame instanceof Frame.Publish p ? p.body().encodedLength() : 0)) {
                    overRate(from);
                }
            }
            switch (frame) {
                case Frame.Publish p -> publish(from, p);
                case Frame.Subscribe s -> subscribe(from, s);
                case Frame.Unsubscribe u -> unsubscribe(u);
                case Frame.Ack a -> acknowledged(from, a.sequence());
                case Frame.Credit c -> credit(c);
                default -> throw new IllegalArgumentException("not a session frame: " + frame.type());
            }
        }
    }

    /** End of a read batch: one ACK for every sequenced frame processed since the last one. */
    void acknowledge(ServerConnection from) {
        synchronized (inLock) {
            if (attached == from) {
                long due = inbound.ackDue();
                if (due != 0) {
                    from.connection.send(new Frame.Ack(due));
                }
            }
        }
    }

    /**
     * The decoder refused a PUBLISH or SUBSCRIBE from {@code from} with a non-fatal 422: it still
     * counts in the sequence, so that the client's numbers and the ACKs stay in step and a resume
     * does not send a frame that was already handled (docs/protocol.md 7a).
     */
    void refused(ServerConnection from) {
        synchronized (inLock) {
            if (attached == from) {
                inbound.receive(0);
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
        if (denied == null && p.body().replyTo() != null) {
            denied = checkReplyTo(p.body().subject(), p.body().replyTo());
        }
        if (denied != null) {
            denied(from, denied);
            return;
        }
        server.route(this, from, p);
    }

    /**
     * Null if a publish may name {@code replyTo} as its reply subject, else why not: it must be under
     * this session's inbox prefix, or (outside all inboxes) a subject the session may subscribe to,
     * so that nobody can have a reply (with an {@code allowResponses} grant) sent where they could
     * not publish or read themselves.
     */
    String checkReplyTo(String subject, String replyTo) {
        if (replyTo.startsWith(inboxPrefix)) {
            return null;
        }
        if (replyTo.startsWith(INBOXES) || access.checkSubscribe(replyTo) != null) {
            return "permission denied: publish to '" + subject + "' (its reply subject '" + replyTo
                    + "' is neither this session's inbox " + inboxPrefix + "* nor a subject it may subscribe to)";
        }
        return null;
    }

    /** Whether a message on {@code subject} may reach this session: inboxes only reach their owner. */
    boolean mayReceive(String subject) {
        return !subject.startsWith(INBOXES) || subject.startsWith(inboxPrefix);
    }

    private void subscribe(ServerConnection from, Frame.Subscribe s) {
        if (subjectTooDeep(from, "pattern", s.pattern())) {
            return;
        }
        // Its own inbox is the session's whatever its permissions; every other inbox is nobody else's.
        String denied = s.pattern().startsWith(inboxPrefix) ? null
                : s.pattern().startsWith(INBOXES)
                ? "permission denied: subscribe to '" + s.pattern() + "' (another session's inbox; this session's is "
                        + inboxPrefix + "*)"
                : access.checkSubscribe(s.pattern());
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
                s.disconnectWhenSlow(), s.creditMessages(), s.creditBytes());
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
        if (sub.reliable()) {
            List<ServerConnection> waiting;
            synchronized (outLock) {
                sub.ended = true;
                server.metrics().held(-sub.heldBytes());
                sub.dropHeld();
                stopStallTimer(sub);
                waiting = sub.takeWaiters();
            }
            wake(waiting, sub);
        }
    }

    private void acknowledged(ServerConnection from, long seq) {
        synchronized (outLock) {
            switch (confirm(seq)) {
                case BEYOND_SENT -> {
                    from.fatal(ErrorCode.PROTOCOL_ERROR, "ACK for frame " + seq + " but only " + replay.sent()
                            + " were sent");
                    return;
                }
                case INVALID -> {
                    from.fatal(ErrorCode.PROTOCOL_ERROR, "ACK for frame " + Long.toUnsignedString(seq)
                            + ": sequence numbers stay below 2^63");
                    return;
                }
                case CONFIRMED, STALE -> { }
            }
            if (behind && replay.heldBytes() <= config.maxPendingBytesPerSession()) {
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

    /** Drops every buffered frame up to {@code seq} and gives its bytes back to the budget; under outLock. */
    private SequencedStream.Ack confirm(long seq) {
        long before = replay.heldBytes();
        SequencedStream.Ack ack = replay.acknowledge(seq);
        long freed = before - replay.heldBytes();
        if (freed > 0) {
            server.budget().held(-freed, state == State.DETACHED);
        }
        return ack;
    }

    // ---------------------------------------------------------------------------------------------
    // Outbound

    /**
     * Delivers a routed message; runs on the publisher's I/O thread. A reliable subscription without
     * credit holds it instead; past its bound the publisher must wait.
     *
     * @param publisher the connection whose PUBLISH this is, to be woken when the subscription drains;
     *                  null for the server's own messages
     * @param traffic   whether it counts as traffic (messages out, round trips); the server's own
     *                  messages ({@code $SYS.stats}, answers to {@code $SYS.api} requests) do not
     * @return true if {@code publisher} must stop reading until woken ({@link ServerConnection#creditFreed})
     */
    boolean deliver(ServerSubscription sub, MessageBody body, ServerConnection publisher, boolean traffic) {
        boolean last;
        synchronized (outLock) {
            if (state == State.CLOSED) {
                return false;
            }
            if (sub.reliable()) {
                if (sub.ended) {
                    return false;
                }
                if (sub.holding() || !sub.mayStart(body.payloadLength())) {
                    return hold(sub, body, publisher);
                }
                last = emit(sub, body, traffic);
            } else {
                if (replay.heldBytes() > config.maxPendingBytesPerSession() || server.budget().over(replay.heldBytes())) {
                    if (!tooSlow(sub, body)) {
                        return false;
                    }
                } else if (behind) {
                    behind = false;
                    log.info("{} caught up", this);
                }
                last = emit(sub, body, traffic);
            }
        }
        if (last) {
            endSubscription(sub);
        }
        return false;
    }

    /**
     * Numbers and sends one MESSAGE for {@code sub} (after a GAP for what it dropped, if anything);
     * under outLock.
     *
     * @param traffic whether it counts as traffic (see {@link #deliver})
     * @return whether it was the subscription's last (its limit reached): end it outside the lock
     */
    private boolean emit(ServerSubscription sub, MessageBody body, boolean traffic) {
        int count = sub.countDelivery();
        if (count < 0) {
            return false;
        }
        long dropped = sub.takeDropped();
        if (dropped > 0) {
            sendSequenced(new Frame.Gap(sub.id, dropped));
        }
        if (sub.reliable()) {
            sub.sent(body.payloadLength());
        }
        sendSequenced(new Frame.Message(replay.sent() + 1, sub.id, body));
        if (traffic) {
            stats.delivered(body.payloadLength());
            long roundTrip = stats.replyDelivered(body.subject(), config.clock());
            if (roundTrip >= 0) {
                server.metrics().roundTrip(roundTrip);
            }
        }
        if (body.replyTo() != null && access.recordsResponses()) {
            access.granted(body.replyTo());
        }
        return count == 1;
    }

    /**
     * A reliable subscription has no credit for {@code body}: holds it, starts the stall clock, and
     * past the bound asks the publisher to wait; under outLock.
     */
    private boolean hold(ServerSubscription sub, MessageBody body, ServerConnection publisher) {
        boolean first = !sub.holding();
        long heldBytes = sub.hold(body);
        server.metrics().held(body.payloadLength());
        if (first) {
            startStall(sub);
        }
        if (heldBytes > config.flow().maxHeldBytesPerSubscription() && publisher != null) {
            sub.addWaiter(publisher);
            return true;
        }
        return false;
    }

    /** CREDIT from the client: sends what the new room allows, and wakes publishers once drained. */
    private void credit(Frame.Credit c) {
        ServerSubscription sub = subscriptions.get(c.subscriptionId());
        if (sub == null || !sub.reliable()) {
            return; // ended meanwhile, or lossy: nothing to pace
        }
        boolean last = false;
        List<ServerConnection> waiting = List.of();
        synchronized (outLock) {
            if (sub.ended || !sub.consumed(c.consumedMessages(), c.consumedBytes())) {
                return;
            }
            MessageBody next;
            while (!last && (next = sub.peekHeld()) != null && sub.mayStart(next.payloadLength())) {
                sub.pollHeld();
                server.metrics().held(-next.payloadLength());
                last = emit(sub, next, true); // held messages are clients' (the server's own are too few to hold)
            }
            if (sub.holding()) {
                sub.stalledSince = config.clock().nanoTime(); // credit came: the stall starts again
            } else {
                sub.stalledSince = -1;
                stopStallTimer(sub);
            }
            if (sub.heldBytes() <= config.flow().maxHeldBytesPerSubscription() / 2) {
                waiting = sub.takeWaiters();
            }
        }
        wake(waiting, sub);
        if (last) {
            endSubscription(sub);
        }
    }

    private static void wake(List<ServerConnection> waiting, ServerSubscription sub) {
        for (int i = 0; i < waiting.size(); i++) {
            waiting.get(i).creditFreed(sub);
        }
    }

    /** Messages are now held for {@code sub}: the stall clock runs until credit comes; under outLock. */
    private void startStall(ServerSubscription sub) {
        sub.stalledSince = config.clock().nanoTime();
        long stall = config.flow().maxStall().toNanos();
        if (stall > 0 && sub.stallTimer == null) {
            sub.stallTimer = config.clock().schedule(() -> stallCheck(sub), stall, TimeUnit.NANOSECONDS);
        }
    }

    private static void stopStallTimer(ServerSubscription sub) {
        if (sub.stallTimer != null) {
            sub.stallTimer.cancel();
            sub.stallTimer = null;
        }
    }

    /**
     * The stall timer fired: if credit came meanwhile, waits for the rest of the stall limit from
     * then; otherwise ends the subscription (GAP with ENDED, a non-fatal 429). On the clock's thread.
     */
    private void stallCheck(ServerSubscription sub) {
        long limit = config.flow().maxStall().toNanos();
        String message;
        synchronized (outLock) {
            sub.stallTimer = null;
            if (sub.ended || sub.stalledSince < 0 || state == State.CLOSED) {
                return;
            }
            long stalled = config.clock().nanoTime() - sub.stalledSince;
            if (stalled < limit) {
                sub.stallTimer = config.clock().schedule(() -> stallCheck(sub), limit - stalled, TimeUnit.NANOSECONDS);
                return;
            }
            long heldBytes = sub.heldBytes();
            long dropped = sub.dropHeld();
            server.metrics().held(-heldBytes);
            sub.ended = true;
            sendSequenced(new Frame.Gap(sub.id, dropped, true));
            message = "subscription " + sub.id + " '" + sub.pattern + "' of session " + id + " granted no credit for "
                    + TimeUnit.NANOSECONDS.toMillis(stalled) + " ms (maxStall): ended, " + dropped
                    + " held messages not delivered";
            ServerConnection c = attached;
            if (c != null) {
                c.connection.send(new Frame.Error(ErrorCode.SLOW_CONSUMER, false, message));
            }
        }
        server.metrics().stalled();
        server.limitLog("maxStall").note(this, message);
        endSubscription(sub);
    }

    /**
     * The session is over its bound when a message arrives for {@code sub}; under outLock. Applies
     * the subscription's policy.
     *
     * @return false: the message is not delivered
     */
    private boolean tooSlow(ServerSubscription sub, MessageBody body) {
        if (sub.disconnectWhenSlow) {
            String message = "more than " + config.maxPendingBytesPerSession()
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
                    this, config.maxPendingBytesPerSession(), sub.id, sub.pattern, body.subject());
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
        long before = replay.heldBytes();
        replay.send(frame); // whatever the bound: deliver applied the slow-consumer policy before
        server.budget().held(replay.heldBytes() - before, state == State.DETACHED);
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
                    subscriptions.size(), replay.heldBytes(), stats);
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
            return replay.heldBytes();
        }
    }

    @Override
    public String toString() {
        ServerConnection c = attached;
        return "session " + id + " (" + dev.conduit.transport.LogSafe.quote(clientName) + (c == null ? ", detached" : " at " + c.connection.remoteAddress())
                + ")";
    }
}

package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolLimits;
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
 * <p>This class holds who the session is and its attachment (new, resumed, detached, ended); its
 * parts hold the rest: {@link SessionInbound} counts the client's sequenced frames (PUBLISH,
 * SUBSCRIBE, UNSUBSCRIBE), processes each once and acknowledges them once per read batch;
 * {@link SessionOutbound} numbers every sequenced frame sent (MESSAGE, NO_RESPONDERS, GAP) and
 * holds it until the client acknowledges it, within the session's bounds; {@link SessionCredit}
 * paces reliable subscriptions by their credit.
 *
 * <p>Threads. Inbound frames arrive on the I/O thread of the attached connection; during a resume
 * an old connection's thread may still be delivering, so {@link #inLock} serializes inbound
 * processing and attachment changes, and frames from a connection that is no longer attached are
 * ignored. The outbound state has a single writer and no lock: {@link #writer} runs every change
 * to it on the owner connection's thread, in the order handed over (deliveries from any
 * publisher's thread, ACKs, CREDITs, timers, and the outbound side of attach, detach, resume and
 * end, which this class decides under inLock and hands over in that order). Routing under a
 * publisher's inLock only hands tasks to other sessions' writers, so no lock is held across
 * sessions.
 *
 * <p>Past 600 lines because every change of attachment (new, resumed, detached, moved to or from
 * another node of a cluster, ended, revoked, expired) is decided here under the one {@link #inLock},
 * with the tokens and the expiry it guards; the parts that stand alone live in SessionInbound,
 * SessionOutbound, SessionCredit and SessionMoves.
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
    final RoutingServer server;
    final ServerConfig config;
    final Map<Integer, ServerSubscription> subscriptions = new ConcurrentHashMap<>();
    /** Routing scratch space, used only under {@link #inLock}. */
    final List<ServerSubscription> targets = new ArrayList<>();
    /** Serializes inbound processing and changes of attachment. */
    final Object inLock = new Object();
    /** The single writer of the outbound state: {@link #outbound} and {@link #credit}. */
    final SessionWriter writer;
    final SessionInbound inbound;
    final SessionOutbound outbound;
    final SessionCredit credit;

    // Guarded by inLock.
    private ServerConnection attached;
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

    // Written under inLock.
    private volatile State state = State.ATTACHED;
    /**
     * Another server of the cluster claimed the session: kept while it moves (not ended when its
     * connection goes away with the server's stop).
     */
    volatile boolean moving;
    /**
     * While it moves, local publishes no longer reach its plain subscriptions: the claiming server
     * holds them from the same moment (docs/cluster.md). Set under the routing lock.
     */
    volatile boolean leaving;
    /**
     * A durable session this node kept after another node took it over, replaced here by the same
     * session taken back from the engine: it ends without ending the session in the engine.
     */
    volatile boolean handedOver;
    private Connection.Cancellable expiry;
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
        this(server, id, RoutingServer.newInboxPrefix(), first, clientName);
    }

    /**
     * A session another server of the cluster held, resumed here on {@code first} (docs/cluster.md):
     * its numbering, unacknowledged frames and subscriptions as {@code state} says. The caller
     * registers the subscriptions and sends the WELCOME ({@link #resumeMoved}).
     */
    ServerSession(RoutingServer server, SessionState state, ServerConnection first, ResumeToken presented) {
        this(server, state.id(), state.inboxPrefix(), first, state.clientName());
        inbound.restore(state.lastReceived());
        outbound.restore(state.acknowledged(), state.unacknowledged());
        unconfirmedTokens.addLast(presented); // a retry with it, if this connection drops before the WELCOME
        for (SessionState.Sub s : state.subscriptions()) {
            subscriptions.put(s.id(), ServerSubscription.restored(this, s));
        }
    }

    private ServerSession(RoutingServer server, String id, String inboxPrefix, ServerConnection first,
                          String clientName) {
        this.server = server;
        this.config = server.config();
        this.id = id;
        this.inboxPrefix = inboxPrefix;
        this.resumeToken = server.issueResumeToken(id);
        this.attached = first;
        this.clientName = clientName;
        PeerLimits limits = config.peerLimits();
        this.rate = limits.rateLimited()
                ? new RateLimiter(limits.maxMessagesPerSecond(), limits.maxBytesPerSecond(), config.clock()) : null;
        this.stats = new SessionStats(config.clock().nanoTime());
        this.inbound = new SessionInbound(this);
        this.writer = new SessionWriter(this, first);
        this.outbound = new SessionOutbound(this, writer, first);
        this.credit = new SessionCredit(this, writer);
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

    SessionAccess access() {
        return access;
    }

    /** The attached connection, or null; under either lock. */
    ServerConnection attached() {
        return attached;
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

    /** Sends WELCOME for a new session on its first connection (before it has anything to deliver). */
    void welcomeNew(int version) {
        synchronized (inLock) {
            if (server.durable) { // recorded before anything the session does: it is the first of its records
                server.backplane().durableOpened(id, inboxPrefix, access.name(), clientName, resumeToken.encoded());
            }
            attached.connection.send(welcome(version, false));
        }
    }

    /**
     * Moves the session to a new connection whose client received everything up to {@code
     * lastReceived}: sends WELCOME (RESUMED) and has the writer move to it, drop what that confirms
     * and replay the rest ({@link SessionOutbound#resumed}).
     *
     * @return null if resumed, {@link #WRONG_TOKEN} if {@code token} is not the session's current
     *         one (the session is left as it was), else why its owner cannot resume it
     */
    String resume(ServerConnection to, ResumeToken token, long lastReceived, int version, String newClientName,
                  dev.conduit.server.spi.Principal principal) {
        ServerConnection old;
        synchronized (inLock) {
            // Checked and replaced under the lock: two connections with one token resume at most once.
            boolean known = resumeToken.sameSecret(token);
            for (ResumeToken t : unconfirmedTokens) {
                known |= t.sameSecret(token); // no early exit: the time taken does not say which matched
            }
            if (state == State.CLOSED || !known) {
                return WRONG_TOKEN;
            }
            String mismatch = outbound.replayRefusal(lastReceived);
            if (mismatch != null) {
                return mismatch;
            }
            credentialsValidMillis = access.credentials(principal, server.authentication().now(),
                    this::credentialsExpired);
            old = attached;
            if (unconfirmedTokens.size() == MAX_UNCONFIRMED_TOKENS) {
                unconfirmedTokens.removeFirst();
            }
            unconfirmedTokens.addLast(resumeToken); // until the client shows it has the new one
            resumeToken = server.issueResumeToken(id);
            if (server.durable) {
                server.backplane().durableToken(id, resumeToken.encoded());
            }
            if (expiry != null) {
                expiry.cancel();
                expiry = null;
            }
            attached = to;
            clientName = newClientName;
            to.attachedTo(this);
            state = State.ATTACHED;
            stats.resumed();
            // WELCOME first, so that it precedes the ACK of this read and whatever the writer sends there.
            to.connection.send(welcome(version, true));
            outbound.resumed(to, lastReceived);
        }
        if (old != null) {
            // Half-open: the client gave up on a connection we still thought alive.
            old.connection.abort();
        }
        return null;
    }

    /**
     * Sends the WELCOME (RESUMED) of a session that moved here, and has the writer replay what
     * follows {@code lastReceived}; on the connection's thread, before anything is delivered to it.
     *
     * @return null if resumed, else why not (the caller ends the session)
     */
    String resumeMoved(ServerConnection to, long lastReceived, int version, dev.conduit.server.spi.Principal principal) {
        synchronized (inLock) {
            String mismatch = outbound.replayRefusal(lastReceived);
            if (mismatch != null) {
                return mismatch;
            }
            credentialsValidMillis = access.credentials(principal, server.authentication().now(),
                    this::credentialsExpired);
            stats.resumed();
            if (server.durable) {
                server.backplane().durableToken(id, resumeToken.encoded());
            }
            to.connection.send(welcome(version, true));
            outbound.resumed(to, lastReceived);
        }
        return null;
    }

    /** Whether {@code token} resumes this session (its current one, or one the client may not have replaced yet). */
    boolean tokenMatches(ResumeToken token) {
        synchronized (inLock) {
            boolean known = resumeToken.sameSecret(token);
            for (ResumeToken t : unconfirmedTokens) {
                known |= t.sameSecret(token);
            }
            return known && state != State.CLOSED;
        }
    }

    /**
     * Another server of the cluster claims this session (its client resumed there): the session
     * is kept, attached to nothing, while it moves; a connection it still has is closed (the client
     * gave up on it). The session's state is taken later, by {@link #moveAway}.
     */
    void claimed() {
        ServerConnection old;
        synchronized (inLock) {
            moving = true;
            old = attached;
        }
        if (old != null) {
            old.connection.abort(); // detaches the session; moving keeps it from ending
        }
    }

    /** The claim failed or was given up: the session stays here as it was. */
    void claimCancelled() {
        moving = false;
        leaving = false;
    }

    /**
     * Takes the session's state for the server that claimed it and ends it here, quietly: what it
     * holds moves along, so nothing is reported undelivered. The state is taken by the writer,
     * behind every delivery handed to it before this call.
     */
    java.util.concurrent.CompletableFuture<SessionState> moveAway() {
        java.util.concurrent.CompletableFuture<SessionState> taken = new java.util.concurrent.CompletableFuture<>();
        synchronized (inLock) {
            if (state == State.CLOSED) {
                taken.completeExceptionally(new IllegalStateException("session " + id + " has ended"));
                return taken;
            }
            outbound.movedAway(taken, clientName, access.name(), inbound.lastReceived());
            state = State.CLOSED;
            endReason = "moved to another server of the cluster";
            attached = null;
            if (expiry != null) {
                expiry.cancel();
                expiry = null;
            }
            access.cancelExpiry();
        }
        taken.whenComplete((st, e) -> {
            for (ServerSubscription sub : subscriptions.values()) {
                if (subscriptions.remove(sub.id, sub)) {
                    if (server.indexed(sub)) {
                        server.index().remove(sub);
                    }
                    server.systemSubscriptions(sub.pattern, -1);
                    server.interestChanged(sub, false);
                }
            }
            server.sessionEnded(this);
            log.debug("{} moved away", this);
        });
        return taken;
    }

    private Frame.Welcome welcome(int version, boolean resumed) {
        ProtocolLimits l = config.limits();
        return new Frame.Welcome(version, server.serverId(), id, server.epoch(), resumed, inbound.lastReceived(),
                l.maxPayloadBytes(), l.maxHeaderBytes(), l.maxSubjectBytes(),
                (int) config.heartbeatInterval().toMillis(), config.heartbeatMisses(), resumeToken, inboxPrefix,
                credentialsValidMillis, server.welcomeAlternates());
    }

    /** The connection dropped without a goodbye: keep the session for a resume, within the window. */
    void detach(ServerConnection from, Throwable cause) {
        boolean ended;
        synchronized (inLock) {
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
                outbound.detachedNow(); // then the budget may end this or older detached sessions
                expiry = config.clock().schedule(this::expire, config.resumeWindow().toNanos(), TimeUnit.NANOSECONDS);
                log.debug("{} detached ({}); kept {} ms for a resume", this,
                        cause == null ? "closed" : cause.toString(), config.resumeWindow().toMillis());
            }
            ended = state == State.CLOSED;
        }
        if (ended) {
            released();
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
            if (state != State.DETACHED) {
                return false;
            }
            endLocked(reason);
        }
        log.debug("{} ended: {}", this, reason);
        released();
        return true;
    }

    private void expire() {
        synchronized (inLock) {
            if (state != State.DETACHED) {
                return;
            }
            endLocked("not resumed within " + config.resumeWindow().toMillis() + " ms");
        }
        server.metrics().sessionLost();
        released();
    }

    /**
     * Ends the session after a resume that named frames it no longer holds, unless a connection
     * has it now: then the HELLO came late, from a connection its client had already given up on
     * (through a proxy, say), and the client, which confirmed those frames, goes on on the live one.
     *
     * @return whether it ended the session
     */
    boolean endAfterRefusedResume(String reason) {
        return endWhen(s -> s == State.DETACHED, reason);
    }

    /** Ends the session for good: its subscriptions go, its buffers are freed. Idempotent. */
    void end(String reason) {
        endWhen(s -> s != State.CLOSED, reason);
    }

    /** Ends the session if its state passes {@code when}, checked under the lock; returns whether it did. */
    private boolean endWhen(java.util.function.Predicate<State> when, String reason) {
        boolean ended;
        synchronized (inLock) {
            ended = when.test(state);
            if (ended) {
                endLocked(reason);
            }
        }
        if (ended) {
            released();
        }
        return ended;
    }

    private void endLocked(String reason) {
        // The writer frees what the stream held and reports the unanswered requests among it.
        outbound.ended(Map.copyOf(subscriptions));
        state = State.CLOSED;
        endReason = reason;
        attached = null;
        if (expiry != null) {
            expiry.cancel();
            expiry = null;
        }
        if (access != null) {
            access.cancelExpiry();
        }
        log.debug("{} ended: {}", this, reason);
    }

    /** After the session ended: unhooks it from routing, outside the lock. */
    private void released() {
        for (ServerSubscription sub : subscriptions.values()) {
            endSubscription(sub);
        }
        if (server.durable && !server.stopping() && !handedOver) {
            // For good: not a stop of this node, after which the session waits in the engine for a claim.
            server.backplane().durableEnded(id);
        }
        server.sessionEnded(this);
    }

    /**
     * A DISCONNECT_WHEN_SLOW subscription fell behind; from the writer. An attached session ends by a
     * fatal 429 on its connection's own thread, a detached one on the clock.
     */
    void endAsSlowConsumer(String message) {
        ServerConnection c;
        synchronized (inLock) {
            c = attached;
        }
        if (c != null) {
            c.connection.schedule(() -> c.fatal(ErrorCode.SLOW_CONSUMER, message), 0, TimeUnit.NANOSECONDS);
        } else {
            log.warn("ending detached {}: {}", this, message);
            config.clock().schedule(() -> end(message), 0, TimeUnit.NANOSECONDS);
        }
    }

    State state() {
        return state;
    }

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

    // ---------------------------------------------------------------------------------------------
    // The parts' entry points, for the connection and routing

    /** A frame from a connection after its handshake; ignored unless that connection is attached. */
    void inbound(ServerConnection from, Frame frame) {
        inbound.inbound(from, frame);
    }

    /** End of a read batch: one ACK for every sequenced frame processed since the last one. */
    void acknowledge(ServerConnection from) {
        inbound.acknowledge(from);
    }

    /** A frame the decoder refused with a non-fatal 422 still counts in the sequence. */
    void refused(ServerConnection from) {
        inbound.refused(from);
    }

    /** While reading is suspended for the rate: how much longer, or 0 to read on. */
    long rateDebt(ServerConnection from) {
        return inbound.rateDebt(from);
    }

    /** Whether a message on {@code subject} may reach this session: inboxes only reach their owner. */
    boolean mayReceive(String subject) {
        return !subject.startsWith(INBOXES) || subject.startsWith(inboxPrefix);
    }

    /** Ends one subscription: out of the index, its held messages dropped, its waiting publishers woken. */
    void endSubscription(ServerSubscription sub) {
        if (subscriptions.remove(sub.id, sub)) {
            if (server.indexed(sub)) {
                server.index().remove(sub);
            }
            server.systemSubscriptions(sub.pattern, -1);
            server.interestChanged(sub, false);
        }
        if (sub.reliable()) {
            credit.ended(sub);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Views and administration

    /** Server stopping: GOAWAY on the attached connection; the session ends with it. */
    void goAway(int drainMillis) {
        ServerConnection c;
        synchronized (inLock) {
            c = attached;
        }
        if (c != null) {
            c.goAway(drainMillis);
        } else if (!server.movesSessions()) {
            end("server stopping");
        }
    }

    /** What {@code $SYS.stats} shows of this session. */
    StatsPublisher.SessionInfo info() {
        synchronized (inLock) {
            ServerConnection c = attached;
            return new StatsPublisher.SessionInfo(id, clientName, state,
                    c == null ? null : c.connection.remoteAddress(), c == null ? null : c.connection.transportName(),
                    subscriptions.size(), outbound.bufferedBytes(), stats);
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
        return outbound.bufferedBytes();
    }

    @Override
    public String toString() {
        ServerConnection c = attached;
        return "session " + id + " (" + dev.conduit.transport.LogSafe.quote(clientName) + (c == null ? ", detached" : " at " + c.connection.remoteAddress())
                + ")";
    }
}

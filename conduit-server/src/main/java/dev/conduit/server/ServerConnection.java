package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameType;
import dev.conduit.protocol.InvalidSubjectException;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolVersion;
import dev.conduit.transport.Connection;
import dev.conduit.transport.FrameHandler;
import dev.conduit.transport.Heartbeat;
import dev.conduit.transport.TlsErrors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of one connection: its handshake, its heartbeat, and the hand-off of every
 * later frame to the {@link ServerSession} it is attached to. A session outlives its connections; a
 * connection belongs to one session at most, from WELCOME until it closes or another connection
 * resumes the session.
 *
 * <p>Threads: every handler method runs on the connection's I/O thread, one at a time; the
 * heartbeat's checks run on the clock's thread and only send or abort.
 *
 * <p>Past 600 lines: the handshake (with its wait while a cluster moves the session here),
 * authentication and renewal, the read-side limits (rate, PING backlog, credit and backplane
 * waits) and the leaving all act on this connection's one-thread state, and
 * the parts that stand alone already live apart ({@link ReadWakeups}, {@link SessionWriter},
 * {@link LimitLog}).
 */
final class ServerConnection implements FrameHandler {
    private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);
    /** While reading is suspended for the rate, the session's debt is looked at least this often. */
    private static final long MAX_RATE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The {@link LimitLog} kind of the authentication failure lines. */
    static final String AUTH_LOG = "authentication";

    /** AWAITING_HELLO, then ATTACHED (to {@link #session}), then CLOSED. */
    private enum State { AWAITING_HELLO, ATTACHED, CLOSED }

    final Connection connection;
    /** The peer's IP address as counted against maxConnectionsPerAddress; null in process. */
    final String remoteHost;
    private final RoutingServer server;
    private final ServerConfig config;
    /**
     * The handshake deadline; once cancelled, {@link #NO_TIMER}, so that an established connection
     * does not keep the cancelled task (and its event-loop entry) for its whole life. On the I/O thread.
     */
    private Connection.Cancellable handshakeTimer;
    private static final Connection.Cancellable NO_TIMER = () -> { };
    /** Written once on the I/O thread before ATTACHED; read by the session under its locks. */
    private volatile ServerSession session;

    /** The session attached to this connection, or null before the handshake. */
    ServerSession session() {
        return session;
    }
    private volatile State state = State.AWAITING_HELLO;
    /** When reading was suspended for the rate, or a PING last sent meanwhile; on the I/O thread. */
    private long lastRatePing;
    /** WELCOME was sent: the handshake deadline no longer applies. */
    private volatile boolean established;
    private volatile String clientName = "?";
    private Heartbeat heartbeat;
    /** The delayed 401 of a refusal, cancelled if the connection closes first; on the I/O thread. */
    private Connection.Cancellable pendingRefusal;
    /** The client said goodbye (GOAWAY): its session ends with this connection instead of waiting. */
    private volatile boolean leaving;
    /** The server is stopping (GOAWAY 503): with a cluster the session is kept, to move, not ended. */
    private volatile boolean stopping;
    /** A frame arrived after WELCOME; on the I/O thread. */
    private boolean spoke;
    /** Reading is suspended for the rate ({@link #suspendForRate}); on the I/O thread. */
    private boolean rateSuspended;
    /** Reading is suspended while a plug-in authenticates off the loop; on the I/O thread. */
    private boolean authSuspended;
    /**
     * Deliveries routed from this connection's PUBLISHes since it last gave the loop's other
     * connections a turn ({@link #routed}); on the I/O thread.
     */
    private int workSinceTurn;
    /** Reading is suspended until the loop has served its other connections ({@link #routed}). */
    private boolean yielded;
    /**
     * Deliveries one connection may route before the loop's other connections get a turn: a
     * publisher whose every message fans out to thousands of subscriptions cannot keep an event
     * loop from the rest of its connections for more than about this much work.
     */
    static final int DELIVERIES_PER_TURN = 16_384;
    /**
     * Reliable subscriptions over their held bound that this connection's publishes routed to:
     * reading is suspended while any is here (docs/protocol.md section 7b). On the I/O thread.
     */
    private final java.util.Set<Object> creditWaits = new java.util.HashSet<>();

    /** The writers this read's deliveries claimed, started at its end; on the I/O thread. */
    private final ReadWakeups wakeups = new ReadWakeups();

    ServerConnection(RoutingServer server, Connection connection) {
        this.server = server;
        this.config = server.config();
        this.connection = connection;
        this.remoteHost = connection.remoteHost();
        this.handshakeTimer = connection.schedule(this::handshakeExpired,
                config.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Queued outbound bytes past which the peer counts as not reading: the transport's write high mark. */
    static final long BACKED_UP_BYTES = 512 << 10;
    private static final int PONG_BYTES = dev.conduit.protocol.FrameCodec.encodedLength(new Frame.Pong(0));
    /** PONG bytes answered while the output was backed up; on the connection's thread only. */
    private long pongBacklog;

    /**
     * Takes over the start of {@code writer}'s drain, which a delivery from this connection's read
     * just claimed, until the end of the read ({@link ReadWakeups}); false (the caller starts it)
     * outside a read.
     */
    boolean wakeAtReadEnd(SessionWriter writer) {
        return wakeups.takeOver(writer);
    }

    @Override
    public void onFrame(Frame frame) {
        wakeups.reading();
        State s = state;
        if (s == State.CLOSED || leaving) {
            // Leaving: what the peer still sends while the connection closes is not processed, and
            // so not acknowledged; the client holds it and sends it again on its next session.
            return;
        }
        if (s == State.AWAITING_HELLO) {
            if (frame instanceof Frame.Hello hello) {
                hello(hello);
            } else {
                fatal(ErrorCode.UNEXPECTED_FRAME, "expected HELLO as the first frame, got " + frame.type());
            }
            return;
        }
        if (!spoke) {
            spoke = true; // its first frame after WELCOME: it has read the WELCOME's resume token
            session.welcomeRead(this);
        }
        switch (frame) {
            case Frame.Ping p -> pong(p);
            case Frame.Pong p -> { } // a sign of life, noted by onReadComplete
            case Frame.GoAway g -> {
                log.debug("{} is going away: {}", this, g.reason());
                leaving = true;
                session.end("client said goodbye");
                connection.close();
            }
            case Frame.Error e -> {
                server.limitLog("clientError").note(this, "reported error " + e.code() + ": " + e.message());
                if (e.fatal()) {
                    leaving = true;
                    session.end("client reported a fatal error");
                    connection.close();
                }
            }
            case Frame.Hello h -> fatal(ErrorCode.UNEXPECTED_FRAME, "a second HELLO");
            case Frame.Publish p -> session.inbound(this, p);
            case Frame.Subscribe sub -> session.inbound(this, sub);
            case Frame.Unsubscribe u -> session.inbound(this, u);
            case Frame.Ack a -> session.inbound(this, a);
            case Frame.Credit c -> session.inbound(this, c);
            case Frame.Auth a -> renew(a);
            default -> fatal(ErrorCode.UNEXPECTED_FRAME, frame.type() + " is not a frame a client may send");
        }
    }

    @Override
    public void onReadComplete() {
        wakeups.readEnded();
        Heartbeat h = heartbeat;
        if (h != null) {
            h.received();
        }
        ServerSession s = session;
        if (s != null && state == State.ATTACHED) {
            s.acknowledge(this);
        }
    }

    private void hello(Frame.Hello hello) {
        int version = ProtocolVersion.negotiate(hello.minVersion(), hello.maxVersion());
        if (version < 0) {
            fatal(ErrorCode.UNSUPPORTED_VERSION, "server speaks protocol versions " + ProtocolVersion.MIN + ".."
                    + ProtocolVersion.MAX + ", client offered " + hello.minVersion() + ".." + hello.maxVersion());
            return;
        }
        clientName = hello.clientName();
        authenticate(hello.authScheme(), hello.credentials(), false, auth -> authenticated(hello, version, auth));
    }

    /**
     * Checks credentials and hands the outcome to {@code then} on this connection's thread. The
     * built-in authenticators run here at once; a plug-in is user code, so it runs on a virtual
     * thread ({@link RoutingServer#authExecutor}) while reading from the connection is suspended
     * (what the peer sends meanwhile waits, unread), and the handshake goes on, here, once it
     * answers. A closed connection (handshake deadline, peer gone) drops the outcome. If the
     * executor refuses the task (the server is stopping), the credentials are refused as an error.
     */
    private void authenticate(String scheme, byte[] credentials, boolean renewal,
                              java.util.function.Consumer<Authentication.Outcome> then) {
        Authentication authentication = server.authentication();
        java.util.function.Supplier<Authentication.Outcome> check = renewal
                ? () -> authentication.renew(scheme, credentials, connection)
                : () -> authentication.authenticate(scheme, credentials, connection);
        if (!authentication.isPlugin(scheme)) {
            then.accept(check.get());
            return;
        }
        authSuspended = true;
        connection.suspendReading();
        try {
            server.authExecutor().execute(() -> continueWith(then, check.get()));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            continueWith(then, Authentication.Outcome.refused("error", "the server is stopping: no authentication"));
        }
    }

    /** Back on the connection's thread with an outcome: the handshake (or renewal) goes on, then reading. */
    private void continueWith(java.util.function.Consumer<Authentication.Outcome> then, Authentication.Outcome outcome) {
        connection.schedule(() -> {
            authSuspended = false;
            if (state != State.CLOSED) {
                then.accept(outcome);
            }
            if (!rateSuspended && creditWaits.isEmpty()) { // else whoever suspended reading resumes it
                connection.resumeReading();
            }
        }, 0, TimeUnit.NANOSECONDS);
    }

    /** HELLO's credentials checked: refuses, or opens (or resumes) the session and sends WELCOME. */
    private void authenticated(Frame.Hello hello, int version, Authentication.Outcome auth) {
        if (!auth.isAccepted()) {
            refuse(auth.tag(), auth.reason());
            return;
        }
        dev.conduit.server.spi.Principal principal = auth.principal();
        SessionMoves moves = server.moves();
        var claim = moves == null ? null : moves.claimElsewhere(hello, principal);
        if (claim != null) {
            // The session is on another node of the cluster: it moves here (SessionMoves) while
            // reading waits, then the handshake goes on here, as after a plug-in's answer.
            authSuspended = true;
            connection.suspendReading();
            claim.whenComplete((moved, failure) -> connection.schedule(() -> {
                authSuspended = false;
                if (state == State.CLOSED) {
                    if (moved != null) {
                        moved.installed().run();
                        log.warn("{} closed while its session moved here; the session is lost", this);
                    }
                    return;
                }
                String why = failure == null ? null : "it could not move from the node that held it: "
                        + (failure instanceof java.util.concurrent.CompletionException ce && ce.getCause() != null
                        ? ce.getCause().getMessage() : failure.getMessage());
                opened(hello, version, principal, moved, why);
                if (!rateSuspended && creditWaits.isEmpty()) {
                    connection.resumeReading();
                }
            }, 0, TimeUnit.NANOSECONDS));
            return;
        }
        opened(hello, version, principal, null, "the node that held it is gone");
    }

    /** Opens, resumes, or installs the session that moved here, and sends WELCOME. */
    private void opened(Frame.Hello hello, int version, dev.conduit.server.spi.Principal principal,
                        dev.conduit.server.spi.Backplane.@org.jspecify.annotations.Nullable Moved moved,
                        @org.jspecify.annotations.Nullable String elsewhere) {
        // Attached first, so that frames the session sends (WELCOME, then any replay) are not refused.
        state = State.ATTACHED;
        SessionMoves moves = server.moves();
        ServerSession s = moved != null && moves != null ? moves.openMoved(this, hello, version, principal, moved)
                : server.openSession(this, hello, version, principal, server.movesSessions() ? elsewhere : null);
        if (s == null) {
            state = State.CLOSED;
            return;
        }
        session = s;
        authScheme = schemeOf(hello.authScheme());
        server.audit().authenticated(principal, connection.remoteAddress(), authScheme, s.id,
                s.stats.resumes() > 0); // a new session has none yet
        // The deadline covers the whole handshake, authentication included: it ends with WELCOME.
        established = true;
        handshakeTimer.cancel();
        handshakeTimer = NO_TIMER;
        if (!config.heartbeatInterval().isZero()) {
            // On the connection's own loop (with the system clock): a PING leaves without a wake-up from elsewhere.
            heartbeat = new Heartbeat(config.clock(), Heartbeat.timersFor(config.clock(), connection),
                    config.heartbeatInterval(), config.heartbeatMisses(),
                    () -> connection.send(new Frame.Ping(0)), this::dead).start();
        }
    }

    /**
     * Credentials refused: nothing more from the peer is processed, and after the failed-auth delay
     * it gets a fatal 401. The log names the peer and the reason, never the credential.
     */
    private void refuse(String tag, String reason) {
        leaving = true;
        server.metrics().authenticationFailed(tag);
        // Held to a few lines per interval, like the limit lines: a flood of guessing peers must not flood the log.
        server.limitLog(AUTH_LOG).note(this + " (" + connection.transportName() + ")", "authentication failed: " + reason);
        Connection.Cancellable previous = pendingRefusal;
        if (previous != null) {
            previous.cancel();
        }
        pendingRefusal = connection.schedule(() -> fatal(ErrorCode.AUTHENTICATION_FAILED, "authentication failed"),
                // Within the handshake deadline: a delay longer than it is cut to it.
                Math.min(config.auth().failedAuthDelay().toNanos(), config.handshakeTimeout().toNanos()),
                TimeUnit.NANOSECONDS);
    }

    /** AUTH: fresh credentials, which must name the session's principal. */
    private void renew(Frame.Auth a) {
        authenticate(a.authScheme(), a.credentials(), true, auth -> renewed(a, auth));
    }

    private void renewed(Frame.Auth a, Authentication.Outcome auth) {
        if (!auth.isAccepted()) {
            refuse(auth.tag(), "renewal refused: " + auth.reason());
            return;
        }
        dev.conduit.server.spi.Principal p = auth.principal();
        if (!p.name().equals(session.principalName())) {
            refuse("wrong_principal", "renewal names principal " + p.name() + ", the session's is "
                    + session.principalName());
            return;
        }
        connection.send(new Frame.AuthOk(session.renewed(p)));
        authScheme = schemeOf(a.authScheme());
        server.audit().renewed(p, connection.remoteAddress(), authScheme, session.id);
    }

    /** The scheme of the credentials the session's principal last presented here, for the audit log. */
    private volatile String authScheme = "none";

    String authScheme() {
        return authScheme;
    }

    /** The scheme for the audit line: an empty one is a client certificate if there is one, else none. */
    private String schemeOf(String scheme) {
        if (!scheme.isEmpty()) {
            return scheme;
        }
        return connection.peerCertificates().isEmpty() ? "none" : "mtls";
    }

    /**
     * A PUBLISH from this connection was handed to {@code deliveries} subscriptions; on the I/O
     * thread. Past {@link #DELIVERIES_PER_TURN} since the last turn, reading stops until the loop
     * has run what is queued behind us (the other connections' reads and tasks), then goes on: the
     * frames already read wait, in order.
     */
    void routed(int deliveries) {
        wakeups.routing(deliveries);
        workSinceTurn += deliveries;
        if (workSinceTurn < DELIVERIES_PER_TURN || yielded) {
            return;
        }
        workSinceTurn = 0;
        yielded = true;
        connection.suspendReading();
        connection.execute(() -> {
            yielded = false;
            if (state != State.CLOSED && !rateSuspended && !authSuspended && creditWaits.isEmpty()) {
                connection.resumeReading();
            }
        });
    }

    /** Called by the session once it has chosen this connection; before WELCOME is sent. */
    void attachedTo(ServerSession s) {
        this.session = s;
    }

    /**
     * Over the session's rate: stops reading for {@code nanos}, and tells the client if {@code
     * notice} is not null; on the I/O thread. Reading resumes once the session is out of debt.
     */
    void suspendForRate(long nanos, String notice) {
        rateSuspended = true;
        connection.suspendReading();
        if (notice != null) {
            error(ErrorCode.RATE_LIMITED, notice);
        }
        lastRatePing = config.clock().nanoTime();
        connection.schedule(this::rateWaitOver, Math.min(nanos, maxRateWait()), TimeUnit.NANOSECONDS);
    }

    /**
     * Resumes reading once the session is out of debt, else looks again later. Meanwhile the peer is
     * not read, so it cannot show it is alive: the heartbeat counts it alive, and a PING now and then
     * keeps the peer's own heartbeat fed (its PONG waits with the rest).
     */
    /** At most a second, and at most a heartbeat interval, so that the heartbeat is fed in time. */
    private long maxRateWait() {
        long interval = config.heartbeatInterval().toNanos();
        return interval == 0 ? MAX_RATE_WAIT_NANOS : Math.min(interval, MAX_RATE_WAIT_NANOS);
    }

    private void rateWaitOver() {
        if (state == State.CLOSED) {
            return;
        }
        ServerSession s = session;
        long more = s == null ? 0 : s.rateDebt(this);
        if (more > 0) {
            keepAliveWhileNotRead();
            connection.schedule(this::rateWaitOver, Math.min(more, maxRateWait()), TimeUnit.NANOSECONDS);
        } else {
            rateSuspended = false;
            if (creditWaits.isEmpty()) {
                connection.resumeReading();
            }
        }
    }

    /**
     * While reading is suspended (rate or credit) the peer cannot show it is alive: the heartbeat
     * counts it alive, and a PING now and then keeps the peer's own heartbeat fed (its PONG waits
     * with the rest).
     */
    private void keepAliveWhileNotRead() {
        Heartbeat h = heartbeat;
        if (h != null) {
            h.received();
            long now = config.clock().nanoTime();
            if (now - lastRatePing >= config.heartbeatInterval().toNanos()) {
                lastRatePing = now;
                connection.send(new Frame.Ping(0));
            }
        }
    }

    /**
     * A publish from this connection took a reliable subscription past its held bound: stop reading
     * until the subscription drains ({@link #creditFreed}). On the I/O thread: a task the subscriber's
     * writer schedules here when it holds the publish (so it runs before that writer's later creditFreed).
     */
    void waitForCredit(Object sub) {
        if (creditWaits.add(sub) && creditWaits.size() == 1) {
            server.metrics().publisherWaiting(1);
            if (!rateSuspended) {
                connection.suspendReading();
            }
            lastRatePing = config.clock().nanoTime();
            connection.schedule(this::creditWaitTick, maxRateWait(), TimeUnit.NANOSECONDS);
        }
    }

    /**
     * A publish from this connection was forwarded to other nodes of the cluster: if the backplane
     * is behind, stop reading until it catches up ({@link dev.conduit.server.spi.Backplane#holdPublisher}),
     * through the same wait as for credit. On the connection's thread, where its PUBLISH is routed.
     */
    void waitForBackplane(dev.conduit.server.spi.Backplane backplane) {
        if (!backplaneWait && backplane.holdPublisher(() -> creditFreed(BACKPLANE))) {
            backplaneWait = true;
            waitForCredit(BACKPLANE); // at once, as SessionCredit.waitWhileOver does: not a read batch later
        }
    }

    /** The key of {@link #waitForBackplane} among {@link #creditWaits}. */
    private static final Object BACKPLANE = new Object();
    /** Waiting for the backplane (from the hold until its release ran here). */
    private volatile boolean backplaneWait;

    /** {@code sub} drained below half its bound, or ended: read on if nothing else holds us. Any thread. */
    void creditFreed(Object sub) {
        connection.schedule(() -> {
            if (sub == BACKPLANE) {
                backplaneWait = false;
            }
            if (creditWaits.remove(sub) && creditWaits.isEmpty()) {
                server.metrics().publisherWaiting(-1);
                if (!rateSuspended && state != State.CLOSED) {
                    connection.resumeReading();
                }
            }
        }, 0, TimeUnit.NANOSECONDS);
    }

    /** While reading waits for credit: keeps both heartbeats fed, as {@link #rateWaitOver} does. */
    private void creditWaitTick() {
        if (state == State.CLOSED || creditWaits.isEmpty()) {
            return;
        }
        keepAliveWhileNotRead();
        connection.schedule(this::creditWaitTick, maxRateWait(), TimeUnit.NANOSECONDS);
    }

    private void dead() {
        log.info("{}: nothing received for {} ms, closing the connection", this, heartbeat.deadAfter().toMillis());
        connection.abort();
    }

    /** Started when the connection is accepted; runs unless WELCOME was sent by then. */
    private void handshakeExpired() {
        if (!established && state != State.CLOSED) {
            fatal(ErrorCode.HANDSHAKE_TIMEOUT, "handshake (HELLO and authentication) not completed within "
                    + config.handshakeTimeout().toMillis() + " ms of connecting");
        }
    }

    /**
     * The listener's new certificate revocation list revokes the peer's client certificate: the
     * session ends with a fatal 401 (not kept for resumption) and an audit line, as for a revoked
     * token. On the I/O thread; the transport closes the connection after this.
     */
    @Override
    public void onPeerCertificateRevoked(String reason) {
        ServerSession s = session;
        if (s != null && state != State.CLOSED) {
            server.audit().closed(s.access().principal(), connection.remoteAddress(), authScheme, s.id, "revoked");
        }
        fatal(ErrorCode.AUTHENTICATION_FAILED, reason);
    }

    @Override
    public void onProtocolError(ProtocolException error, boolean inSync) {
        if (state == State.CLOSED) {
            return; // already closing for an earlier error: one ERROR, one log line
        }
        if (inSync && state == State.ATTACHED && error.code() == ErrorCode.INVALID_SUBJECT) {
            FrameType type = error instanceof InvalidSubjectException e ? e.frameType() : null;
            if (type == FrameType.MESSAGE || type == FrameType.NO_RESPONDERS) {
                // Not a frame a client may send, whatever its subject (docs/protocol.md 7).
                fatal(ErrorCode.UNEXPECTED_FRAME, type + " is not a frame a client may send");
                return;
            }
            if (type == FrameType.PUBLISH || type == FrameType.SUBSCRIBE) {
                session.refused(this); // counted in the sequence, as if the session had refused it
            }
            error(error.code(), error.getMessage());
        } else {
            fatal(error.code(), error.getMessage());
        }
    }

    void error(ErrorCode code, String message) {
        server.limitLog(LimitLog.kindOf(code)).hit(this, message, code);
        server.metrics().errorSent(connection.remoteAddress(), code, message);
        ServerSession s = session;
        if (s != null) {
            s.stats.errorSent(connection.remoteAddress(), code, message);
        }
        connection.send(new Frame.Error(code, false, message));
    }

    /**
     * Tells the peer why, ends the session (a session whose client broke the protocol is not kept for
     * resumption), then closes: at once if the peer does not read the error in time.
     */
    void fatal(ErrorCode code, String message) {
        if (state == State.CLOSED) {
            // Already failed or closed (a delayed 401 after the handshake deadline's 408, an expiry
            // or a slow consumer noticed as the peer left): one ERROR, one log line, one count per
            // connection. The session is ended all the same, as it would have been (end is idempotent).
            ServerSession s = session;
            if (s != null) {
                s.end(code + ": " + message);
            }
            return;
        }
        // Held to a few lines per code and interval: a flood of bad peers must not flood the log.
        server.limitLog(LimitLog.kindOf(code)).hit("closing " + this, message, code);
        if (state == State.AWAITING_HELLO) {
            server.metrics().handshakeFailed(switch (code) {
                case HANDSHAKE_TIMEOUT -> "timeout";
                case UNSUPPORTED_VERSION -> "unsupported_version";
                default -> "protocol_error";
            });
        }
        server.metrics().errorSent(connection.remoteAddress(), code, message);
        state = State.CLOSED;
        leaving = true;
        ServerSession s = session;
        if (s != null) {
            s.stats.errorSent(connection.remoteAddress(), code, message);
            s.end(code + ": " + message);
        }
        connection.sendAndClose(new Frame.Error(code, true, message));
        connection.schedule(connection::abort, Math.max(100, config.drainTimeout().toMillis()), TimeUnit.MILLISECONDS);
    }

    /**
     * Answers a PING, unless the peer has stopped reading while it keeps sending PINGs: the PONGs
     * answered while the connection's output is backed up (more than {@link #BACKED_UP_BYTES}
     * queued: the peer is not reading what we write) are counted, and once they pass {@code
     * maxPongBacklogBytes} the connection is ended with 429. A PING that finds the output drained
     * starts the count again. Runs on the connection's thread.
     */
    private void pong(Frame.Ping p) {
        long queued = connection.pendingOutboundBytes();
        if (queued <= BACKED_UP_BYTES) {
            pongBacklog = 0;
        } else {
            pongBacklog += PONG_BYTES;
            long max = config.memory().maxPongBacklogBytes();
            if (pongBacklog > max) {
                fatal(ErrorCode.SLOW_CONSUMER, "the peer is not reading: " + queued + " bytes are queued for it, "
                        + "and it sent PINGs whose PONGs passed " + max + " bytes (maxPongBacklogBytes)");
                return;
            }
        }
        Frame.Pong pong = new Frame.Pong(p.token());
        ServerSession s = session;
        if (s != null) {
            // Behind what the session's writer was handed before this PING (deliveries routed to it,
            // the CREDITs of this read): a PONG tells the peer that all of that has been sent.
            s.writer.execute(() -> connection.send(pong));
        } else {
            connection.send(pong);
        }
    }

    /** Server stopping: tells the peer, then closes after what is queued is written. */
    void goAway(int drainMillis) {
        if (state != State.CLOSED) {
            leaving = true;
            stopping = true; // a cluster node keeps the session, to move to the node its client resumes on
            Frame.GoAway goAway = new Frame.GoAway(ErrorCode.SERVER_SHUTTING_DOWN.code(), drainMillis,
                    "server shutting down", server.goAwayAlternates());
            ServerSession s = session;
            if (s != null) {
                // Behind what the session's writer was handed before it (the deliveries routed to
                // this session, which a publisher's read may still hold back until its end): every
                // message queued before the GOAWAY reaches the peer, then the GOAWAY, then the end.
                s.writer.execute(() -> connection.sendAndClose(goAway));
            } else {
                connection.sendAndClose(goAway);
            }
        }
    }

    @Override
    public void onClosed(Throwable cause) {
        wakeups.readEnded();
        state = State.CLOSED;
        handshakeTimer.cancel();
        Connection.Cancellable refusal = pendingRefusal;
        if (refusal != null) {
            refusal.cancel();
        }
        if (heartbeat != null) {
            heartbeat.stop();
        }
        if (!creditWaits.isEmpty()) {
            creditWaits.clear();
            server.metrics().publisherWaiting(-1);
        }
        ServerSession s = session;
        if (s != null) {
            if (leaving && !(stopping && server.movesSessions())) {
                s.end("connection closed");
            } else {
                s.detach(this, cause);
            }
        }
        server.connectionClosed(this);
        SSLException tls = s == null ? tlsFailure(cause) : null;
        if (tls != null) {
            server.metrics().handshakeFailed("tls");
            server.limitLog("tls").note(this, "TLS handshake failed: " + TlsErrors.describe(tls));
        } else if (cause != null) {
            log.debug("{} closed: {}", this, cause.toString());
        }
    }

    /** The TLS failure behind a close (a refused handshake, bytes that are not TLS), or null. */
    private static SSLException tlsFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLException e) {
                return e;
            }
        }
        return null;
    }

    String clientName() {
        return clientName;
    }

    @Override
    public String toString() {
        ServerSession s = session;
        return "connection " + (s == null ? "(no session)" : "of session " + s.id) + " (" + dev.conduit.transport.LogSafe.quote(clientName) + " at "
                + connection.remoteAddress() + ")";
    }
}

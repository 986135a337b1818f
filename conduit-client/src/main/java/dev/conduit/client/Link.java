package dev.conduit.client;

import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.SequencedStream;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import dev.conduit.transport.Endpoint;
import dev.conduit.transport.FrameHandler;
import dev.conduit.transport.Heartbeat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection of a {@link ConduitClient}'s session, from its HELLO to its close: the handshake
 * (HELLO, then WELCOME or a refusal within the connect timeout), the heartbeat that drops it when
 * the server falls silent, and what arrives on it once the session is established (MESSAGE, ACK,
 * GAP, NO_RESPONDERS, PING, ERROR, GOAWAY, AUTH_OK). What a frame means for the session (a new or
 * resumed session, confirmations, a lost connection) is decided by the {@link ClientSession} it
 * calls back.
 *
 * <p>Threads: it is the connection's {@link FrameHandler}, so {@link #onFrame}, {@link
 * #onReadComplete}, {@link #onProtocolError} and {@link #onClosed} run on the connection's I/O
 * thread, one at a time; it never blocks and never runs user code (messages are queued on their
 * subscriptions and dispatched once per read; listener calls go through the client's {@code
 * events}). The session state it touches (which link is the client's, the close cause, the
 * resume refusal) is the client's, under the client's monitor. {@link #started}, {@link
 * #closedEarly}, {@link #closeCause} and the heartbeat are guarded by the client's monitor too
 * (the heartbeat is also read, {@code volatile}, by the I/O thread); {@link #toDispatch} is the I/O
 * thread's alone.
 */
final class Link implements FrameHandler {
    private static final Logger log = LoggerFactory.getLogger(Link.class);

    private final ClientSession session;
    final Connection connection;
    final Endpoint endpoint;
    /** What HELLO presents: asked of the supplier before connecting, off the I/O thread. */
    private final Credentials credentials;
    /**
     * The session's count of the server's sequenced frames (shared by every link of the session).
     * Used by this link's I/O thread while it is the active one.
     */
    private final SequencedStream.Receiver inbound;
    private Connection.Cancellable welcomeTimer = () -> { };
    /** Subscriptions given messages in the current read, dispatched at its end; I/O thread only. */
    private final List<ClientSubscription> toDispatch = new ArrayList<>();
    /** Drops the connection when the server falls silent; from WELCOME to the close. */
    private volatile @Nullable Heartbeat heartbeat;
    /** Why the server refused the handshake, if it said. */
    volatile @Nullable ConduitException handshakeFailure;
    /** Closed by drain on purpose. */
    volatile boolean goodbye;
    // Guarded by the client's monitor: whether start() ran, and whether the link closed before it.
    private boolean started;
    private boolean closedEarly;
    private @Nullable Throwable closeCause;

    Link(ClientSession session, Connection connection, Endpoint endpoint, Credentials credentials) {
        this.session = session;
        this.connection = connection;
        this.endpoint = endpoint;
        this.credentials = credentials;
        this.inbound = session.inbound();
    }

    /** Connected: becomes the client's link and says HELLO. */
    void start() {
        synchronized (session) {
            started = true;
            if (closedEarly) {
                // Fall through to report the failure outside the lock.
            } else if (!session.adopt(this)) {
                connection.abort();
                return;
            } else {
                hello();
                return;
            }
        }
        ConduitException reason = handshakeFailure;
        session.attemptFailed(endpoint, reason != null ? reason
                : closeCause != null ? closeCause : new ConnectionClosedException("connection closed at once"));
    }

    /** Under the client's monitor: sends HELLO and waits for WELCOME up to the connect timeout. */
    private void hello() {
        ClientOptions options = session.options();
        connection.send(session.hello(credentials));
        welcomeTimer = options.clock().schedule(() -> {
            if (!session.awaitingWelcome(this)) {
                return;
            }
            handshakeFailure = new ConnectionClosedException("no WELCOME within "
                    + options.connectTimeout().toMillis() + " ms");
            connection.abort();
        }, options.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Under the client's monitor: the link closed before {@link #start} made it the client's link;
     * {@code start} reports it. Returns false if {@code start} already ran.
     */
    boolean closedBeforeStart(@Nullable Throwable cause) {
        if (started) {
            return false;
        }
        closedEarly = true;
        closeCause = cause;
        return true;
    }

    /** Under the client's monitor: WELCOME arrived in time. */
    /** Set by {@link #abandon}; read on the link's I/O thread. */
    private volatile boolean abandoned;

    void welcomeArrived() {
        welcomeTimer.cancel();
    }

    /**
     * Under the client's monitor, once the session is established on this link: the heartbeat the
     * server asked for (none if {@code heartbeatIntervalMillis} is 0) starts.
     */
    void startHeartbeat(long heartbeatIntervalMillis, int heartbeatMisses) {
        if (heartbeatIntervalMillis > 0) {
            int misses = Math.max(1, heartbeatMisses);
            Clock clock = session.options().clock();
            heartbeat = new Heartbeat(clock, Heartbeat.timersFor(clock, connection),
                    Duration.ofMillis(heartbeatIntervalMillis), misses,
                    () -> connection.send(new Frame.Ping(0)),
                    () -> {
                        log.info("no sign of life from {} for {} ms: dropping the connection", endpoint,
                                heartbeatIntervalMillis * misses);
                        connection.abort();
                    }).start();
        }
    }

    /** Under the client's monitor: the link is done with; its timers stop. */
    void stopTimers() {
        welcomeTimer.cancel();
        Heartbeat h = heartbeat;
        if (h != null) {
            h.stop();
            heartbeat = null;
        }
    }

    /**
     * The client no longer wants this link (closed, or replaced while it connected) and the server
     * welcomed it anyway: it is aborted, and what else arrives on it is ignored, not taken for a
     * frame before WELCOME. Under the client's monitor.
     */
    void abandon() {
        abandoned = true;
        stopTimers();
        connection.abort();
    }

    @Override
    public void onFrame(Frame frame) {
        if (abandoned) {
            return;
        }
        if (!session.isActive(this)) {
            handshakeFrame(frame);
            return;
        }
        switch (frame) {
            case Frame.Message m -> {
                if (!inOrder(m.sequence())) {
                    return;
                }
                ClientSubscription s = session.subscription(m.subscriptionId());
                if (s != null) {
                    if (s.onMessage(m.body())) {
                        toDispatch.add(s);
                    }
                } else {
                    log.debug("message for ended subscription {} ignored", m.subscriptionId());
                }
            }
            case Frame.Ack a -> session.acknowledged(this, a.sequence());
            case Frame.NoResponders n -> {
                inbound.receive(0);
                session.requests().onNoResponders(n.replySubject());
            }
            case Frame.Gap g -> {
                inbound.receive(0);
                gap(g);
            }
            case Frame.Ping p -> connection.send(new Frame.Pong(p.token()));
            case Frame.Pong p -> { } // a sign of life, noted by onReadComplete
            case Frame.Error e -> {
                ServerErrorException error = new ServerErrorException(e.code(), e.fatal(), e.message());
                log.warn("server error: {}", error.getMessage());
                if (!e.fatal() && e.errorCode() == ErrorCode.PERMISSION_DENIED) {
                    permissionDenied(error);
                }
                if (e.fatal()) {
                    session.closingBecause(error);
                    connection.close();
                }
                session.reportError(error);
            }
            case Frame.GoAway g -> goAway(g);
            case Frame.Welcome w -> protocolViolation("a second WELCOME");
            case Frame.AuthOk a -> session.renewCredentials(this, a.credentialsValidMillis());
            default -> protocolViolation("a " + frame.type() + " frame, which servers do not send");
        }
    }

    /**
     * Counts a MESSAGE if its number is the next one due. One that skips a number, or goes back,
     * breaks the protocol (section 7a): the connection is dropped, and the resume that follows
     * names the last frame received in order, so the server sends the rest again.
     */
    private boolean inOrder(long sequence) {
        SequencedStream.Receiver.Received r = inbound.receive(sequence);
        if (r != SequencedStream.Receiver.Received.IN_ORDER) {
            protocolViolation("MESSAGE " + Long.toUnsignedString(sequence) + " after " + inbound.lastReceived()
                    + (r == SequencedStream.Receiver.Received.GAP ? ": frames are missing" : ": a number already received"));
            return false;
        }
        return true;
    }

    /** The server dropped messages for a subscription, or ended it for not taking any. */
    private void gap(Frame.Gap g) {
        ClientSubscription s = session.subscription(g.subscriptionId());
        ClientListener listener = session.options().listener();
        if (s != null && g.ended()) {
            log.warn("{}: the server ended it: its handler took nothing for the server's maxStall; {} "
                    + "messages held for it were not delivered", s, g.dropped());
            s.end();
            session.events().execute(() -> listener.onSlowConsumer(s, g.dropped()));
        } else if (s != null) {
            log.warn("{}: the server dropped {} messages because this client fell behind", s, g.dropped());
            session.events().execute(() -> listener.onGap(s, g.dropped()));
        }
    }

    /** A non-fatal 403: a denied subscribe ends the subscription; a denied request fails at once. */
    private void permissionDenied(ServerErrorException error) {
        String m = String.valueOf(error.getMessage());
        String sub = quoted(m, "subscribe to '");
        if (sub != null) {
            for (ClientSubscription s : session.subscriptions()) {
                if (s.pattern().equals(sub)) {
                    log.warn("{}: the server denied it: {}", s, m);
                    s.end();
                }
            }
        }
        String pub = quoted(m, "publish to '");
        if (pub != null) {
            session.requests().onDenied(pub, error);
        }
    }

    private static @Nullable String quoted(String message, String after) {
        int i = message.indexOf(after);
        if (i < 0) {
            return null;
        }
        int start = i + after.length();
        int end = message.indexOf("' (", start); // the server's text: ... to '<subject>' (why)
        return end < 0 ? null : message.substring(start, end);
    }

    private void handshakeFrame(Frame frame) {
        switch (frame) {
            case Frame.Welcome w -> session.welcomed(this, w);
            case Frame.Error e when e.errorCode() == ErrorCode.SESSION_NOT_RESUMED && !e.fatal() ->
                    session.resumeRefused(e.message());
            case Frame.Error e -> {
                handshakeFailure = new ServerErrorException(e.code(), e.fatal(), e.message());
                connection.close();
            }
            case Frame.GoAway g -> goAway(g);
            case Frame.Ping p -> connection.send(new Frame.Pong(p.token()));
            default -> protocolViolation("a " + frame.type() + " frame before WELCOME");
        }
    }

    private void goAway(Frame.GoAway g) {
        log.info("server at {} is going away ({}): {}{}", endpoint, g.code(), g.reason(),
                g.alternates().isEmpty() ? "" : "; alternates " + g.alternates());
        session.goingAway(g);
    }

    private void protocolViolation(String what) {
        log.warn("protocol violation by the server at {}: {}", endpoint, what);
        handshakeFailure = new ConnectionClosedException("protocol violation by the server: " + what);
        connection.abort();
    }

    /** Hands the messages of this read to the subscriptions' executors: one hand-off each. */
    private void dispatchReceived() {
        for (int i = 0; i < toDispatch.size(); i++) {
            toDispatch.get(i).dispatch();
        }
        toDispatch.clear();
    }

    @Override
    public void onReadComplete() {
        dispatchReceived();
        if (!session.isActive(this)) {
            return;
        }
        Heartbeat h = heartbeat;
        if (h != null) {
            h.received();
        }
        long due = inbound.ackDue();
        if (due != 0) {
            connection.send(new Frame.Ack(due));
        }
    }

    @Override
    public void onProtocolError(ProtocolException error, boolean inSync) {
        dispatchReceived();
        log.warn("undecodable frame from the server at {}: {}", endpoint, error.getMessage());
        handshakeFailure = error;
        connection.abort();
    }

    @Override
    public void onClosed(@Nullable Throwable cause) {
        dispatchReceived();
        session.linkClosed(this, cause);
    }
}

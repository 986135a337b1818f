package dev.conduit.client;

import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolVersion;
import dev.conduit.protocol.ResumeToken;
import dev.conduit.protocol.SequencedStream;
import dev.conduit.transport.Connector;
import dev.conduit.transport.Endpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session behind a {@link ConduitClient}, one that outlives its connections: the lifecycle
 * ({@link ConnectionState}), the link in use, the session's identity (id, epoch, resume token, the
 * count of frames received), its subscriptions, and what each step of a connection's life does to
 * it: a link connects and says HELLO, WELCOME starts a new session or resumes this one, ACKs
 * confirm, the link closes and the client resumes, the session is lost and rebuilt, the client
 * drains and shuts down. The parts are in their own classes, which it wires: {@link
 * OutboundStream} (what is sent, until confirmed), {@link Reconnector} (when and where to connect),
 * {@link Link} (one connection), {@link ClientCredentials} (the credentials supplier) and {@link
 * Drain} (the graceful end).
 *
 * <p>When a connection drops, the client reconnects with backoff and asks to resume the session,
 * naming the last frame it received; the server answers with the last it received; each side
 * replays what the other lacks. If the server cannot resume, a new session starts: the old one's
 * unconfirmed publishes are reported, subscriptions are made again, and requests fail or are
 * re-sent.
 *
 * <p>Threads: this object's monitor is <em>the client's monitor</em>. It guards the fields below
 * and those of {@link OutboundStream}, {@link Reconnector}, the renewal timer of {@link
 * ClientCredentials}, the drain's future and a link's start and heartbeat; they take it as {@code
 * synchronized (session)}, and a publisher waiting for room in the buffer waits on it. Calls come
 * from the callers' threads (the public API), the current link's I/O thread, the clock and the
 * executor. No lock is held while user code runs, and user code never runs on an I/O or clock
 * thread: listener calls and future completions are only submitted, through {@code events} or
 * the executor. The inbound count ({@link #inbound}) is used by the active link's I/O thread.
 */
final class ClientSession {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

    private final ClientOptions options;
    private final Executor executor;
    private final SerialExecutor events;
    private final Requests requests;
    private final ServerLimits limits;
    /** Shuts down what the client created for itself (transport, executor). */
    private final Runnable release;
    private final Map<Integer, ClientSubscription> subscriptions = new ConcurrentHashMap<>();
    /** Done at the first WELCOME, or failed when the client gives up or closes first. */
    final CompletableFuture<Void> firstOpen = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** What this session sends: held until confirmed, replayed on a resume. */
    private final OutboundStream outbound;
    /** Asks the credentials supplier, off the I/O thread, and renews the credentials. */
    private final ClientCredentials credentials;
    /** When and where the next connection attempt goes, and the attempts. */
    private final Reconnector reconnector;
    /** The graceful end: drain() and close(). */
    private final Drain drain;

    // Guarded by this.
    private ConnectionState state = ConnectionState.CONNECTING;
    private @Nullable Link link;
    private boolean ready;
    private @Nullable String sessionId;
    private long epoch;
    /** The secret from the last WELCOME that resumes the session once; null if the server offered none. */
    private @Nullable ResumeToken resumeToken;
    private @Nullable String refusal;
    private @Nullable ConduitException closeCause;

    /** The link whose frames count; others' are ignored. Written under the monitor. */
    private volatile @Nullable Link active;
    /**
     * The server's sequenced frames received in this session. Used by the active link's I/O thread;
     * also read (HELLO) and reset (a new session's WELCOME) under the monitor, only while no link is
     * active: a link's last frame comes before its close, which takes the monitor.
     */
    private final SequencedStream.Receiver inbound = new SequencedStream.Receiver();
    private volatile @Nullable ServerInfo serverInfo;

    ClientSession(ClientOptions options, Executor executor, SerialExecutor events, Requests requests,
                  ServerLimits limits, Connector connector, Runnable release) {
        this.options = options;
        this.executor = executor;
        this.events = events;
        this.requests = requests;
        this.limits = limits;
        this.release = release;
        this.outbound = new OutboundStream(this, options, executor, events, requests::isRequest);
        this.credentials = new ClientCredentials(options, executor, this);
        this.reconnector = new Reconnector(this, options, executor, connector, credentials);
        this.drain = new Drain(this, options, closed);
    }

    synchronized void start() {
        reconnector.start();
    }

    // ---------------------------------------------------------------------------------------------
    // Connecting, resuming, failing over

    /** Under the monitor: whether the client wants a new link (it has none and is not closed). */
    boolean wantsLink() {
        return state != ConnectionState.CLOSED && link == null;
    }

    /** An attempt failed before its handshake; schedules the next one, or gives up. */
    void attemptFailed(Endpoint endpoint, Throwable cause) {
        ConduitException giveUp = null;
        synchronized (this) {
            if (state == ConnectionState.CLOSED) {
                return;
            }
            giveUp = reconnector.failed(endpoint, cause, sessionId == null);
        }
        if (giveUp != null) {
            firstOpen.completeExceptionally(giveUp);
            shutdown(giveUp);
        }
    }

    /** Under the monitor: {@code l} connected; it becomes the client's link unless the client closed or has one. */
    boolean adopt(Link l) {
        if (state == ConnectionState.CLOSED || link != null) {
            return false;
        }
        link = l;
        ready = false;
        return true;
    }

    /** Under the monitor: the HELLO that opens a new session, or resumes this one. */
    Frame.Hello hello(Credentials credentials) {
        byte[] token = sessionId == null || resumeToken == null ? new byte[0] : resumeToken.encoded();
        return new Frame.Hello(ProtocolVersion.MIN, ProtocolVersion.MAX, options.clientName(),
                credentials.scheme(), credentials.credentials(), token, sessionId == null ? 0 : inbound.lastReceived());
    }

    /** Whether {@code l} is the client's link and still waits for WELCOME. */
    synchronized boolean awaitingWelcome(Link l) {
        return link == l && !ready;
    }

    /** The session's count of the server's sequenced frames, which each of its links continues. */
    SequencedStream.Receiver inbound() {
        return inbound;
    }

    /** Whether {@code l} is the link whose frames count (WELCOME came on it and it is open). */
    boolean isActive(Link l) {
        return active == l;
    }

    /** WELCOME arrived on {@code l}: the session is new or resumed; start sending. On the I/O thread. */
    void welcomed(Link l, Frame.Welcome w) {
        List<Runnable> notices = new ArrayList<>();
        synchronized (this) {
            if (link != l || state == ConnectionState.CLOSED) {
                // A link the client no longer wants (closed, or replaced while it connected): ended
                // here, so that what the server sends after WELCOME is not taken for a frame before it.
                l.abandon();
                return;
            }
            if (w.version() < ProtocolVersion.MIN || w.version() > ProtocolVersion.MAX) {
                l.connection.abort();
                return;
            }
            l.welcomeArrived();
            limits.update(w.limits());
            l.connection.inboundLimits(w.limits());
            ServerInfo info = new ServerInfo(w.serverId(), w.sessionId(), w.version(), w.limits());
            serverInfo = info;
            // Not the epoch: a session of a cluster may resume on another node (docs/cluster.md), whose epoch differs.
            boolean resumed = w.resumed() && sessionId != null && sessionId.equals(w.sessionId());
            if (resumed) {
                epoch = w.epoch();
                if (!outbound.resume(w.lastReceived(), l.connection, notices)) {
                    l.connection.abort();
                    return;
                }
                // The server may have missed the last CREDIT: the totals again (they are cumulative).
                for (ClientSubscription s : subscriptions.values()) {
                    if (s.reliable() && s.isActive()) {
                        l.connection.send(s.creditFrame());
                    }
                }
                log.info("session {} resumed on {} ({} frames sent again)", sessionId, l.endpoint, outbound.held());
                notices.add(() -> options.listener().onResumed(info));
            } else {
                requests.newSession(w.inboxPrefix()); // first: what the lost session re-sends goes there
                if (sessionId != null) {
                    SessionLost lost = sessionLost(refusal == null ? "the server started a new session" : refusal);
                    log.warn("session {} lost ({}); new session {}: {} publishes unconfirmed, {} requests failed, "
                            + "{} re-sent", sessionId, lost.reason(), w.sessionId(), lost.unconfirmed().size(),
                            lost.failedRequests(), lost.resentRequests());
                    notices.add(() -> options.listener().onSessionLost(lost));
                }
                sessionId = w.sessionId();
                epoch = w.epoch();
                inbound.reset();
            }
            resumeToken = w.resumeToken(); // a resume replaces it: the one just used no longer works
            refusal = null;
            reconnector.connected();
            reconnector.alternates(w.alternates());
            ready = true;
            active = l;
            outbound.open(l.connection, notices);
            scheduleRenewal(l, w.credentialsValidMillis());
            l.startHeartbeat(w.heartbeatIntervalMillis(), w.heartbeatMisses());
            if (state == ConnectionState.CONNECTING || state == ConnectionState.RESUMING) {
                transition(state, ConnectionState.OPEN);
            }
            notifyAll();
        }
        notices.forEach(events::execute);
        firstOpen.complete(null);
    }

    /**
     * The server did not resume the session: fail what it had not confirmed, and rebuild what must
     * live on in the new one (subscriptions, idempotent requests) ahead of what was waiting. Under
     * the monitor.
     */
    private SessionLost sessionLost(String reason) {
        SessionLostException failure = new SessionLostException("session lost before the server confirmed it: " + reason);
        List<CompletableFuture<Void>> failed = new ArrayList<>();
        List<SessionLost.Unconfirmed> unconfirmed = outbound.dropUnconfirmed(failed);
        // Requests: idempotent ones go again, the others fail; both are dropped from what was waiting.
        Requests.Outcome requestOutcome = requests.sessionLost(failure);
        outbound.dropPendingRequests();
        List<Frame> rebuilt = new ArrayList<>();
        for (ClientSubscription s : subscriptions.values()) {
            if (!s.isActive() || outbound.subscribeIsPending(s.id())) {
                continue;
            }
            rebuilt.addAll(s.resubscribeFrames());
        }
        rebuilt.addAll(requestOutcome.resend());
        outbound.putFirst(rebuilt);
        outbound.failFlushes(failed);
        executor.execute(() -> failed.forEach(f -> f.completeExceptionally(failure)));
        return new SessionLost(reason, unconfirmed, requestOutcome.failed(), requestOutcome.resend().size());
    }

    void acknowledged(Link l, long seq) {
        List<Runnable> notices = new ArrayList<>(1);
        synchronized (this) {
            if (link != l || !ready) {
                return;
            }
            if (!outbound.acknowledge(seq, notices)) {
                l.connection.abort();
                return;
            }
        }
        if (!notices.isEmpty()) {
            notices.forEach(executor::execute);
        }
    }

    /** The link closed: reconnect (resume), unless the client is closing. On the I/O thread. */
    void linkClosed(Link l, @Nullable Throwable cause) {
        boolean wasReady;
        synchronized (this) {
            if (link != l) {
                // Closed before start() made it the client's link: start() reports it.
                l.closedBeforeStart(cause);
                return;
            }
            link = null;
            wasReady = ready;
            ready = false;
            outbound.suspend();
            active = null;
            l.stopTimers();
            credentials.cancel();
            if (state == ConnectionState.CLOSED) {
                return;
            }
            if (drain.begun() && state == ConnectionState.DRAINING && l.goodbye) {
                return; // drain closed it on purpose
            }
            if (!wasReady) {
                // Fall through to attemptFailed below, outside the lock.
            } else {
                if (state == ConnectionState.OPEN) {
                    transition(ConnectionState.OPEN, ConnectionState.RESUMING);
                }
                log.info("connection to {} lost ({}); resuming session {}", l.endpoint,
                        closeCause != null ? closeCause.getMessage() : cause == null ? "closed" : Reconnector.describe(cause),
                        sessionId);
                closeCause = null;
                reconnector.lost();
                return;
            }
        }
        ConduitException reason = l.handshakeFailure;
        attemptFailed(l.endpoint, reason != null ? reason
                : cause != null ? cause : new ConnectionClosedException("connection closed during the handshake"));
    }

    // ---------------------------------------------------------------------------------------------
    // Draining, the end, and the session state its parts ask about

    /** Under the monitor: DRAINING, unless the client is already closed. */
    boolean startDraining() {
        if (state == ConnectionState.CLOSED) {
            return false;
        }
        transition(state, ConnectionState.DRAINING);
        return true;
    }

    /** The ready link, marked as closed on purpose by the drain; null if none is ready. */
    synchronized @Nullable Link sayingGoodbye() {
        Link l = ready ? link : null;
        if (l != null) {
            l.goodbye = true;
        }
        return l;
    }

    /** Ends everything now: fails what is waiting, closes the connection, releases threads. Idempotent. */
    void shutdown(ConduitException cause) {
        List<Runnable> notices = new ArrayList<>();
        Link l;
        synchronized (this) {
            if (state == ConnectionState.CLOSED) {
                return;
            }
            transition(state, ConnectionState.CLOSED);
            l = link;
            link = null;
            ready = false;
            active = null;
            reconnector.cancel();
            if (l != null) {
                l.stopTimers();
            }
            credentials.cancel();
            ConnectionClosedException failure = cause instanceof ConnectionClosedException c ? c
                    : new ConnectionClosedException(Reconnector.describe(cause), cause);
            outbound.close(failure, notices);
            requests.failAll(failure);
            subscriptions.values().forEach(ClientSubscription::end);
            notifyAll();
        }
        if (l != null) {
            l.connection.abort();
        }
        notices.forEach(events::execute);
        // Release after the notices: the events queue runs them first.
        events.execute(() -> {
            release.run();
            closed.complete(null);
        });
        firstOpen.completeExceptionally(cause);
    }

    /** Throws if the client is closed. */
    synchronized void requireNotClosed(String what) {
        if (state == ConnectionState.CLOSED) {
            throw closedException(what);
        }
    }

    /** Throws unless the client is connecting, open or resuming. */
    synchronized void requireOpen() {
        ConnectionState s = state;
        if (s == ConnectionState.DRAINING || s == ConnectionState.CLOSED) {
            throw closedException(s == ConnectionState.DRAINING ? "client is closing" : "client is closed");
        }
    }

    private ConnectionClosedException closedException(String what) {
        ConduitException cause = closeCause;
        return cause == null ? new ConnectionClosedException(what + ": client is " + state.name().toLowerCase())
                : new ConnectionClosedException(what + ": " + cause.getMessage(), cause);
    }

    /** Under the monitor: renews the credentials of {@code l} before they expire (0: they do not). */
    private void scheduleRenewal(Link l, long validMillis) {
        credentials.scheduleRenewal(l.connection, () -> active == l, validMillis);
    }

    /** AUTH_OK on {@code l}: its new credentials are renewed in turn before they expire, if it is still active. */
    synchronized void renewCredentials(Link l, long validMillis) {
        if (active == l) {
            scheduleRenewal(l, validMillis);
        }
    }

    /** The server will not resume the session: a new one follows, and the old one is reported lost with this reason. */
    synchronized void resumeRefused(String reason) {
        refusal = reason;
    }

    /** A fatal error from the server: the close that follows is reported with it. */
    synchronized void closingBecause(ConduitException error) {
        closeCause = error;
    }

    /** The server at the current link is going away: move on to the next endpoint, or an alternate it names. */
    synchronized void goingAway(Frame.GoAway g) {
        reconnector.goingAway(g.alternates());
        closeCause = new ConnectionClosedException("server is going away (" + g.code() + "): " + g.reason());
    }

    /** Under the monitor, so that listeners hear transitions in order. */
    private void transition(ConnectionState from, ConnectionState to) {
        state = to;
        events.execute(() -> options.listener().onStateChange(from, to));
    }

    void reportError(ConduitException e) {
        events.execute(() -> options.listener().onError(e));
    }

    // ---------------------------------------------------------------------------------------------
    // For the client's public API

    synchronized ConnectionState state() {
        return state;
    }

    @Nullable ServerInfo serverInfo() {
        return serverInfo;
    }

    /**
     * Takes a sequenced frame: sends it now if a connection is ready and nothing waits before it,
     * else holds it until one is. Publishes count against the buffer bound; control frames do not,
     * so that unsubscribing always works.
     *
     * @return false if the buffer is full under {@link BufferFullPolicy#RETURN_FALSE}
     */
    boolean enqueue(Frame frame, @Nullable CompletableFuture<Void> outcome, long ttlNanos, boolean bounded) {
        int size = FrameCodec.encodedLength(frame);
        synchronized (this) {
            requireNotClosed("send");
            return outbound.offer(frame, size, outcome, ttlNanos, bounded);
        }
    }

    /** What a full buffer reports. */
    String bufferFullMessage(int size) {
        return outbound.bufferFullMessage(size);
    }

    /** Removes a request that timed out before it was sent, so it is never sent late. */
    synchronized void withdraw(Frame.Publish request) {
        outbound.withdraw(request);
    }

    synchronized CompletableFuture<Void> flush(Duration timeout) {
        if (state == ConnectionState.CLOSED) {
            return CompletableFuture.failedFuture(closedException("flush"));
        }
        return outbound.flush(timeout);
    }

    /**
     * Adds a subscription and sends its SUBSCRIBE; one made by the user ({@code user}) is refused
     * while draining or closed.
     */
    synchronized void add(ClientSubscription s, boolean user) {
        if (user) {
            requireOpen();
        }
        subscriptions.put(s.id(), s);
        enqueue(s.subscribeFrame(), null, 0, false);
    }

    /**
     * Sends a CREDIT on the open connection, if there is one; otherwise the totals go with the
     * resume. From the subscription's handler turn.
     *
     * @return whether it was handed to a connection
     */
    boolean sendCredit(Frame.Credit credit) {
        Link l = active;
        if (l == null) {
            return false;
        }
        l.connection.send(credit);
        return true;
    }

    CompletableFuture<Void> drain() {
        return drain.begin();
    }

    void close() {
        drain.close();
    }

    // ---------------------------------------------------------------------------------------------
    // Shared with the parts

    @Nullable ClientSubscription subscription(int id) {
        return subscriptions.get(id);
    }

    Collection<ClientSubscription> subscriptions() {
        return subscriptions.values();
    }

    void forget(ClientSubscription s) {
        subscriptions.remove(s.id(), s);
    }

    Requests requests() {
        return requests;
    }

    SerialExecutor events() {
        return events;
    }

    ClientOptions options() {
        return options;
    }

}

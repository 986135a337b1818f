package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ResumeToken;
import dev.conduit.transport.AcceptGate;
import dev.conduit.transport.Connection;
import dev.conduit.transport.Connector;
import dev.conduit.transport.HttpPortOptions;
import dev.conduit.transport.FrameHandler;
import dev.conduit.transport.HttpService;
import dev.conduit.transport.InMemoryConnector;
import dev.conduit.transport.Listener;
import dev.conduit.transport.TlsProvider;
import dev.conduit.transport.Transport;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.UncheckedIOException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Server} behind {@link Server#create}: a listener, the sessions it accepted, and the
 * {@link SubjectIndex} that routes between them. Routing runs on the publisher's I/O thread and
 * hands each delivery to the subscriber session's {@link SessionWriter}, which numbers it on the
 * subscriber connection's own event loop, where it is also written.
 *
 * <p>Past 600 lines because it is where the server's parts meet: the listeners' lifecycle, the
 * handshake's session lookup (resume tokens, refusals, eviction) and routing share its state. The
 * pieces that stand alone already live elsewhere (MemoryBudget, ResumeAttempts, SystemApi,
 * StatsPublisher); the next to move out is the resume lookup in {@link #openSession}.
 */
final class RoutingServer implements Server {
    private static final Logger log = LoggerFactory.getLogger(RoutingServer.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** One publish in this many, per publisher, has its delivery latency timed (a power of two). */
    static final int DELIVERY_SAMPLE_EVERY = 64;

    /** NEW, then RUNNING after start, then STOPPING and STOPPED. */
    private enum State { NEW, RUNNING, STOPPING, STOPPED }

    private final ServerConfig config;
    private final String serverId = "CDT" + randomId(12);
    private final long epoch = RANDOM.nextLong() & Long.MAX_VALUE;
    private final SubjectIndex index = new SubjectIndex();
    private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private final Map<String, ServerSession> sessions = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.LongAdder slowConsumerDrops = new java.util.concurrent.atomic.LongAdder();
    /** Subscriptions whose pattern names $SYS (dashboards, monitors): not counted as the users' subscriptions. */
    private final java.util.concurrent.atomic.AtomicInteger systemSubscriptions = new java.util.concurrent.atomic.AtomicInteger();
    private final AtomicLong slowConsumerDisconnects = new AtomicLong();
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    /** Completed once a stopping cluster node holds no session (they moved or ended). */
    private final CompletableFuture<Void> sessionsGone = new CompletableFuture<>();
    private final ExecutorService localExecutor = Executors.newVirtualThreadPerTaskExecutor();
    /** Runs authentication plug-ins, user code, off the event loops: a virtual thread each. */
    private final ExecutorService authExecutor =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("conduit-auth-", 0).factory());
    private final ServerMetrics metrics;
    private final MemoryBudget budget;
    private final SubjectSampler subjects = new SubjectSampler();
    private final StatsPublisher stats;
    /** Scratch space for {@link #publishInternal}, which runs on the stats tick only. */
    private final List<ServerSubscription> internalTargets = new java.util.ArrayList<>();
    private final Authentication authentication;
    private final SystemApi systemApi;
    private Transport transport;
    private Listener listener;
    private final ConnectionCounter connectionCounter;
    private final Map<String, LimitLog> limitLogs = new ConcurrentHashMap<>();
    private final ResumeAttempts resumeAttempts;
    private final AuditLog audit = new AuditLog();
    private final LimitLog connectionsLog;
    private final LimitLog perAddressLog;
    /** The Unix domain socket's listener; null if there is none. */
    private Listener unixListener;
    /** The HTTP port's listener; null if it is turned off. */
    private Listener httpListener;
    /** The server extensions that started (spi.ServerExtension), in start order; empty until then. */
    private volatile List<dev.conduit.server.spi.ServerExtension.Running> extensions = List.of();
    /** The link to the other nodes of a cluster (docs/cluster.md); null for a single server. */
    private final dev.conduit.server.spi.@org.jspecify.annotations.Nullable Backplane backplane;
    /** Sessions moving between the nodes of the cluster; null for a single server. */
    private final @org.jspecify.annotations.Nullable SessionMoves moves;
    /**
     * The cluster keeps sessions durable (docs/cluster.md, "Durable sessions"): the clients'
     * subscriptions (but {@code $SYS} ones) are routed by the backplane alone, and what a session
     * is sent comes back from it, numbered by the engine.
     */
    final boolean durable;
    /** What WELCOME and GOAWAY name as ALTERNATES. */
    private final Alternates alternates;
    /** The GOAWAY alternates as they were when the stop began; null until then. */
    private volatile @org.jspecify.annotations.Nullable List<String> leavingAlternates;

    private RoutingServer(ServerConfig config, MeterRegistry registry) {
        this.config = config;
        this.connectionCounter = new ConnectionCounter(config.peerLimits());
        this.resumeAttempts = new ResumeAttempts(config.clock());
        this.connectionsLog = limitLog("maxConnections");
        this.perAddressLog = limitLog("maxConnectionsPerAddress");
        this.budget = new MemoryBudget(config.memory(), this);
        this.metrics = new ServerMetrics(registry, sessions.values());
        this.metrics.bindServer(this);
        this.stats = new StatsPublisher(this, config.clock(), System::currentTimeMillis);
        this.authentication = new Authentication(config.auth(), config.clock());
        this.systemApi = new SystemApi(this, localExecutor);
        this.backplane = config.cluster() == null ? null : ClusterHost.backplane(config.cluster());
        this.moves = backplane == null ? null : new SessionMoves(this);
        this.durable = backplane != null && backplane.durable();
        this.alternates = new Alternates(config.alternates());
    }

    static RoutingServer create(ServerConfig config) {
        return new RoutingServer(config, null);
    }

    static RoutingServer create(ServerConfig config, MeterRegistry registry) {
        return new RoutingServer(config, java.util.Objects.requireNonNull(registry, "registry"));
    }

    @Override
    public Server start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException("server is " + state.get() + ": it can be started once");
        }
        try {
            config.auth().checkExposure(config.host());
            if (config.http().enabled()) {
                config.auth().checkExposure(config.httpHost()); // WebSocket clients come in there too
            }
        } catch (IllegalStateException e) {
            state.set(State.STOPPED);
            stopped.complete(null);
            throw e;
        }
        transport = Transport.create(config.transport());
        if (backplane != null) {
            try {
                backplane.start(new ClusterHost(this)); // it may run its Redis connections on the transport's loops
            } catch (RuntimeException e) {
                transport.close();
                state.set(State.STOPPED);
                stopped.complete(null);
                throw e;
            }
        }
        InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
        try {
            listener = transport.listen(address, config.limits(), config.tls(), this::accept);
        } catch (Exception e) { // Netty rethrows the bind failure's IOException unchecked
            if (backplane != null) {
                backplane.close(); // before the loops its connections may run on
            }
            transport.close();
            state.set(State.STOPPED);
            stopped.complete(null);
            throw new UncheckedIOException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + e.getMessage(), e instanceof IOException io ? io : new IOException(e));
        }
        log.info("conduit server {} listening on {}://{}:{} ({} I/O threads, {}{})", serverId,
                config.tlsEnabled() ? "tls" : "tcp", listener.address().getHostString(), listener.address().getPort(), config.transport().ioThreads(),
                transport.kind(), config.tlsEnabled() ? ", TLS " + config.tls().protocols() + " with "
                        + (config.tls().provider() == TlsProvider.AUTO ? (TlsProvider.openSslAvailable() ? "OpenSSL" : "JDK")
                        : config.tls().provider()) + ", client certificates " + config.tls().clientAuth() : "");
        if (config.http().enabled()) {
            startHttp(new ServerHttp(this));
        }
        if (config.unixSocket() != null) {
            startUnix();
        }
        stats.start();
        // The JWKS and revocation files are re-read on virtual threads, as plug-in authenticators run.
        authentication.watchFiles(authExecutor, this::applyRevocations);
        try {
            extensions = ExtensionContext.startAll(this, Extensions.load());
        } catch (RuntimeException e) {
            stop().join(); // nothing is connected yet but in-process sessions: a short stop
            throw e;
        }
        return this;
    }

    /** Closes (401) every session whose credentials the revocation list names; on the reload thread. */
    private void applyRevocations(Revocations list) {
        if (list.isEmpty()) {
            return;
        }
        int closed = 0;
        for (ServerSession s : sessions.values()) {
            if (s.revokeIf(list)) {
                closed++;
            }
        }
        if (closed > 0) {
            log.info("closed {} sessions whose credentials the revocation file names", closed);
        }
    }

    /** Opens the HTTP port (WebSocket links and {@code service}); on failure undoes the start. */
    private void startHttp(HttpService service) {
        InetSocketAddress address = new InetSocketAddress(config.httpHost(), config.httpPort());
        try {
            httpListener = transport.listenHttp(address, config.limits(), config.http().webSocketOptions(),
                    httpPortOptions(), config.tls(), this::accept, service);
        } catch (Exception e) { // Netty rethrows the bind failure's IOException unchecked
            listener.close().join();
            if (backplane != null) {
                backplane.close(); // before the loops its connections may run on
            }
            transport.close();
            state.set(State.STOPPED);
            stopped.complete(null);
            throw new UncheckedIOException("cannot listen for HTTP on " + config.httpHost() + ":" + config.httpPort()
                    + ": " + e.getMessage(), e instanceof IOException io ? io : new IOException(e));
        }
        log.info("conduit server {} http on {}://{}:{}/ (WebSocket at {})", serverId, config.tlsEnabled() ? "https" : "http",
                httpListener.address().getHostString(), httpListener.address().getPort(), config.webSocketPath());
    }

    /**
     * The HTTP port's limits: the handshake timeout as its request deadline, the allowed hosts, and
     * a gate that counts each accepted HTTP connection against the connection limits from accept.
     */
    private HttpPortOptions httpPortOptions() {
        List<String> hosts = config.http().allowedHostsFor(config.httpHost(), config.alternates());
        return new HttpPortOptions(config.handshakeTimeout(), HttpPortOptions.DEFAULT.maxQueuedResponseBytes(), hosts,
                new AcceptGate() {
                    @Override
                    public Runnable admit(String remoteHost) {
                        ErrorCode refused = connectionCounter.admit(remoteHost);
                        if (refused != null) {
                            logRefusal("HTTP connection from " + remoteHost, refused, remoteHost);
                            return null;
                        }
                        return () -> connectionCounter.release(remoteHost);
                    }

                    @Override
                    public void refused(String remoteAddress, String limit, String what) {
                        limitLog(limit).note("HTTP connection from " + remoteAddress, what);
                    }
                });
    }

    /**
     * Whether a connection was counted when its socket was accepted by the HTTP port (a WebSocket
     * link: the HTTP port's only connections), and so is not counted again here.
     */
    private static boolean countedAtHttpAccept(Connection connection) {
        return connection.transportName().equals("ws") || connection.transportName().equals("wss");
    }

    /** Opens the Unix domain socket; on failure undoes the start. */
    private void startUnix() {
        try {
            unixListener = transport.listenUnix(config.unixSocket(), config.limits(), this::accept);
        } catch (RuntimeException e) {
            listener.close().join();
            if (httpListener != null) {
                httpListener.close().join();
            }
            if (backplane != null) {
                backplane.close(); // before the loops its connections may run on
            }
            transport.close();
            state.set(State.STOPPED);
            stopped.complete(null);
            throw e instanceof UncheckedIOException u ? u : new UncheckedIOException("cannot listen on unix socket "
                    + config.unixSocket().path() + ": " + e.getMessage(), new IOException(e));
        }
        log.info("conduit server {} listening on unix://{}", serverId, config.unixSocket().path());
    }

    /** Makes the handler of a new connection; runs on its I/O thread. */
    private FrameHandler accept(Connection connection) {
        ErrorCode refused = countedAtHttpAccept(connection) ? null : connectionCounter.admit(connection.remoteHost());
        if (refused != null) {
            return refuse(connection, refused);
        }
        ServerConnection c = new ServerConnection(this, connection);
        connections.add(c);
        metrics.connectionOpened(connection.transportName());
        if (state.get() != State.RUNNING) {
            c.goAway(0);
        }
        return c;
    }

    /**
     * After a valid HELLO: resumes the session it names, or starts a new one (telling the client
     * first, with a non-fatal 410, why its session could not be resumed). Sends WELCOME. A resume
     * needs the session's current {@link ResumeToken} (compared in constant time) and the same
     * principal; refused attempts are charged to the remote address ({@link ResumeAttempts}), and an
     * address out of attempts gets a fatal 420 and no session at all.
     *
     * @return the session, or null if the connection was refused
     */
    ServerSession openSession(ServerConnection c, Frame.Hello hello, int version, dev.conduit.server.spi.Principal principal) {
        return openSession(c, hello, version, principal, null);
    }

    /**
     * {@link #openSession(ServerConnection, Frame.Hello, int, dev.conduit.server.spi.Principal)};
     * {@code elsewhere}, if not null, says why the session another node of the cluster held could
     * not move here.
     */
    ServerSession openSession(ServerConnection c, Frame.Hello hello, int version, dev.conduit.server.spi.Principal principal,
                              @org.jspecify.annotations.Nullable String elsewhere) {
        boolean afterRefusal = false;
        if (hello.resumeToken().length > 0) {
            if (!resumeAttempts.allowed(c.remoteHost)) {
                c.fatal(ErrorCode.RATE_LIMITED, "too many refused resume attempts from this address: try again later");
                return null;
            }
            String refusal;
            boolean charge = true;
            ResumeToken token = null;
            try {
                token = ResumeToken.decode(hello.resumeToken());
            } catch (ProtocolException e) {
                // refused below
            }
            ServerSession s = token == null ? null : sessions.get(token.sessionId());
            String evicted = s == null && token != null && token.epoch() == epoch
                    ? budget.evictedBecause(token.sessionId()) : null;
            if (token == null) {
                refusal = "the resume token is malformed";
            } else if (token.epoch() != epoch && s == null) {
                refusal = elsewhere != null ? elsewhere : "the server has restarted since (its epoch differs)";
                charge = false; // names no live session: nothing to guess
            } else if (evicted != null) {
                refusal = evicted; // the id alone says so: no secret is revealed by this
            } else if (s == null) {
                refusal = ServerSession.WRONG_TOKEN;
            } else if (!s.principalName().equals(principal.name())) {
                refusal = "the session belongs to another principal";
                log.warn("{}: principal {} tried to resume session {} of another principal", c, principal.name(), s.id);
            } else {
                refusal = s.resume(c, token, hello.resumeLastReceived(), version, hello.clientName(), principal);
                if (refusal == null) {
                    metrics.sessionResumed();
                    return s;
                }
                if (refusal != ServerSession.WRONG_TOKEN) {
                    charge = false; // its owner, with frames the session no longer holds
                    if (!s.endAfterRefusedResume("resume refused: " + refusal)) {
                        log.info("{}: a late resume was refused ({}); the session goes on on its connection", s, refusal);
                    }
                }
            }
            if (charge) {
                resumeAttempts.refused(c.remoteHost);
            }
            limitLog("resume").hit(c, "session not resumed: " + refusal, ErrorCode.SESSION_NOT_RESUMED);
            c.connection.send(new Frame.Error(ErrorCode.SESSION_NOT_RESUMED, false, "session not resumed: " + refusal));
            afterRefusal = true;
        }
        ServerSession s = new ServerSession(this, randomId(12), c, hello.clientName());
        if (afterRefusal) {
            s.heldOnlyOnceUsed();
        }
        s.access(authentication.accessFor(principal), principal);
        sessions.put(s.id, s);
        s.welcomeNew(version);
        log.debug("{} opened (protocol {})", s, version);
        return s;
    }

    /**
     * Registers a session that moved here from another node, with its subscriptions (in the index,
     * and in the cluster's interest); under the routing lock's write side ({@link SessionMoves}).
     */
    void installMoved(ServerSession s) {
        sessions.put(s.id, s);
        for (ServerSubscription sub : s.subscriptions.values()) {
            if (indexed(sub)) {
                index.add(sub);
            }
            systemSubscriptions(sub.pattern, 1);
            interestChanged(sub, true);
        }
    }

    /**
     * Whether the local index routes {@code sub}: always, but for a durable session's subscription
     * outside {@code $SYS}, which the backplane routes (it knows every node's).
     */
    boolean indexed(ServerSubscription sub) {
        return !durable || dev.conduit.server.spi.Permissions.isSystem(sub.pattern);
    }

    /**
     * The number of the client frame of {@code s} being processed on this thread (routing happens
     * while it is, under the session's inLock), or 0 if none is.
     */
    static long frameInProgress(@org.jspecify.annotations.Nullable ServerSession s) {
        return s != null && Thread.holdsLock(s.inLock) ? s.inbound.lastReceived() : 0;
    }

    /** The link to the other nodes; null for a single server. */
    dev.conduit.server.spi.@org.jspecify.annotations.Nullable Backplane backplane() {
        return backplane;
    }

    /** Whether sessions move to other nodes of the cluster (a server with a backplane). */
    boolean movesSessions() {
        return moves != null;
    }

    /** The backplane's view of sessions moving; null for a single server. */
    @org.jspecify.annotations.Nullable SessionMoves moves() {
        return moves;
    }

    AuditLog audit() {
        return audit;
    }

    /** A new resume token for a session of this server. */
    ResumeToken issueResumeToken(String sessionId) {
        return ResumeToken.issue(epoch, sessionId, RANDOM);
    }

    /** A new session's inbox prefix: {@code _INBOX.} and 16 random bytes, base64url, then a dot. */
    static String newInboxPrefix() {
        return ServerSession.INBOXES + randomId(16) + ".";
    }

    void route(ServerSession from, ServerConnection publisher, Frame.Publish publish) {
        SessionMoves m = moves;
        if (m == null) {
            routeNow(from, publisher, publish);
            return;
        }
        // The cut of a session move (SessionMoves): routing and forwarding happen together.
        m.routeLock.readLock().lock();
        try {
            routeNow(from, publisher, publish);
            m.holdLocal(publish.body());
        } finally {
            m.routeLock.readLock().unlock();
        }
    }

    private void routeNow(ServerSession from, ServerConnection publisher, Frame.Publish publish) {
        List<ServerSubscription> targets = from.targets;
        MessageBody body = publish.body();
        long received = from.stats.received(body.payloadLength());
        subjects.offer(received, body.subject());
        long startNanos = (received & (DELIVERY_SAMPLE_EVERY - 1)) == 0 ? config.clock().nanoTime() : -1;
        index.match(body.subject(), targets);
        // $SYS subjects reach only subscriptions whose pattern names $SYS, which needed permission:
        // a '>' or '*.stats' subscriber does not see them. They stay on this node.
        boolean system = dev.conduit.server.spi.Permissions.isSystem(body.subject());
        try {
            dev.conduit.server.spi.Backplane.Forwarded forwarded = backplane == null || system
                    ? dev.conduit.server.spi.Backplane.Forwarded.LOCAL_ONLY
                    : durable ? backplane.forwardDurable(body, publish.request(), from.id, from.inbound.lastReceived())
                    : backplane.forward(body, publish.request(), !targets.isEmpty());
            if (forwarded.remoteInterest()) {
                from.inbound.forwarded(); // its ACK waits until the other nodes' streams hold it
                if (publisher != null) {
                    publisher.waitForBackplane(backplane); // paced while the other nodes' queue is behind
                }
            }
            if (targets.isEmpty()) {
                if (publish.request() && body.replyTo() != null && !forwarded.remoteInterest()) {
                    if (durable) {
                        backplane.durableNoResponders(from.id, from.inbound.lastReceived(), from.id, body.replyTo());
                        from.inbound.forwarded();
                    } else {
                        from.outbound.noResponders(body.replyTo());
                    }
                }
                return;
            }
            if (publish.request() && body.replyTo() != null && from.stats.sampleFree()) {
                from.stats.requestRouted(body.replyTo(), config.clock().nanoTime());
            }
            // An inbox reaches only its own session, whatever wildcards others subscribed with.
            boolean inbox = body.subject().startsWith(ServerSession.INBOXES);
            if (publisher != null) {
                publisher.routed(targets.size());
            }
            Set<String> groupsElsewhere = forwarded.groupsElsewhere();
            for (int i = 0, n = targets.size(); i < n; i++) { // indexed: no iterator per message
                ServerSubscription target = targets.get(i);
                if (system && !dev.conduit.server.spi.Permissions.isSystem(target.pattern)) {
                    continue;
                }
                if (target.group != null && !groupsElsewhere.isEmpty() && groupsElsewhere.contains(target.group.name)) {
                    continue; // another node delivers this group's one copy
                }
                if (inbox && !target.session.mayReceive(body.subject())) {
                    continue;
                }
                if (moves != null && target.group == null && target.session.leaving) {
                    continue; // moving to another node, which holds this publish for it
                }
                // Handed to the target session's writer, which numbers and sends it on its own thread
                // (or holds it, and may ask this publisher to wait). Timed: the first target, once written.
                target.session.outbound.deliver(target, body, publisher, true, startNanos);
                startNanos = -1;
            }
        } finally {
            targets.clear();
        }
    }

    /** Routing scratch space of {@link #routeRemote}: the backplane hands it one message at a time. */
    private final List<ServerSubscription> remoteTargets = new java.util.ArrayList<>();

    /**
     * Routes a message published on another node of the cluster to local subscriptions (see {@link
     * dev.conduit.server.spi.BackplaneHost#deliverRemote}); on the backplane's thread. Not handed
     * back to the backplane, so a message crosses between nodes once.
     */
    int routeRemote(MessageBody body, @org.jspecify.annotations.Nullable Set<String> groups) {
        return routeRemote(body, groups, Set.of(), Set.of());
    }

    /**
     * {@link #routeRemote(MessageBody, Set)} while sessions move: the plain subscriptions of the
     * sessions in {@code skip} get nothing, and the message is held for the arriving sessions in
     * {@code hold} (SessionMoves).
     */
    int routeRemote(MessageBody body, @org.jspecify.annotations.Nullable Set<String> groups, Set<String> skip,
                    Set<String> hold) {
        SessionMoves m = moves;
        if (m == null) {
            return routeRemoteNow(body, groups, skip);
        }
        m.routeLock.readLock().lock();
        try {
            int n = routeRemoteNow(body, groups, skip);
            m.holdRemote(body, hold);
            return n;
        } finally {
            m.routeLock.readLock().unlock();
        }
    }

    private int routeRemoteNow(MessageBody body, @org.jspecify.annotations.Nullable Set<String> groups, Set<String> skip) {
        List<ServerSubscription> targets = remoteTargets; // the backplane delivers one message at a time
        targets.clear();
        index.match(body.subject(), targets);
        boolean system = dev.conduit.server.spi.Permissions.isSystem(body.subject());
        boolean inbox = body.subject().startsWith(ServerSession.INBOXES);
        int delivered = 0;
        for (ServerSubscription target : targets) {
            if (system && !dev.conduit.server.spi.Permissions.isSystem(target.pattern)) {
                continue;
            }
            if (inbox && !target.session.mayReceive(body.subject())) {
                continue;
            }
            if (target.group != null && groups != null && !groups.contains(target.group.name)) {
                continue; // the publishing node gave this group's copy to another node
            }
            if (target.group == null && !skip.isEmpty() && skip.contains(target.session.id)) {
                continue; // moving to another node, which gets this sender's messages for it now
            }
            if (target.reliable() && !target.drainedTo(config.maxPendingBytesPerSession())) {
                // A publisher of another node cannot be paced from here: the subscription holds its
                // messages up to the session's bound, past it they are not held but counted and
                // told to it with GAP (cluster.md, Bounds).
                target.droppedRemote();
                countSlowConsumer(true);
                continue;
            }
            target.session.outbound.deliver(target, body, null, true, -1);
            delivered++;
        }
        targets.clear();
        return delivered;
    }

    /** Another node found no responder for a request published here: its requester gets NO_RESPONDERS. */
    void noRespondersRemote(String replySubject) {
        List<ServerSubscription> targets = new java.util.ArrayList<>();
        index.match(replySubject, targets);
        for (ServerSubscription target : targets) {
            if (target.session.mayReceive(replySubject)) {
                target.session.outbound.noResponders(replySubject);
            }
        }
    }

    /**
     * Another node could not forward {@code count} messages on {@code subject} here (see {@link
     * dev.conduit.server.spi.BackplaneHost#gapRemote}): each local subscription that would have
     * received them gets a GAP; queue-group members are not told (one of them at most would have
     * had each message). On the backplane's thread.
     */
    int gapRemote(@org.jspecify.annotations.Nullable String subject, long count) {
        List<ServerSubscription> targets = new java.util.ArrayList<>();
        if (subject == null) {
            for (ServerSession s : sessions.values()) {
                for (ServerSubscription sub : s.subscriptions.values()) {
                    if (!dev.conduit.server.spi.Permissions.isSystem(sub.pattern)
                            && !sub.pattern.startsWith(ServerSession.INBOXES)) {
                        targets.add(sub);
                    }
                }
            }
        } else {
            index.match(subject, targets);
        }
        String matched = subject == null ? "" : subject;
        boolean system = dev.conduit.server.spi.Permissions.isSystem(matched);
        boolean inbox = matched.startsWith(ServerSession.INBOXES);
        int told = 0;
        for (ServerSubscription target : targets) {
            if (target.group != null || (system && !dev.conduit.server.spi.Permissions.isSystem(target.pattern))
                    || (inbox && !target.session.mayReceive(matched))) {
                continue;
            }
            target.session.outbound.gap(target, count);
            told++;
        }
        return told;
    }

    /** The cluster backplane's health and nodes; null for a server without a {@code cluster} setting. */
    dev.conduit.server.spi.@org.jspecify.annotations.Nullable BackplaneStatus backplaneStatus() {
        return backplane == null ? null : backplane.status();
    }

    /** A local subscription was added or removed: the cluster learns of it ($SYS ones stay on this node). */
    void interestChanged(ServerSubscription sub, boolean added) {
        if (backplane == null || dev.conduit.server.spi.Permissions.isSystem(sub.pattern)) {
            return;
        }
        if (durable) {
            ServerSession s = sub.session;
            long seq = frameInProgress(s);
            if (added) {
                backplane.durableSubscribed(s.id, seq, new dev.conduit.server.spi.Backplane.DurableSubscription(sub.id,
                        sub.pattern, sub.queueGroup(), sub.reliable(), sub.disconnectWhenSlow, sub.windowMessages,
                        sub.windowBytes));
            } else if (s.state() != ServerSession.State.CLOSED) { // an ended session goes whole (durableEnded)
                backplane.durableUnsubscribed(s.id, seq, sub.id);
            }
            if (seq > 0) {
                s.inbound.forwarded(); // the frame's ACK waits until the engine holds it
            }
            return;
        }
        if (added) {
            backplane.interestAdded(sub.pattern, sub.queueGroup());
        } else {
            backplane.interestRemoved(sub.pattern, sub.queueGroup());
        }
    }

    /**
     * A session ended holding requests that its queue group gave it and it never received: each
     * requester (whoever subscribes to the reply subject) gets NO_RESPONDERS at once instead of
     * waiting for its timeout. Called outside every session lock.
     */
    void requestsUnanswered(ServerSession ended, List<String> replySubjects) {
        List<ServerSubscription> targets = new java.util.ArrayList<>();
        for (String reply : replySubjects) {
            index.match(reply, targets);
            for (ServerSubscription target : targets) {
                target.session.outbound.noResponders(reply);
            }
            targets.clear();
        }
        metrics.requestsUnanswered(replySubjects.size());
        log.info("{} ended holding {} unanswered requests for its queue groups: their requesters were sent "
                + "NO_RESPONDERS", ended, replySubjects.size());
    }

    /**
     * Publishes a message from the server itself (such as {@code $SYS.stats}) to the sessions
     * subscribed; on the stats tick only, which serializes the use of its scratch list.
     */
    void publishInternal(String subject, byte[] payload) {
        List<ServerSubscription> targets = internalTargets;
        index.match(subject, targets);
        try {
            if (targets.isEmpty()) {
                return;
            }
            MessageBody body = MessageBody.of(subject, null, null, payload);
            boolean system = dev.conduit.server.spi.Permissions.isSystem(subject);
            for (int i = 0, n = targets.size(); i < n; i++) {
                ServerSubscription target = targets.get(i);
                if (system && !dev.conduit.server.spi.Permissions.isSystem(target.pattern)) {
                    continue; // as in route: only subscriptions that name $SYS, which needed permission
                }
                target.session.outbound.deliver(target, body, null, false, -1); // held like any other; the stats tick never waits
            }
        } finally {
            targets.clear();
        }
    }

    /**
     * Delivers the server's answer to a {@code $SYS.api} request to the requesting session's own
     * subscriptions matching {@code subject} (its request inbox), and to nobody else; not counted as
     * traffic. Any thread.
     */
    void replyInternal(ServerSession to, String subject, byte[] payload) {
        List<ServerSubscription> targets = new java.util.ArrayList<>();
        if (durable) { // its inbox subscription is not in the index: the backplane routes it
            for (ServerSubscription sub : to.subscriptions.values()) {
                if (dev.conduit.protocol.Subjects.matches(sub.pattern, subject)) {
                    targets.add(sub);
                }
            }
        } else {
            index.match(subject, targets);
        }
        MessageBody body = MessageBody.of(subject, null, null, payload);
        for (ServerSubscription target : targets) {
            if (target.session == to) {
                to.outbound.deliver(target, body, null, false, -1);
            }
        }
    }

    SystemApi systemApi() {
        return systemApi;
    }

    /** The live session with this (public) id, or null. */
    ServerSession session(String id) {
        return sessions.get(id);
    }

    /** Whether any subscription matches {@code subject}; on the stats tick only, as {@link #publishInternal}. */
    boolean hasSubscribers(String subject) {
        index.match(subject, internalTargets);
        boolean any = !internalTargets.isEmpty();
        internalTargets.clear();
        return any;
    }

    void connectionClosed(ServerConnection c) {
        if (connections.remove(c)) {
            if (!countedAtHttpAccept(c.connection)) {
                connectionCounter.release(c.remoteHost);
            }
            metrics.connectionClosed(c.connection.transportName());
        }
    }

    /** Over maxConnections or maxConnectionsPerAddress: one fatal ERROR, then closed; no session. */
    private FrameHandler refuse(Connection connection, ErrorCode code) {
        String message = logRefusal("connection from " + connection.remoteAddress(), code, connection.remoteHost());
        return new RefusedConnection(connection, code, message + "; try again later");
    }

    /** Logs (rate-limited) a connection refused over a limit; returns why, for the peer. */
    private String logRefusal(String peer, ErrorCode code, String remoteHost) {
        String message;
        LimitLog limitLog;
        if (code == ErrorCode.TOO_MANY_CONNECTIONS) {
            message = "the server holds its maximum of " + connectionCounter.maxTotal() + " connections";
            limitLog = connectionsLog;
        } else {
            message = "the server holds its maximum of " + connectionCounter.maxPerAddress()
                    + " connections from " + remoteHost;
            limitLog = perAddressLog;
        }
        limitLog.hit(peer, "refused: " + message, code);
        return message;
    }

    /**
     * Counts a connection a server extension accepted (a ZeroMQ peer) against the connection limits;
     * its release, or null if it is over a limit (then logged as the server's own refusals are).
     */
    Runnable admitExternal(String what, String remoteHost) {
        ErrorCode refused = connectionCounter.admit(remoteHost);
        if (refused != null) {
            logRefusal(what + " from " + remoteHost, refused, remoteHost);
            return null;
        }
        return () -> connectionCounter.release(remoteHost);
    }

    /** Connections counted against the limits now (as {@link #connectionCount()}, from the counter). */
    int countedConnections() {
        return connectionCounter.total();
    }

    /**
     * Log lines for a limit's hits, held to a few per interval of real time (not the configured
     * clock: under a manual one, lines would stay held for good).
     */
    LimitLog limitLog(String limit) {
        return limitLogs.computeIfAbsent(limit, l -> new LimitLog(l, dev.conduit.transport.Clock.system()));
    }

    /** Whether the server is stopping (or stopped). */
    boolean stopping() {
        State st = state.get();
        return st == State.STOPPING || st == State.STOPPED;
    }

    void sessionEnded(ServerSession session) {
        budget.gone(session);
        if (sessions.remove(session.id, session)) {
            metrics.retire(session.stats);
        }
        noteSessionsGone();
    }

    /** While stopping: completes {@link #sessionsGone} once no session is left. */
    private void noteSessionsGone() {
        if (state.get() == State.STOPPING && sessions.isEmpty()) {
            sessionsGone.complete(null);
        }
    }

    MemoryBudget budget() {
        return budget;
    }

    java.util.concurrent.Executor authExecutor() {
        return authExecutor;
    }

    ServerMetrics metrics() {
        return metrics;
    }

    SubjectSampler subjects() {
        return subjects;
    }

    StatsPublisher stats() {
        return stats;
    }

    Collection<ServerSession> sessionList() {
        return sessions.values();
    }

    /** Sessions in this state now; counted when read (a gauge), not kept. */
    int sessionsIn(ServerSession.State s) {
        int n = 0;
        for (ServerSession session : sessions.values()) {
            if (session.state() == s) {
                n++;
            }
        }
        return n;
    }

    /** Whether the server is accepting connections: started and not stopping. */
    boolean accepting() {
        return state.get() == State.RUNNING;
    }

    void countSlowConsumer(boolean dropped) {
        if (dropped) {
            slowConsumerDrops.increment(); // per message, from every publisher's thread: no shared CAS
        } else {
            slowConsumerDisconnects.incrementAndGet();
        }
    }

    /** Messages dropped for slow sessions, and sessions disconnected for being slow, since start. */
    long[] slowConsumerCounts() {
        return new long[] {slowConsumerDrops.sum(), slowConsumerDisconnects.get()};
    }

    /** A subscription to {@code pattern} was added (+1) or removed (-1): counted if it is a $SYS one. */
    void systemSubscriptions(String pattern, int delta) {
        if (dev.conduit.server.spi.Permissions.isSystem(pattern)) {
            systemSubscriptions.addAndGet(delta);
        }
    }

    /** Subscriptions held, those to $SYS patterns left out. */
    int userSubscriptions() {
        return Math.max(0, index.size() - systemSubscriptions.get());
    }

    SubjectIndex index() {
        return index;
    }

    ServerConfig config() {
        return config;
    }

    Authentication authentication() {
        return authentication;
    }

    long epoch() {
        return epoch;
    }

    /** The cluster's other live nodes, named in WELCOME; none for a single server. On any thread, without blocking. */
    List<String> welcomeAlternates() {
        return backplane == null ? List.of() : alternates.cluster(backplane.alternates());
    }

    /** Named in the GOAWAY of a stop: the configured alternates, then the cluster's other live nodes. */
    List<String> goAwayAlternates() {
        List<String> leaving = leavingAlternates;
        return leaving != null ? leaving : alternates.withConfigured(backplane == null ? List.of() : backplane.alternates());
    }

    @Override
    public InetSocketAddress address() {
        if (listener == null) {
            throw new IllegalStateException("server is not started");
        }
        return listener.address();
    }

    @Override
    public InetSocketAddress httpAddress() {
        if (listener == null) {
            throw new IllegalStateException("server is not started");
        }
        if (httpListener == null) {
            throw new IllegalStateException("the server has no HTTP port (httpPort is -1)");
        }
        return httpListener.address();
    }

    @Override
    public String serverId() {
        return serverId;
    }

    @Override
    public Connector localConnector() {
        if (state.get() != State.RUNNING) {
            throw new IllegalStateException("server is " + state.get() + ": start it before connecting");
        }
        return InMemoryConnector.create(this::accept, localExecutor);
    }

    @Override
    public MeterRegistry meterRegistry() {
        return metrics.registry();
    }

    /** The server's transport (its event loops); set once started. */
    Transport transport() {
        return transport;
    }

    @Override
    public int connectionCount() {
        return connections.size();
    }

    @Override
    public int sessionCount() {
        return sessions.size();
    }

    @Override
    public CompletableFuture<Void> stop() {
        if (state.compareAndSet(State.NEW, State.STOPPED)) {
            metrics.close();
            stopped.complete(null);
            return stopped;
        }
        if (!state.compareAndSet(State.RUNNING, State.STOPPING)) {
            return stopped;
        }
        stats.stop();
        authentication.close();
        // Extensions first: what they still send through their in-process sessions gets out in the drain.
        ExtensionContext.stopAll(extensions);
        extensions = List.of();
        long drainMillis = config.drainTimeout().toMillis();
        log.info("conduit server {} stopping: closing {} connections within {} ms", serverId, connections.size(),
                drainMillis);
        listener.close().join();
        if (httpListener != null) {
            httpListener.close().join();
        }
        if (unixListener != null) {
            unixListener.close().join();
        }
        leavingAlternates = goAwayAlternates(); // the other nodes as last seen when the stop began
        List<CompletableFuture<Void>> closing = connections.stream().map(c -> {
            c.goAway((int) Math.min(Integer.MAX_VALUE, drainMillis));
            return c.connection.closeFuture();
        }).toList();
        // Sessions waiting for a resume that can no longer come.
        sessions.values().forEach(s -> s.goAway(0));
        CompletableFuture<Void> drained = CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                .completeOnTimeout(null, drainMillis, TimeUnit.MILLISECONDS);
        if (moves != null && !durable) {
            // A cluster node's sessions move to the nodes their clients resume on (SessionMoves):
            // the backplane stays up while they do, for at most another drainTimeout.
            drained = drained.thenCompose(v -> {
                noteSessionsGone(); // at once if none is left
                return sessionsGone.completeOnTimeout(null, drainMillis, TimeUnit.MILLISECONDS);
            });
        }
        drained.whenCompleteAsync((v, e) -> {
                    if (backplane != null) {
                        backplane.close(); // not on an event loop: it waits for Redis
                    }
                    connections.forEach(c -> c.connection.abort());
                    sessions.values().forEach(s -> s.end("server stopped"));
                    transport.shutdown().whenComplete((x, y) -> {
                        localExecutor.shutdown();
                        authExecutor.shutdown();
                        metrics.close();
                        state.set(State.STOPPED);
                        log.info("conduit server {} stopped", serverId);
                        stopped.complete(null);
                    });
                }, r -> Thread.ofVirtual().name("conduit-stop").start(r)); // not an event loop: the backplane waits for Redis
        return stopped;
    }

    @Override
    public void close() {
        stop().join();
    }

    private static String randomId(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}

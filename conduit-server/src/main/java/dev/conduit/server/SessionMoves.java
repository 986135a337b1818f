package dev.conduit.server;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ResumeToken;
import dev.conduit.protocol.Subjects;
import dev.conduit.server.spi.BackplaneHost.SessionOffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.jspecify.annotations.Nullable;

/**
 * The server's side of sessions moving between the nodes of a cluster (docs/cluster.md, "Sessions
 * move between nodes"); only a server with a backplane has one.
 *
 * <p>The cut. A message must reach a moving session exactly once: from the node it leaves if that
 * node routed it before the cut, from the node it moves to otherwise. Each node draws the cut for
 * its own publishes under {@link #routeLock}: routing and forwarding a local publish hold its read
 * lock, and the backplane changes what this node forwards and starts holding (or stops
 * delivering) under its write lock ({@link #exclusively}), so no publish falls between the two.
 * Messages from other nodes are cut by the backplane, which tells {@link RoutingServer#routeRemote}
 * which sessions to skip or hold for per sending node.
 *
 * <p>Threads: any. Holds are guarded by their own monitor.
 */
final class SessionMoves {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SessionMoves.class);
    /** Read-held while a local publish is routed and forwarded; write-held to change the cut. */
    final ReentrantReadWriteLock routeLock = new ReentrantReadWriteLock();
    /** Messages held for sessions moving here, by session id. */
    private final Map<String, Hold> holds = new ConcurrentHashMap<>();
    private final RoutingServer server;

    SessionMoves(RoutingServer server) {
        this.server = server;
    }

    /** A message held for one subscription of a session moving here. */
    record Held(int subscriptionId, MessageBody body) {
    }

    /** What is held for one session moving here, in routing order. */
    static final class Hold {
        final SessionOffer offer;
        private final List<Held> items = new ArrayList<>();
        private long bytes;
        /** Messages not held past the bound, per subscription id: reported with GAP once the session arrives. */
        private final Map<Integer, Long> dropped = new java.util.HashMap<>();

        Hold(SessionOffer offer) {
            this.offer = offer;
        }

        /** Holds {@code body} for each plain subscription it matches. */
        synchronized void offer(MessageBody body, long maxBytes) {
            String subject = body.subject();
            if (subject.startsWith(ServerSession.INBOXES) && !subject.startsWith(offer.inboxPrefix())) {
                return;
            }
            for (Map.Entry<Integer, String> sub : offer.plainSubscriptions().entrySet()) {
                if (Subjects.matches(sub.getValue(), subject)) {
                    if (bytes + body.payloadLength() > maxBytes) {
                        dropped.merge(sub.getKey(), 1L, Long::sum); // reported with GAP when the session arrives
                        continue;
                    }
                    items.add(new Held(sub.getKey(), body));
                    bytes += body.payloadLength();
                }
            }
        }

        synchronized List<Held> items() {
            return List.copyOf(items);
        }

        synchronized Map<Integer, Long> dropped() {
            return Map.copyOf(dropped);
        }
    }

    void exclusively(Runnable action) {
        routeLock.writeLock().lock();
        try {
            action.run();
        } finally {
            routeLock.writeLock().unlock();
        }
    }

    /** A local publish: held for each session moving here whose subscriptions match it; under the read lock. */
    void holdLocal(MessageBody body) {
        if (holds.isEmpty() || dev.conduit.server.spi.Permissions.isSystem(body.subject())) {
            return;
        }
        long max = server.config().maxPendingBytesPerSession();
        for (Hold h : holds.values()) {
            h.offer(body, max);
        }
    }

    /** A message from another node, held for the sessions in {@code holdFor}; under the read lock. */
    void holdRemote(MessageBody body, Set<String> holdFor) {
        if (holdFor.isEmpty() || dev.conduit.server.spi.Permissions.isSystem(body.subject())) {
            return;
        }
        long max = server.config().maxPendingBytesPerSession();
        for (String id : holdFor) {
            Hold h = holds.get(id);
            if (h != null) {
                h.offer(body, max);
            }
        }
    }

    void holdFor(SessionOffer offer) {
        holds.put(offer.sessionId(), new Hold(offer));
    }

    void stopHolding(String sessionId) {
        holds.remove(sessionId);
    }

    /**
     * A HELLO whose resume token another node of the cluster issued, for a session not held here:
     * the backplane's claim of that session, or null (no cluster, or not such a token).
     */
    java.util.concurrent.@org.jspecify.annotations.Nullable CompletableFuture<dev.conduit.server.spi.Backplane.Moved> claimElsewhere(
            Frame.Hello hello, dev.conduit.server.spi.Principal principal) {
        dev.conduit.server.spi.Backplane backplane = server.backplane();
        if (backplane == null || hello.resumeToken().length == 0) {
            return null;
        }
        ResumeToken token;
        try {
            token = ResumeToken.decode(hello.resumeToken());
        } catch (ProtocolException e) {
            return null; // refused as malformed by openSession
        }
        if (token.epoch() == server.epoch() || (!server.durable && server.session(token.sessionId()) != null)) {
            return null;
        }
        if (server.durable) { // a copy still here is stale: another node took the session over since
            var claim = backplane.claimDurable(token, principal.name(), hello.resumeLastReceived());
            return claim == null ? null : claim.thenApply(dev.conduit.server.spi.Backplane.Moved::durable);
        }
        return backplane.claim(token, principal.name());
    }

    /**
     * The session of {@code hello} moved here from another node (SessionMoves): installs it from
     * its state, sends WELCOME (RESUMED) with the replay, then what was held for it. If it cannot
     * be resumed, opens a new session after a 410 saying why, as {@link RoutingServer#openSession} does. On the
     * connection's thread.
     */
    ServerSession openMoved(ServerConnection c, Frame.Hello hello, int version, dev.conduit.server.spi.Principal principal,
                            dev.conduit.server.spi.Backplane.Moved moved) {
        SessionState st;
        ResumeToken token;
        dev.conduit.server.spi.Backplane.DurableClaim durable = moved.durable();
        try {
            st = durable != null ? durableState(durable) : SessionState.decode(moved.state(), server.config().limits());
            token = ResumeToken.decode(hello.resumeToken());
        } catch (IllegalArgumentException | ProtocolException e) {
            moved.installed().run();
            LOG.warn("{}: the state of the session that moved here could not be read: {}", c, e.getMessage());
            return server.openSession(c, hello, version, principal, "its state could not be read on this server");
        }
        if (!st.principal().equals(principal.name())) {
            moved.installed().run();
            return server.openSession(c, hello, version, principal, "the session belongs to another principal");
        }
        ServerSession s;
        String refusal;
        routeLock.writeLock().lock(); // nothing is routed to it until what was held is handed over
        try {
            Hold hold = holds.remove(st.id());
            ServerSession stale = durable == null ? null : server.session(st.id());
            if (stale != null) { // kept here after another node took the session, which comes back now
                stale.handedOver = true;
                stale.end("taken over by another node of the cluster");
            }
            s = new ServerSession(server, st, c, token);
            s.access(server.authentication().accessFor(principal), principal);
            if (hold != null) {
                hold.dropped().forEach((id, n) -> {
                    ServerSubscription sub = s.subscriptions.get(id);
                    if (sub != null) {
                        sub.droppedWhileMoving(n);
                    }
                });
            }
            server.installMoved(s);
            refusal = s.resumeMoved(c, hello.resumeLastReceived(), version, principal);
            if (refusal == null && durable != null) {
                long number = durable.clientLast();
                for (Frame f : durable.after()) { // numbered by the engine after what the client has
                    s.outbound.durableFrame(++number, f);
                }
            }
            if (refusal == null && hold != null) {
                for (Held item : hold.items()) {
                    ServerSubscription sub = s.subscriptions.get(item.subscriptionId());
                    if (sub != null) {
                        s.outbound.deliver(sub, item.body(), null, true, -1);
                    }
                }
            }
        } finally {
            routeLock.writeLock().unlock();
        }
        moved.installed().run();
        if (refusal != null) {
            s.end("resume refused: " + refusal);
            return server.openSession(c, hello, version, principal, refusal);
        }
        server.metrics().sessionResumed();
        LOG.info("{} moved here from another node of the cluster", s);
        return s;
    }

    /**
     * A durable session as the engine held it, as a state to install: what the client had
     * received is acknowledged (nothing to replay from here), and each subscription has sent what
     * the engine counted up to there; the frames after it follow through the durable queue.
     */
    private static SessionState durableState(dev.conduit.server.spi.Backplane.DurableClaim d) {
        java.util.List<SessionState.Sub> subs = new java.util.ArrayList<>();
        for (var sub : d.subscriptions()) {
            long[] sent = d.sent().getOrDefault(sub.id(), new long[2]);
            subs.add(new SessionState.Sub(sub.id(), sub.pattern(), sub.group(), sub.disconnectWhenSlow(),
                    sub.reliable() ? sub.creditMessages() : 0, sub.reliable() ? sub.creditBytes() : 0, sent[0], sent[1],
                    0, 0, sent[0], Long.MAX_VALUE, 0, java.util.List.of()));
        }
        return new SessionState(d.sessionId(), d.inboxPrefix(), d.clientName(), d.principal(), d.lastReceived(),
                d.clientLast(), java.util.List.of(), subs);
    }

    /** The owner's side: checks a claim and keeps the session for its move. */
    SessionOffer offer(ResumeToken token, String principal) {
        ServerSession s = server.session(token.sessionId());
        if (s == null || !s.tokenMatches(token)) {
            throw new IllegalStateException(ServerSession.WRONG_TOKEN);
        }
        if (!s.principalName().equals(principal)) {
            throw new IllegalStateException("the session belongs to another principal");
        }
        s.claimed();
        Map<Integer, String> plain = new java.util.HashMap<>(); // what the claimer holds for: plain, not $SYS
        for (ServerSubscription sub : s.subscriptions.values()) {
            if (sub.queueGroup() == null && !dev.conduit.server.spi.Permissions.isSystem(sub.pattern)) {
                plain.put(sub.id, sub.pattern);
            }
        }
        return new SessionOffer(s.id, s.inboxPrefix, plain);
    }

    void leaveLocally(String sessionId) {
        ServerSession s = server.session(sessionId);
        if (s != null) {
            s.leaving = true;
        }
    }

    CompletableFuture<byte[]> handOver(String sessionId) {
        ServerSession s = server.session(sessionId);
        if (s == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("session " + sessionId + " has ended"));
        }
        return s.moveAway().thenApply(SessionState::encode);
    }

    void keep(String sessionId) {
        ServerSession s = server.session(sessionId);
        if (s != null) {
            s.claimCancelled();
        }
    }
}

package dev.conduit.cluster;

import dev.conduit.protocol.ResumeToken;
import dev.conduit.server.spi.Backplane;
import dev.conduit.server.spi.BackplaneHost;
import dev.conduit.server.spi.BackplaneHost.SessionOffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions moving between nodes (docs/cluster.md, "Sessions move between nodes"). A client whose
 * node stops resumes on another node with the token the first one issued; the new node (the
 * <em>claimer</em>) asks the old one (the <em>owner</em>) for the session, and the two agree, with
 * every other live node, on a cut: for each sending node, the messages it routed before its cut
 * reach the session through the owner, those after through the claimer, so none is lost or
 * delivered twice.
 *
 * <ol>
 * <li>claimer to owner: {@code CLAIM(id, session, principal, claimer; token)}. The owner checks
 *     the token (as a resume would) and keeps the session; it answers {@code OFFER(id, session,
 *     inbox prefix, nodes to wait for, then subscription id and pattern pairs)}, or {@code
 *     REFUSED(id, reason)}.</li>
 * <li>The claimer records the session's plain subscriptions as its own interest (so every node
 *     forwards matching messages to it too), then, with its local routing paused, starts holding
 *     the matching local publishes and sends {@code FENCE(id)} to the owner: its cut. It sends
 *     {@code FENCE_REQUEST(id, claimer, owner)} to every node the owner waits for.</li>
 * <li>Each such node re-reads the claimer's interest, then, with its routing paused, sends
 *     {@code FENCE(id)} to the owner and to the claimer: its cut. The owner itself stops delivering
 *     local publishes to the session there instead.</li>
 * <li>Each stream is in order, so after a node's FENCE the owner skips that node's messages for the
 *     session's plain subscriptions and the claimer holds them. Once the owner has every FENCE, it
 *     takes the session's state behind everything delivered to it and sends {@code STATE(id;
 *     state)}; the claimer's server installs the session, WELCOMEs it as resumed, and delivers what
 *     was held.</li>
 * </ol>
 *
 * Queue-group subscriptions are not cut: each message for a group goes to one node only, so the
 * session gets a group's message through the owner until its state is taken, and through the
 * claimer once installed. A claim that fails ({@code REFUSED}, or no STATE within {@link #TIMEOUT_MS})
 * tells the owner ({@code CANCEL(id)}), which keeps the session as it was.
 *
 * <p>Threads: {@link #claim} on an event loop (it only queues work); FENCE and STATE on the reader
 * thread, in stream order, because they change how the messages after them are routed; every other
 * step on the control thread, which may talk to Redis.
 */
final class Moves {
    private static final Logger log = LoggerFactory.getLogger(Moves.class);
    static final int CLAIM = 1;
    static final int OFFER = 2;
    static final int REFUSED = 3;
    static final int FENCE_REQUEST = 4;
    static final int FENCE = 5;
    static final int STATE = 6;
    static final int CANCEL = 7;
    static final long TIMEOUT_MS = 10_000;
    /** How often a pending claim checks that its owner is still alive (its presence key names its epoch). */
    static final long OWNER_CHECK_MS = 1_000;

    /** What the moves need of the rest of the backplane. */
    interface Cluster {
        /** The live node that runs with this epoch, read afresh; control thread. */
        @Nullable String nodeOfEpoch(long epoch);

        /** The other live nodes, as last read. */
        Set<String> liveNodes();

        /** Adds to (or takes from) this node's interest and writes it to Redis now; control thread. */
        void interest(Set<String> patterns, int delta);

        /** Re-reads a node's interest and routes by it from now on; control thread. */
        void reread(String node);

        /** Queues a control record for a node, in order with the messages queued before it. */
        void send(String node, Batch.Control control);
    }

    private final class Claim {
        final String id;
        final ResumeToken token;
        final String principal;
        final CompletableFuture<Backplane.Moved> result = new CompletableFuture<>();
        volatile @Nullable String owner;
        volatile @Nullable SessionOffer offer;
        /** Nodes whose FENCE arrived: their messages after it are held for the session. */
        final Set<String> fenced = ConcurrentHashMap.newKeySet();

        Claim(String id, ResumeToken token, String principal) {
            this.id = id;
            this.token = token;
            this.principal = principal;
        }
    }

    private static final class Leaving {
        final String id;
        final String sessionId;
        final String claimer;
        final Set<String> waitFor;
        /** Nodes whose FENCE arrived: their messages after it skip the session. */
        final Set<String> fenced = ConcurrentHashMap.newKeySet();
        boolean selfFenced;
        boolean handing;

        Leaving(String id, String sessionId, String claimer, Set<String> waitFor) {
            this.id = id;
            this.sessionId = sessionId;
            this.claimer = claimer;
            this.waitFor = waitFor;
        }
    }

    private final String self;
    private final BackplaneHost host;
    private final ScheduledExecutorService control;
    private final Cluster cluster;
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Claim> claims = new ConcurrentHashMap<>();
    private final Map<String, Leaving> leaving = new ConcurrentHashMap<>();

    Moves(String self, BackplaneHost host, ScheduledExecutorService control, Cluster cluster) {
        this.self = self;
        this.host = host;
        this.control = control;
        this.cluster = cluster;
    }

    // ---- the claimer's side ------------------------------------------------------------------

    /** Asks the node that issued {@code token} for its session; any thread, never blocks. */
    CompletableFuture<Backplane.Moved> claim(ResumeToken token, String principal) {
        Claim c = new Claim(self + "-" + ids.incrementAndGet(), token, principal);
        claims.put(c.id, c);
        control.execute(() -> {
            try {
                String owner = cluster.nodeOfEpoch(token.epoch());
                if (owner == null || owner.equals(self)) {
                    fail(c.id, "the node that held it is gone");
                    return;
                }
                c.owner = owner;
                cluster.send(owner, new Batch.Control(CLAIM, List.of(c.id, token.sessionId(), principal, self),
                        token.encoded()));
            } catch (RuntimeException e) {
                fail(c.id, "the cluster could not be reached: " + e.getMessage());
            }
        });
        control.schedule(() -> fail(c.id, "the node that held it did not hand it over within " + TIMEOUT_MS + " ms"),
                TIMEOUT_MS, TimeUnit.MILLISECONDS);
        watchOwner(c);
        return c.result;
    }

    /**
     * Fails the claim as soon as its owner is seen dead (its presence key gone, or naming another
     * epoch: a {@code kill -9}), rather than at the timeout: the client learns within a presence TTL
     * and a check that its session is lost. While Redis cannot be read the claim waits on.
     */
    private void watchOwner(Claim c) {
        control.schedule(() -> {
            if (c.result.isDone() || !claims.containsKey(c.id)) {
                return;
            }
            try {
                if (c.owner != null && cluster.nodeOfEpoch(c.token.epoch()) == null) {
                    fail(c.id, "the node that held it is gone");
                    return;
                }
            } catch (RuntimeException e) {
                // Redis unreachable: the timeout still ends the claim
            }
            watchOwner(c);
        }, OWNER_CHECK_MS, TimeUnit.MILLISECONDS);
    }

    /** The owner offers the session: hold what matches it, cut here, and ask every node for its cut. */
    private void offered(String from, Batch.Control m) {
        Claim c = claims.get(m.arg(0));
        if (c == null || c.result.isDone()) {
            cluster.send(from, new Batch.Control(CANCEL, List.of(m.arg(0)), new byte[0]));
            return;
        }
        String sessionId = m.arg(1);
        String inboxPrefix = m.arg(2);
        Set<String> waitFor = Set.of(m.arg(3).isEmpty() ? new String[0] : m.arg(3).split(" "));
        Map<Integer, String> subs = new HashMap<>();
        for (int i = 4; i + 1 < m.args().size(); i += 2) {
            subs.put(Integer.parseInt(m.arg(i)), m.arg(i + 1));
        }
        SessionOffer offer = new SessionOffer(sessionId, inboxPrefix, subs);
        cluster.interest(new HashSet<>(subs.values()), 1);
        c.offer = offer;
        host.exclusively(() -> {
            host.holdFor(offer);
            cluster.send(from, fence(c.id));
        });
        Set<String> asked = new HashSet<>(waitFor);
        asked.add(from); // the owner cuts its own local publishes too
        for (String node : asked) {
            if (!node.equals(self)) {
                cluster.send(node, new Batch.Control(FENCE_REQUEST, List.of(c.id, self, from), new byte[0]));
            }
        }
    }

    /** The claim failed: forget what was held, tell the owner, and fail the resume. */
    private void fail(String id, String reason) {
        Claim c = claims.remove(id);
        if (c == null) {
            return;
        }
        release(c);
        String owner = c.owner;
        if (owner != null) {
            cluster.send(owner, new Batch.Control(CANCEL, List.of(id), new byte[0]));
        }
        if (!c.result.completeExceptionally(new IllegalStateException(reason))) {
            log.warn("session {} arrived too late to be installed; it is lost", c.token.sessionId());
        }
    }

    /** What the claim kept (held messages, interest) goes; control thread. */
    private void release(Claim c) {
        SessionOffer offer = c.offer;
        if (offer != null) {
            c.offer = null;
            host.stopHolding(offer.sessionId());
            cluster.interest(new HashSet<>(offer.plainSubscriptions().values()), -1);
        }
    }

    // ---- the owner's side --------------------------------------------------------------------

    private void claimed(String from, Batch.Control m) {
        String id = m.arg(0);
        String claimer = m.arg(3);
        SessionOffer offer;
        try {
            offer = host.offerSession(ResumeToken.decode(m.data()), m.arg(2));
        } catch (RuntimeException e) {
            cluster.send(claimer, new Batch.Control(REFUSED, List.of(id, String.valueOf(e.getMessage())), new byte[0]));
            return;
        }
        Set<String> waitFor = new HashSet<>(cluster.liveNodes());
        waitFor.remove(self);
        waitFor.add(claimer);
        leaving.put(id, new Leaving(id, offer.sessionId(), claimer, waitFor));
        List<String> args = new ArrayList<>(List.of(id, offer.sessionId(), offer.inboxPrefix(), String.join(" ", waitFor)));
        offer.plainSubscriptions().forEach((subId, pattern) -> {
            args.add(Integer.toString(subId));
            args.add(pattern);
        });
        cluster.send(claimer, new Batch.Control(OFFER, args, new byte[0]));
        log.info("session {} moves to node {}", offer.sessionId(), claimer);
    }

    /** A claimer asks for this node's cut; control thread. */
    private void fenceRequested(Batch.Control m) {
        String id = m.arg(0);
        String claimer = m.arg(1);
        String owner = m.arg(2);
        cluster.reread(claimer); // from now on, what matches the moving session is forwarded to it too
        if (owner.equals(self)) {
            Leaving l = leaving.get(id);
            if (l == null) {
                return;
            }
            host.exclusively(() -> {
                host.leaveLocally(l.sessionId);
                cluster.send(claimer, fence(id));
            });
            synchronized (l) {
                l.selfFenced = true;
            }
            complete(l);
        } else {
            host.exclusively(() -> {
                cluster.send(owner, fence(id));
                cluster.send(claimer, fence(id));
            });
        }
    }

    /** Every cut is in: take the session's state and send it to the claimer. */
    private void complete(Leaving l) {
        synchronized (l) {
            if (l.handing || !l.selfFenced) {
                return;
            }
            Set<String> live = cluster.liveNodes();
            for (String node : l.waitFor) {
                if (!l.fenced.contains(node) && (live.contains(node) || node.equals(l.claimer))) {
                    return;
                }
            }
            l.handing = true;
        }
        host.handOver(l.sessionId).whenComplete((state, e) -> {
            leaving.remove(l.id);
            if (e != null) {
                cluster.send(l.claimer, new Batch.Control(REFUSED, List.of(l.id, String.valueOf(e.getMessage())),
                        new byte[0]));
            } else {
                cluster.send(l.claimer, new Batch.Control(STATE, List.of(l.id), state));
                log.info("session {} handed over to node {}", l.sessionId, l.claimer);
            }
        });
    }

    private void cancelled(Batch.Control m) {
        Leaving l = leaving.remove(m.arg(0));
        if (l != null) {
            synchronized (l) {
                if (l.handing) {
                    return; // its state is on its way; the claimer drops it
                }
                l.handing = true;
            }
            host.keepSession(l.sessionId);
        }
    }

    // ---- the reader's side -------------------------------------------------------------------

    /** A control record from {@code from}, read from this node's stream; the read callback (Reader). */
    void received(String from, Batch.Control m) {
        switch (m.op()) {
            case FENCE -> {
                Claim c = claims.get(m.arg(0));
                if (c != null) {
                    c.fenced.add(from);
                }
                Leaving l = leaving.get(m.arg(0));
                if (l != null) {
                    l.fenced.add(from);
                    control.execute(() -> complete(l));
                }
            }
            case STATE -> {
                Claim c = claims.get(m.arg(0));
                if (c == null || !c.result.complete(new Backplane.Moved(m.data(), () -> control.execute(() -> {
                    claims.remove(c.id);
                    release(c);
                })))) {
                    log.warn("the state of a session arrived after its claim {} was given up; the session is lost",
                            m.arg(0));
                }
            }
            case CLAIM -> control.execute(() -> claimed(from, m));
            case OFFER -> control.execute(() -> offered(from, m));
            case REFUSED -> control.execute(() -> fail(m.arg(0), m.arg(1)));
            case FENCE_REQUEST -> control.execute(() -> fenceRequested(m));
            case CANCEL -> control.execute(() -> cancelled(m));
            default -> log.warn("unknown control record {} from node {}", m.op(), from);
        }
    }

    /** Sessions moving away whose plain subscriptions no longer get {@code origin}'s messages; the read callback. */
    Set<String> skip(String origin) {
        if (leaving.isEmpty()) {
            return Set.of();
        }
        Set<String> skip = new HashSet<>(2);
        for (Leaving l : leaving.values()) {
            if (l.fenced.contains(origin)) {
                skip.add(l.sessionId);
            }
        }
        return skip;
    }

    /** Sessions moving here for which {@code origin}'s messages are held; the read callback. */
    Set<String> hold(String origin) {
        if (claims.isEmpty()) {
            return Set.of();
        }
        Set<String> hold = new HashSet<>(2);
        for (Claim c : claims.values()) {
            SessionOffer offer = c.offer;
            if (offer != null && c.fenced.contains(origin)) {
                hold.add(offer.sessionId());
            }
        }
        return hold;
    }

    /** Each second: a node that died no longer holds up a move. Control thread. */
    void tick() {
        leaving.values().forEach(this::complete);
    }

    private static Batch.Control fence(String id) {
        return new Batch.Control(FENCE, List.of(id), new byte[0]);
    }
}

package dev.conduit.cluster;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ResumeToken;
import dev.conduit.server.spi.Backplane.DurableClaim;
import dev.conduit.server.spi.Backplane.DurableSubscription;
import dev.conduit.server.spi.Backplane.Forwarded;
import dev.conduit.server.spi.BackplaneHost;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durable sessions (docs/cluster.md, "Durable sessions"): every client session's state lives in
 * Redis as it flows, so that a session survives a crash of its node. This node's side of it:
 *
 * <ul>
 *   <li>the steps its sessions take (opened, subscribed, acknowledged, ended) and every message for
 *   a durable subscription go, in order, through the {@link Sender}'s rounds into {@link
 *   DurableStore}'s script, which numbers each session's frames and appends them to its log;</li>
 *   <li>a table of every durable subscription in the cluster ({@link DurableTable}) routes a publish
 *   to the sessions it reaches, wherever they are held (queue groups: one member);</li>
 *   <li>the frames of the sessions held here come back through this node's stream (the reader hands
 *   them to {@link #bell}) and go to the server strictly in number order; a hole (a frame trimmed
 *   from the stream, or numbered while the session was being taken over) is read from the log;</li>
 *   <li>a client resuming a session this node does not hold takes it over from Redis ({@link
 *   #claim}): the owner switches atomically, so what was numbered before comes from the log and
 *   what is numbered after comes here.</li>
 * </ul>
 *
 * <p>Threads: the server's event loops call the steps, {@link #forward} and {@link #claim}; they
 * never block (a step is queued, a claim is a future). The table is immutable and replaced whole
 * under {@code this}. Each session's {@link Track} is used under its own lock, from the reader's
 * loop, Lettuce's completions and the claiming connection's thread.
 */
final class Durables {
    private static final Logger log = LoggerFactory.getLogger(Durables.class);
    /** Frames waiting for a hole to be read, per session, before they are dropped and read again. */
    private static final int MAX_WAITING = 4_096;
    /** Frames read from a log at a time. */
    private static final int FETCH = 512;

    private final DurableStore store;
    private final Sender sender;
    private final BackplaneHost host;
    private final ClusterMetrics metrics;
    /** Every durable session of the cluster as last known: this node's first-hand, the others' as read. */
    private final Map<String, DurableTable.Session> known = new ConcurrentHashMap<>();
    /** Sessions held here: their subscriptions are known first-hand, not read back. */
    private final Set<String> local = ConcurrentHashMap.newKeySet();
    private volatile DurableTable table = DurableTable.EMPTY;
    private final Map<String, AtomicLong> groupTurns = new ConcurrentHashMap<>();
    private final Map<String, Track> tracks = new ConcurrentHashMap<>();
    /** Messages for a subscription not queued at the bound, told with a GAP before its next one. */
    private final Map<DurableTable.Target, Long> lost = new ConcurrentHashMap<>();
    /** Sessions held here that the last full reload did not find in Redis. */
    private final Set<String> missingOnce = ConcurrentHashMap.newKeySet();

    /** Messages queued for durable subscriptions ({@code conduit.cluster.forwarded{node=durable}}). */
    private final io.micrometer.core.instrument.Counter forwarded;

    Durables(DurableStore store, Sender sender, BackplaneHost host, ClusterMetrics metrics) {
        this.forwarded = metrics.forwardedCounter("durable");
        this.store = store;
        this.sender = sender;
        this.host = host;
        this.metrics = metrics;
        sender.durable(store);
        io.micrometer.core.instrument.Gauge.builder("conduit.cluster.durable.sessions", this, d -> d.table.sessions())
                .description("durable sessions of the cluster known to this node").register(host.meterRegistry());
        io.micrometer.core.instrument.Gauge.builder("conduit.cluster.durable.subscriptions", this, d -> d.table.size())
                .description("their subscriptions, which this node routes to").register(host.meterRegistry());
        io.micrometer.core.instrument.Gauge.builder("conduit.cluster.durable.held", this, d -> d.local.size())
                .description("durable sessions held by this node").register(host.meterRegistry());
    }

    // ---------------------------------------------------------------------------------------------
    // Steps of the sessions held here

    void opened(String session, String inbox, String principal, String name, byte[] token) {
        local.add(session);
        tracks.put(session, new Track(session, 1, true));
        known.put(session, new DurableTable.Session(inbox, Map.of()));
        rebuild();
        step(r -> r.create(session, inbox, principal, name, token), 256);
    }

    void token(String session, byte[] token) {
        step(r -> r.token(session, token), 128);
    }

    void subscribed(String session, long seq, DurableSubscription s) {
        DurableStore.Sub sub = new DurableStore.Sub(s.reliable(), s.disconnectWhenSlow(), s.creditMessages(),
                s.creditBytes(), s.group(), s.pattern());
        known.compute(session, (id, old) -> {
            Map<Integer, DurableStore.Sub> subs = new HashMap<>(old == null ? Map.of() : old.subs());
            subs.put(s.id(), sub);
            return new DurableTable.Session(old == null ? "" : old.inbox(), subs);
        });
        rebuild();
        step(r -> r.subscribe(session, seq, s.id(), sub), 128 + s.pattern().length());
    }

    void unsubscribed(String session, long seq, int sid) {
        known.computeIfPresent(session, (id, old) -> {
            Map<Integer, DurableStore.Sub> subs = new HashMap<>(old.subs());
            subs.remove(sid);
            return new DurableTable.Session(old.inbox(), subs);
        });
        rebuild();
        step(r -> r.unsubscribe(session, seq, sid), 64);
    }

    void received(String session, long seq) {
        step(r -> r.received(session, seq), 64);
    }

    void acknowledged(String session, long acked) {
        step(r -> r.ack(session, acked), 64);
    }

    void ended(String session) {
        local.remove(session);
        tracks.remove(session);
        known.remove(session);
        rebuild();
        step(r -> r.end(session), 64);
        // Another node may hold it now (this one kept it after a claim there): read it back.
        reload(session);
    }

    /** A message for a subscription of a session held here ($SYS), or NO_RESPONDERS for one. */
    void deliver(@Nullable String origin, long originSeq, String session, int sid, MessageBody body) {
        message(origin, originSeq, new DurableTable.Target(session, sid), body, encode(body));
    }

    void noResponders(@Nullable String origin, long originSeq, String session, String reply) {
        step(r -> r.noResponders(origin, originSeq, session, reply), 64 + reply.length());
    }

    /** Routes a publish of this node to every durable subscription it reaches in the cluster. */
    Forwarded forward(MessageBody body, @Nullable String origin, long originSeq) {
        DurableTable.Route route = table.route(body.subject());
        if (route.isEmpty()) {
            return Forwarded.LOCAL_ONLY;
        }
        byte[] encoded = encode(body); // once for all its targets
        for (DurableTable.Target t : route.plain()) {
            message(origin, originSeq, t, body, encoded);
        }
        for (Map.Entry<String, List<DurableTable.Target>> g : route.groups().entrySet()) {
            List<DurableTable.Target> members = g.getValue();
            DurableTable.Target pick = members.size() == 1 ? members.get(0) : members.get((int) Long.remainderUnsigned(
                    groupTurns.computeIfAbsent(g.getKey(), k -> new AtomicLong()).getAndIncrement(), members.size()));
            message(origin, originSeq, pick, body, encoded);
        }
        return Forwarded.REMOTE;
    }

    private void message(@Nullable String origin, long originSeq, DurableTable.Target t, MessageBody body,
                         byte[] encoded) {
        if (!lost.isEmpty()) {
            Long dropped = lost.remove(t);
            if (dropped != null) {
                long n = dropped;
                step(r -> r.lost(t.session(), t.sid(), n), 64);
            }
        }
        int plen = body.payloadLength();
        if (sender.offerDurable(r -> r.message(origin, originSeq, t.session(), t.sid(), plen, encoded),
                encoded.length, true)) {
            forwarded.increment();
        } else {
            metrics.dropped(1);
            lost.merge(t, 1L, Long::sum);
        }
    }

    private void step(java.util.function.Consumer<DurableStore.Round> op, int bytes) {
        if (!sender.offerDurable(op, bytes, false)) {
            metrics.dropped(1);
            log.error("a durable session step was not queued: the send queue is past its bound (Redis unreachable "
                    + "for long?)");
        }
    }

    /** A message body as a log entry holds it: a one-record {@link Batch}. */
    static byte[] encode(MessageBody body) {
        Batch b = new Batch(body.encodedLength() + 32);
        b.add(new Batch.Item(Batch.MESSAGE, body, false, false, Set.of()));
        return b.toBytes();
    }

    /** Each thread's cache of subjects for {@link #decode} (the reader's loop, and log reads' completions). */
    private static final ThreadLocal<Batch.Strings> SUBJECTS = ThreadLocal.withInitial(Batch.Strings::new);

    static MessageBody decode(byte[] data) {
        List<Batch.Item> items = Batch.read(data, SUBJECTS.get());
        if (items.size() != 1 || items.get(0).kind() != Batch.MESSAGE) {
            throw new IllegalArgumentException("a durable message entry holds " + items.size() + " records");
        }
        return items.get(0).body();
    }

    // ---------------------------------------------------------------------------------------------
    // The table

    private synchronized void rebuild() {
        table = new DurableTable(known);
    }

    /** Reads every durable session of the cluster again (at start, and now and then for lost hints). */
    CompletableFuture<Void> reloadAll() {
        return store.loadAll().thenAccept(all -> {
            // A session held here that Redis no longer has (it restarted without its data) gets no
            // frames any more: it ends, and its client is told. Missing twice in a row, so that one
            // whose creation is still on its way is not taken for lost.
            for (String id : local) {
                if (!all.containsKey(id) && !missingOnce.add(id)) {
                    missingOnce.remove(id);
                    log.warn("durable session {} is no longer in Redis (it lost its data): ending it", id);
                    host.durableLost(id, "the cluster's engine lost this session (Redis restarted without its data)");
                }
            }
            missingOnce.retainAll(local);
            missingOnce.removeIf(all::containsKey);
            for (Map.Entry<String, DurableStore.Held> e : all.entrySet()) {
                if (!local.contains(e.getKey())) {
                    known.put(e.getKey(), new DurableTable.Session(e.getValue().inbox(), e.getValue().subs()));
                }
            }
            known.keySet().removeIf(id -> !all.containsKey(id) && !local.contains(id));
            rebuild();
        });
    }

    /** A hint: the session changed in Redis (by its node); read it again. */
    void reload(String session) {
        store.load(session).whenComplete((held, e) -> {
            if (e != null) {
                return; // the next full reload makes up for it
            }
            if (held == null) {
                if (!local.contains(session)) {
                    known.remove(session);
                    rebuild();
                }
                return;
            }
            if (held.epoch() != host.epoch()) {
                local.remove(session); // another node took it over
            }
            if (!local.contains(session)) {
                known.put(session, new DurableTable.Session(held.inbox(), held.subs()));
                rebuild();
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // Frames of the sessions held here

    /** An entry of this node's stream with durable frames; the reader's loop. */
    void bell(byte[] data) {
        for (DurableStore.Bell b : DurableStore.decodeBell(data)) {
            Track t = tracks.get(b.session());
            if (t != null) {
                t.offer(b.q(), frame(b.kind(), b.sid(), b.data()));
            }
        }
    }

    private static Frame frame(char kind, int sid, byte[] data) {
        return switch (kind) {
            case 'M' -> new Frame.Message(0, sid, decode(data));
            case 'N' -> new Frame.NoResponders(new String(data, StandardCharsets.UTF_8));
            case 'G' -> new Frame.Gap(sid, Long.parseLong(new String(data, StandardCharsets.US_ASCII)), false);
            default -> throw new IllegalArgumentException("durable frame of kind " + kind);
        };
    }

    /**
     * One session held here: the number of its next frame, and what arrived ahead of it while a hole
     * is read from the log or while the session is being installed.
     */
    private final class Track {
        private final String session;
        /** The next number due; 0 while a claim has not said it yet. */
        private long next;
        private boolean installed;
        private boolean fetching;
        private final TreeMap<Long, Frame> waiting = new TreeMap<>();

        Track(String session, long next, boolean installed) {
            this.session = session;
            this.next = next;
            this.installed = installed;
        }

        synchronized void offer(long q, Frame f) {
            if (next > 0 && q < next) {
                return; // had it already (from the log)
            }
            if (next == 0 || !installed || fetching || q > next) {
                if (waiting.size() >= MAX_WAITING) {
                    waiting.clear(); // read again from the log once the hole is filled
                }
                waiting.put(q, f);
                if (next > 0 && installed && !fetching) {
                    fetch();
                }
                return;
            }
            hand(f);
            drain();
        }

        /** The claim said where the session stands: {@code next} is due, and it is installed or not yet. */
        synchronized void start(long next) {
            this.next = next;
        }

        synchronized void installed() {
            installed = true;
            drain();
        }

        private void hand(Frame f) {
            if (!host.deliverDurable(session, next, f)) {
                tracks.remove(session, this);
            }
            next++;
        }

        /** Hands what waits in order; reads a hole from the log. Under the lock. */
        private void drain() {
            while (!waiting.isEmpty() && waiting.firstKey() <= next) {
                Map.Entry<Long, Frame> e = waiting.pollFirstEntry();
                if (e.getKey() == next) {
                    hand(e.getValue());
                }
            }
            if (!waiting.isEmpty() && !fetching) {
                fetch();
            }
        }

        private void fetch() {
            fetching = true;
            long from = next;
            store.fetch(session, from, FETCH).whenComplete((frames, e) -> fetched(from, frames, e));
        }

        private synchronized void fetched(long from, @Nullable List<DurableStore.LogFrame> frames,
                                          @Nullable Throwable e) {
            fetching = false;
            if (e != null || frames == null) {
                log.warn("reading the log of durable session {} from {} failed: {}", session, from,
                        e == null ? "no reply" : e.getMessage());
                CompletableFuture.delayedExecutor(200, java.util.concurrent.TimeUnit.MILLISECONDS)
                        .execute(this::refetch);
                return;
            }
            for (DurableStore.LogFrame f : frames) {
                if (f.q() == next) {
                    hand(frame(f.kind(), f.sid(), f.data()));
                }
            }
            if (frames.isEmpty() && !waiting.isEmpty() && waiting.firstKey() > next) {
                log.error("durable session {}: frames {}..{} are in neither the stream nor the log", session, next,
                        waiting.firstKey() - 1);
                next = waiting.firstKey(); // the server ends the session: its numbering has a hole
            }
            drain();
        }

        private synchronized void refetch() {
            if (!fetching && tracks.get(session) == this) {
                fetch();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Taking a session over

    /** Takes over a session from Redis for a client that resumes it here. */
    CompletableFuture<DurableClaim> claim(ResumeToken token, String principal, long clientLast) {
        String session = token.sessionId();
        Track track = new Track(session, 0, false);
        tracks.put(session, track); // from the owner switch on, its frames come here: keep them
        return store.claim(session, token.encoded(), clientLast).handle((c, e) -> {
            if (e != null) {
                tracks.remove(session, track);
                Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                        ? e.getCause() : e;
                throw new java.util.concurrent.CompletionException(cause);
            }
            if (!c.principal().equals(principal)) {
                tracks.remove(session, track);
                throw new IllegalStateException("the session belongs to another principal");
            }
            List<DurableSubscription> subs = new ArrayList<>();
            Map<Integer, long[]> sent = new HashMap<>();
            c.subs().forEach((sid, s) -> {
                subs.add(new DurableSubscription(sid, s.pattern(), s.group(), s.reliable(), s.disconnectWhenSlow(),
                        s.creditMessages(), s.creditBytes()));
                long[] assigned = c.assigned().get(sid);
                sent.put(sid, assigned == null ? new long[2] : assigned.clone());
            });
            List<Frame> after = new ArrayList<>(c.after().size());
            Set<Integer> seen = new java.util.HashSet<>();
            for (DurableStore.LogFrame f : c.after()) {
                if (f.kind() == 'M' && seen.add(f.sid())) {
                    sent.put(f.sid(), new long[] {f.before(), f.beforeBytes()}); // what was sent before it
                }
                after.add(frame(f.kind(), f.sid(), f.data()));
            }
            track.start(clientLast + 1 + after.size());
            local.add(session);
            known.put(session, new DurableTable.Session(c.inbox(), c.subs()));
            rebuild();
            log.info("durable session {} taken over from the cluster (client had {}, {} frames after it)", session,
                    clientLast, after.size());
            return new DurableClaim(session, c.inbox(), c.principal(), c.name(), c.in(), clientLast, subs, sent, after,
                    track::installed);
        });
    }

    /** Ends the sessions whose node died and that nobody took over within {@code expireAfterMillis}. */
    void sweep(Set<Long> liveEpochs, long expireAfterMillis) {
        store.sweep(liveEpochs, System.currentTimeMillis(), expireAfterMillis).whenComplete((n, e) -> {
            if (e == null && n != null && n > 0) {
                log.info("{} durable sessions ended: their node died and no client resumed them within {} ms", n,
                        expireAfterMillis);
            }
        });
    }
}

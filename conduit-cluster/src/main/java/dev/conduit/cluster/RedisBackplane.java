package dev.conduit.cluster;

import dev.conduit.protocol.MessageBody;
import dev.conduit.server.ClusterConfig;
import dev.conduit.server.spi.Backplane;
import dev.conduit.server.spi.BackplaneHost;
import dev.conduit.server.spi.BackplaneStatus;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import dev.conduit.protocol.ResumeToken;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Backplane} over Redis (docs/cluster.md): interest in hashes with hints over PUB/SUB,
 * data in per-node streams, presence in expiring keys.
 *
 * <p>Threads: the server's event loops call {@link #interestAdded}, {@link #interestRemoved} and
 * {@link #forward}, which touch only concurrent maps, the current {@link InterestTable} (immutable)
 * and the {@link Sender}'s queue. Everything that talks to Redis runs on the backplane's own
 * thread {@code conduit-cluster-control} (presence, interest, the table) and in {@link Sender}'s
 * rounds and {@link Reader}'s reads, which never block: their replies are handled where Lettuce
 * completes them (its event loops), and the hint listener hands each hint to the control thread.
 */
// Past 600 lines on purpose: this is the one class the server's Backplane SPI reaches, so every SPI
// method (the durable sessions' ones delegate to Durables in a line each) and the control thread's
// presence and interest work that they share meet here; the parts with state of their own are
// classes of their own (Sender, Reader, Moves, Durables, LoopConnections, SharedEventLoops).
final class RedisBackplane implements Backplane {
    private static final Logger log = LoggerFactory.getLogger(RedisBackplane.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final RedisCodec<String, byte[]> BINARY = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final ClusterConfig config;
    private final ClusterTuning tuning;
    private final String self;
    private final long epoch = RANDOM.nextLong() & Long.MAX_VALUE;
    /** This node's interest: key -> local subscriptions holding it. Event loops write, control reads. */
    private final Map<InterestKey, Integer> local = new ConcurrentHashMap<>();
    /** Local interest keys changed since the control thread last wrote them. */
    private final Set<InterestKey> dirty = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    /** Other live nodes' interest as last read; the control thread only. */
    private final Map<String, Map<InterestKey, Integer>> remote = new HashMap<>();
    /** Nodes whose presence key was missing, since when (nanos); the control thread only. */
    private final Map<String, Long> absentSince = new HashMap<>();
    private volatile InterestTable table = InterestTable.EMPTY;
    /** Other live nodes' advertised URLs, from their presence keys as last read; the control thread only. */
    private final Map<String, String> advertised = new HashMap<>();
    /** {@link #advertised}'s URLs, sorted; replaced (never changed) by the control thread when they change. */
    private volatile List<String> alternates = List.of();
    private final Map<String, AtomicLong> groupTurns = new ConcurrentHashMap<>();
    private final ReplyRoutes replyRoutes;
    private final ScheduledExecutorService control = controlThread();

    private ClientResources resources;
    private RedisClient client;
    private StatefulRedisConnection<String, String> controlConnection;
    private StatefulRedisConnection<String, byte[]> sendConnection;
    /** More send connections, one per other event loop of the server's (see {@link Sender#onLoops}). */
    private List<StatefulRedisConnection<String, byte[]>> loopConnections = List.of();
    private StatefulRedisConnection<String, byte[]> readConnection;
    /** More read connections, one per other event loop of the server's (see {@link Reader#onLoops}). */
    private List<StatefulRedisConnection<String, byte[]>> readLoopConnections = List.of();
    private StatefulRedisPubSubConnection<String, String> hintConnection;
    private RedisCommands<String, String> redis;
    private ClusterMetrics metrics;
    private Sender sender;
    private Reader reader;
    private Moves moves;
    /** Durable sessions' side of this node; null unless {@code durableSessions}. */
    private @Nullable Durables durables;
    /** The server epochs of the live nodes (this one's included), as the control thread last read them. */
    private volatile Set<Long> liveEpochs = Set.of();
    /** Ticks since the durable sessions were last read whole and swept; the control thread only. */
    private int durableTicks;
    /** The other live nodes as last read; written by the control thread. */
    private volatile Set<String> live = Set.of();
    private volatile boolean started;
    /** The epoch of this node's server, recorded in its presence key. */
    private long serverEpoch;
    /** Every node that has joined, as the control thread last read them (with this one). */
    private volatile List<BackplaneStatus.Node> nodes = List.of();

    RedisBackplane(ClusterConfig config, ClusterTuning tuning) {
        this.config = config;
        this.tuning = tuning;
        this.self = config.nodeId() != null ? config.nodeId() : "n-" + Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36);
        this.replyRoutes = new ReplyRoutes(tuning.maxReplyRoutes(), tuning.replyRouteTtl().toNanos(), System::nanoTime);
    }

    @Override
    public void start(BackplaneHost host) {
        serverEpoch = host.epoch();
        metrics = new ClusterMetrics(host.meterRegistry(), System::nanoTime);
        RedisURI uri = RedisURI.create(config.redis());
        uri.setTimeout(tuning.commandTimeout());
        // Reconnect within a second of Redis coming back (Lettuce's default backoff grows to 30 s).
        resources = SharedEventLoops.onto(ClientResources.builder().reconnectDelay(
                Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS)), host).build();
        client = RedisClient.create(resources, uri);
        client.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                if (started) {
                    metrics.error("connection to Redis lost"); // Lettuce reconnects on its own
                }
            }
        });
        client.setOptions(ClientOptions.builder().autoReconnect(true)
                .timeoutOptions(TimeoutOptions.enabled(tuning.commandTimeout())).build());
        try {
            controlConnection = client.connect();
            redis = controlConnection.sync();
            // A new incarnation has no sessions: what was sent to the last one, and the interest it
            // recorded, have no one to go to.
            redis.del(ClusterKeys.inbound(self), ClusterKeys.interest(self));
            refreshPresence();
            sendConnection = client.connect(BINARY);
            readConnection = client.connect(BINARY);
            hintConnection = client.connectPubSub();
            hintConnection.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String node) {
                    if (node.startsWith("d:")) { // a durable session changed in Redis
                        Durables d = durables;
                        if (d != null) {
                            d.reload(node.substring(2));
                        }
                        return;
                    }
                    if (!node.equals(self) && !control.isShutdown()) {
                        try {
                            control.execute(() -> resync(node));
                        } catch (java.util.concurrent.RejectedExecutionException e) {
                            // leaving the cluster: no more re-reads
                        }
                    }
                }
            });
            hintConnection.sync().subscribe(ClusterKeys.HINTS);
            resyncAll();
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("cannot join the cluster on " + config.redis() + ": " + e.getMessage(), e);
        }
        StatefulRedisConnection<String, byte[]> sending = sendConnection;
        sender = new Sender(self, epoch, tuning, sending.async(), metrics, System::nanoTime, this::sendConnectionsOpen);
        LoopConnections.Kept sendLoops = LoopConnections.onEachLoop(client, BINARY, sending, host,
                tuning.commandTimeout());
        sender.onLoops(sendLoops.commands());
        loopConnections = sendLoops.made();
        moves = new Moves(self, host, control, new Moves.Cluster() {
            @Override
            public @Nullable String nodeOfEpoch(long e) {
                return RedisBackplane.this.nodeOfEpoch(e);
            }

            @Override
            public Set<String> liveNodes() {
                return live;
            }

            @Override
            public void interest(Set<String> patterns, int delta) {
                for (String p : patterns) {
                    changed(new InterestKey(p, null), delta);
                }
                flushLocal();
            }

            @Override
            public void reread(String node) {
                resync(node);
            }

            @Override
            public void send(String node, Batch.Control c) {
                if (!sender.offer(node, Batch.Item.control(c))) {
                    metrics.dropped(1);
                    log.warn("a session move's step {} for node {} was not sent: the send queue is full", c.op(), node);
                }
            }
        });
        reader = new Reader(self, tuning, readConnection.async(), host, replyRoutes, metrics, this::noResponders, moves);
        LoopConnections.Kept readLoops = LoopConnections.onEachLoop(client, BINARY, readConnection, host,
                tuning.commandTimeout());
        reader.onLoops(readLoops.commands(), sender::steadyLoop);
        readLoopConnections = readLoops.made();
        if (config.durableSessions()) {
            Durables d = new Durables(new DurableStore(sending.async(), self, serverEpoch), sender, host, metrics);
            try {
                d.reloadAll().get(tuning.commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                close();
                throw new IllegalStateException("cannot read the durable sessions from " + config.redis() + ": " + e, e);
            }
            durables = d;
            reader.durables(d);
        }
        metrics.gauges(() -> table.nodes().size() - (table.nodes().contains(self) ? 1 : 0),
                () -> table.size() - table.size(self), sender::queuedBytes, sender::lagMillis);
        reader.start();
        long every = tuning.resyncInterval().toMillis();
        control.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
        started = true;
        redis.publish(ClusterKeys.HINTS, self);
        log.info("cluster node {} joined through {} ({} other nodes)", self, config.redis(), remote.size());
    }

    /** This node's id in the cluster. */
    String nodeId() {
        return self;
    }

    @Override
    public void interestAdded(String pattern, @Nullable String queueGroup) {
        changed(new InterestKey(pattern, queueGroup), 1);
    }

    @Override
    public void interestRemoved(String pattern, @Nullable String queueGroup) {
        changed(new InterestKey(pattern, queueGroup), -1);
    }

    private void changed(InterestKey key, int delta) {
        local.compute(key, (k, n) -> {
            int count = (n == null ? 0 : n) + delta;
            return count <= 0 ? null : count;
        });
        dirty.add(key);
        if (started && flushScheduled.compareAndSet(false, true)) {
            control.execute(this::flushLocal);
        }
    }

    @Override
    public Forwarded forward(MessageBody body, boolean request, boolean localTargets) {
        if (!started) {
            return Forwarded.LOCAL_ONLY; // stopping: the sender is gone
        }
        String subject = body.subject();
        InterestTable.Route route = table.route(subject);
        String replyNode = subject.startsWith("_INBOX.") ? replyRoutes.get(subject) : null;
        if (route == InterestTable.Route.NONE && replyNode == null) {
            return Forwarded.LOCAL_ONLY;
        }
        if (route.groupNodes().isEmpty() && replyNode == null) {
            return forwardPlain(body, request, localTargets, route.plainNodes());
        }
        Map<String, Set<String>> assigned = null;
        for (Map.Entry<String, List<String>> g : route.groupNodes().entrySet()) {
            List<String> nodes = g.getValue();
            String pick = nodes.size() == 1 ? nodes.get(0)
                    : nodes.get((int) Long.remainderUnsigned(
                            groupTurns.computeIfAbsent(g.getKey(), k -> new AtomicLong()).getAndIncrement(), nodes.size()));
            if (!pick.equals(self)) {
                if (assigned == null) {
                    assigned = new HashMap<>(4);
                }
                assigned.computeIfAbsent(pick, n -> new HashSet<>(2)).add(g.getKey());
            }
        }
        Set<String> targets = new HashSet<>(route.plainNodes());
        targets.remove(self);
        if (assigned != null) {
            targets.addAll(assigned.keySet());
        }
        if (replyNode != null && !replyNode.equals(self)) {
            targets.add(replyNode);
        }
        if (targets.isEmpty()) {
            return Forwarded.LOCAL_ONLY;
        }
        boolean sole = request && !localTargets && targets.size() == 1;
        Set<String> elsewhere = new HashSet<>();
        for (String node : targets) {
            Set<String> groups = assigned == null ? Set.of() : assigned.getOrDefault(node, Set.of());
            elsewhere.addAll(groups);
            offer(node, body, request, sole, groups);
        }
        return elsewhere.isEmpty() ? Forwarded.REMOTE : new Forwarded(true, elsewhere);
    }

    /** {@link #forward} of a message that only plain subscriptions of {@code nodes} want: no set made per message. */
    private Forwarded forwardPlain(MessageBody body, boolean request, boolean localTargets, Set<String> nodes) {
        int others = nodes.contains(self) ? nodes.size() - 1 : nodes.size();
        if (others == 0) {
            return Forwarded.LOCAL_ONLY;
        }
        boolean sole = request && !localTargets && others == 1;
        for (String node : nodes) {
            if (!node.equals(self)) {
                offer(node, body, request, sole, Set.of());
            }
        }
        return Forwarded.REMOTE;
    }

    private void offer(String node, MessageBody body, boolean request, boolean sole, Set<String> groups) {
        if (!sender.offer(node, new Batch.Item(Batch.MESSAGE, body, request, sole, groups))) {
            metrics.dropped(1); // counted as forwarded once a send round takes it (Sender.prepare)
        }
    }

    /** Whether the send connection and those of the other event loops are all open. */
    private boolean sendConnectionsOpen() {
        return sendConnection.isOpen() && loopConnections.stream().allMatch(StatefulRedisConnection::isOpen);
    }

    /** How long a durable session whose node died waits for its client before it ends (the resume window's default). */
    static final long DURABLE_ORPHAN_MILLIS = 120_000;

    @Override
    public boolean durable() {
        return config.durableSessions();
    }

    // The durable sessions' steps go to Durables, which is set (in start) whenever durable() is true;
    // the server calls them only then, and only once started.

    @Override
    public void durableOpened(String sessionId, String inboxPrefix, String principal, String clientName,
                              byte[] resumeToken) {
        durables.opened(sessionId, inboxPrefix, principal, clientName, resumeToken);
    }

    @Override
    public void durableToken(String sessionId, byte[] resumeToken) {
        durables.token(sessionId, resumeToken);
    }

    @Override
    public void durableSubscribed(String sessionId, long seq, DurableSubscription subscription) {
        durables.subscribed(sessionId, seq, subscription);
    }

    @Override
    public void durableUnsubscribed(String sessionId, long seq, int subscriptionId) {
        durables.unsubscribed(sessionId, seq, subscriptionId);
    }

    @Override
    public Forwarded forwardDurable(MessageBody body, boolean request, @Nullable String origin, long originSeq) {
        Durables d = durables;
        return d == null || !started ? Forwarded.LOCAL_ONLY : d.forward(body, origin, originSeq);
    }

    @Override
    public void durableDeliver(@Nullable String origin, long originSeq, String sessionId, int subscriptionId,
                               MessageBody body) {
        durables.deliver(origin, originSeq, sessionId, subscriptionId, body);
    }

    @Override
    public void durableNoResponders(@Nullable String origin, long originSeq, String sessionId, String replySubject) {
        durables.noResponders(origin, originSeq, sessionId, replySubject);
    }

    @Override
    public void durableReceived(String sessionId, long lastReceived) {
        durables.received(sessionId, lastReceived);
    }

    @Override
    public void durableAcknowledged(String sessionId, long acknowledged) {
        durables.acknowledged(sessionId, acknowledged);
    }

    @Override
    public void durableEnded(String sessionId) {
        if (started) {
            durables.ended(sessionId);
        }
    }

    @Override
    public @Nullable CompletableFuture<DurableClaim> claimDurable(ResumeToken token, String principal,
                                                                  long clientLast) {
        Durables d = durables;
        return d == null || !started ? null : d.claim(token, principal, clientLast);
    }

    @Override
    public @Nullable CompletableFuture<Moved> claim(ResumeToken token, String principal) {
        if (!started) {
            return null;
        }
        return moves.claim(token, principal);
    }

    /** The live node whose presence names {@code e} as its epoch, read afresh; the control thread. */
    private @Nullable String nodeOfEpoch(long e) {
        for (String node : redis.smembers(ClusterKeys.NODES)) {
            String presence = redis.get(ClusterKeys.presence(node));
            if (presence != null && presence.startsWith(e + " ")) {
                return node;
            }
        }
        return null;
    }

    @Override
    public void whenSent(Runnable action) {
        if (started) {
            sender.whenSent(action);
        } else {
            action.run();
        }
    }

    @Override
    public boolean holdPublisher(Runnable release) {
        return started && sender.holdPublisher(release);
    }

    /** A request from {@code node} found no responder here: tell it (the read callback). */
    private void noResponders(String node, String replySubject) {
        if (!sender.offer(node, Batch.Item.noResponders(replySubject))) {
            metrics.dropped(1);
        }
    }

    /**
     * Degraded while any of the backplane's connections to Redis is down (Lettuce is reconnecting)
     * or a Redis command failed within {@code degradedFor}; the held bytes and lag are the
     * sender's, the nodes as the control thread last read them. Any thread.
     */
    @Override
    public BackplaneStatus status() {
        if (!started || sender == null || reader == null) {
            return new BackplaneStatus(true, "backplane: not started", 0, 0, 0, metrics == null ? 0 : metrics.errors(),
                    List.of());
        }
        String reason = "";
        boolean open = controlConnection.isOpen() && sendConnectionsOpen() && readConnection.isOpen()
                && readLoopConnections.stream().allMatch(StatefulRedisConnection::isOpen) && hintConnection.isOpen();
        if (!open) {
            reason = "backplane: Redis at " + config.redis() + " is unreachable; cross-node messages are held ("
                    + sender.queuedBytes() + " bytes)";
        } else {
            String error = metrics.recentError(tuning.degradedFor().toNanos());
            if (error != null) {
                reason = "backplane: a Redis command failed: " + error;
            }
        }
        return new BackplaneStatus(!reason.isEmpty(), reason, sender.queuedBytes(), sender.lagMillis(),
                reader.readLagMillis(), metrics.errors(), nodes);
    }

    /** Messages forwarded to {@code node} since start; for tests and views. */
    double forwardedTo(String node) {
        return metrics.forwardedTo(node);
    }

    /**
     * The advertised URLs of the other live nodes, as the control thread last read their presence
     * keys (at start, each resync interval, and on a node's hint); a node that advertises none is
     * left out. The same list while they do not change.
     */
    @Override
    public List<String> alternates() {
        return alternates;
    }

    /** The current interest table; for tests. */
    InterestTable table() {
        return table;
    }

    // ---- the control thread ------------------------------------------------------------------

    private void tick() {
        try {
            refreshPresence();
            if (redis.hlen(ClusterKeys.interest(self)) != local.size()) {
                // Redis lost it (restarted without persistence) or a write failed: write it whole again.
                redis.del(ClusterKeys.interest(self));
                dirty.addAll(local.keySet());
            }
            flushLocal();
            resyncAll();
            if (moves != null) {
                moves.tick();
            }
            Durables d = durables;
            if (d != null && ++durableTicks >= 10) { // hints lost while a connection was down; orphans
                durableTicks = 0;
                d.reloadAll();
                d.sweep(liveEpochs, DURABLE_ORPHAN_MILLIS);
            }
        } catch (RuntimeException e) {
            metrics.error(e.getMessage());
            log.warn("cluster control: {}", e.getMessage());
        }
    }

    private void refreshPresence() {
        // The server's epoch: a resume token names it, so a node finds the node that holds a session.
        redis.set(ClusterKeys.presence(self), serverEpoch + " " + (config.advertise() == null ? "" : config.advertise()),
                SetArgs.Builder.px(tuning.presenceTtl().toMillis()));
        redis.sadd(ClusterKeys.NODES, self);
    }

    /** Writes the local interest keys that changed, then hints the other nodes. */
    private void flushLocal() {
        flushScheduled.set(false);
        if (dirty.isEmpty()) {
            return;
        }
        try {
            Map<String, String> set = new HashMap<>();
            List<String> deleted = new java.util.ArrayList<>();
            for (InterestKey key : List.copyOf(dirty)) {
                dirty.remove(key);
                Integer count = local.get(key);
                if (count == null) {
                    deleted.add(key.field());
                } else {
                    set.put(key.field(), count.toString());
                }
            }
            if (!set.isEmpty()) {
                redis.hset(ClusterKeys.interest(self), set);
            }
            if (!deleted.isEmpty()) {
                redis.hdel(ClusterKeys.interest(self), deleted.toArray(String[]::new));
            }
            rebuild();
            redis.publish(ClusterKeys.HINTS, self);
        } catch (RuntimeException e) {
            metrics.error(e.getMessage());
            local.keySet().forEach(dirty::add); // written again whole on the next tick
            log.warn("recording this node's interest failed ({}); retried on the next tick", e.getMessage());
        }
    }

    /** Re-reads every live node's interest. */
    private void resyncAll() {
        Set<String> members = redis.smembers(ClusterKeys.NODES);
        Map<String, Map<InterestKey, Integer>> fresh = new HashMap<>();
        Set<Long> epochs = new HashSet<>();
        epochs.add(serverEpoch);
        List<BackplaneStatus.Node> seen = new java.util.ArrayList<>(members.size());
        for (String node : new java.util.TreeSet<>(members)) {
            String presence = redis.get(ClusterKeys.presence(node));
            int space = presence == null ? -1 : presence.indexOf(' ');
            seen.add(new BackplaneStatus.Node(node, space < 0 ? "" : presence.substring(space + 1), presence != null,
                    node.equals(self)));
            if (space > 0) {
                try {
                    epochs.add(Long.parseLong(presence.substring(0, space)));
                } catch (NumberFormatException e) {
                    // not a node's presence: left out
                }
            }
            if (node.equals(self)) {
                continue;
            }
            if (presence != null) {
                absentSince.remove(node);
                noteAdvertised(node, presence);
                fresh.put(node, readInterest(node));
            } else if (remote.containsKey(node)) {
                // Its presence key is gone: it died, or it expired while Redis was down and the node
                // has not refreshed it yet. Keep forwarding to it for one presence TTL, so that a
                // Redis outage longer than the TTL does not cost live nodes their traffic.
                long since = absentSince.computeIfAbsent(node, n -> System.nanoTime());
                if (System.nanoTime() - since < tuning.presenceTtl().toNanos()) {
                    fresh.put(node, remote.get(node));
                }
            }
        }
        absentSince.keySet().retainAll(fresh.keySet());
        nodes = List.copyOf(seen);
        liveEpochs = Set.copyOf(epochs);
        remote.clear();
        remote.putAll(fresh);
        live = Set.copyOf(fresh.keySet());
        rebuild();
        if (metrics != null) {
            metrics.resynced();
        }
    }

    /** Re-reads one node's interest, on its hint. */
    private void resync(String node) {
        try {
            Map<InterestKey, Integer> interest = read(node);
            if (interest == null) {
                remote.remove(node);
                advertised.remove(node);
            } else {
                remote.put(node, interest);
            }
            rebuild();
        } catch (RuntimeException e) {
            metrics.error(e.getMessage());
            log.warn("reading node {}'s interest failed ({}); read again on the next tick", node, e.getMessage());
        }
    }

    /** A node's interest, or null if it is not alive (its presence key expired); notes the URL it advertises. */
    private @Nullable Map<InterestKey, Integer> read(String node) {
        String presence = redis.get(ClusterKeys.presence(node));
        if (presence == null) {
            return null;
        }
        noteAdvertised(node, presence);
        return readInterest(node);
    }

    /** Notes the URL a node advertises in its presence value, "<epoch> <advertise URL>" (empty: none). */
    private void noteAdvertised(String node, String presence) {
        int space = presence.indexOf(' ');
        String url = space < 0 ? "" : presence.substring(space + 1).strip();
        if (url.isEmpty()) {
            advertised.remove(node);
        } else {
            advertised.put(node, url);
        }
    }

    /** A node's interest as recorded. */
    private Map<InterestKey, Integer> readInterest(String node) {
        Map<InterestKey, Integer> interest = new HashMap<>();
        redis.hgetall(ClusterKeys.interest(node)).forEach((field, count) -> {
            InterestKey key = InterestKey.parse(field);
            if (key != null) {
                try {
                    int n = Integer.parseInt(count);
                    if (n > 0) {
                        interest.put(key, n);
                    }
                } catch (NumberFormatException e) {
                    // written by another version: ignored, as an unknown field is
                }
            }
        });
        return interest;
    }

    private void rebuild() {
        Map<String, Map<InterestKey, Integer>> all = new HashMap<>(remote);
        all.put(self, Map.copyOf(local));
        table = new InterestTable(all);
        advertised.keySet().retainAll(remote.keySet());
        List<String> urls = advertised.values().stream().distinct().sorted().toList();
        if (!urls.equals(alternates)) {
            alternates = urls;
        }
    }

    /** The control thread; on close, what is scheduled for later (ticks, claim deadlines) is dropped. */
    private static ScheduledExecutorService controlThread() {
        java.util.concurrent.ScheduledThreadPoolExecutor e = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
                r -> Thread.ofPlatform().daemon().name("conduit-cluster-control").unstarted(r));
        e.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        e.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        return e;
    }

    @Override
    public void close() {
        started = false;
        control.shutdown(); // a tick or a move's step under way finishes (no "Command interrupted")
        try {
            if (!control.awaitTermination(tuning.commandTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                control.shutdownNow();
            }
        } catch (InterruptedException e) {
            control.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (reader != null) {
            reader.stop();
        }
        if (sender != null) {
            sender.stop(tuning.commandTimeout().toMillis());
        }
        if (redis != null) {
            try {
                redis.del(ClusterKeys.presence(self), ClusterKeys.interest(self));
                redis.srem(ClusterKeys.NODES, self);
                redis.publish(ClusterKeys.HINTS, self);
            } catch (RuntimeException e) {
                log.warn("leaving the cluster: {}", e.getMessage()); // the presence key expires by itself
            }
        }
        if (client != null) {
            client.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        }
        if (resources != null) {
            resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        }
        log.info("cluster node {} left", self);
    }
}

package dev.conduit.client;

import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.Headers;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import dev.conduit.transport.Connector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client over a pool of {@link ClientOptions#poolSize()} connections, each with a session of its
 * own.
 *
 * <ul>
 *   <li>The first connection is the <em>home</em>: every subscription and every publish goes through
 *       it, so publish order and each subscription's exactly-once delivery are those of a single
 *       session. It is never replaced for its age.
 *   <li>A request goes to the healthy (OPEN) connection with the fewest requests in flight, below
 *       {@link ClientOptions#maxRequestsPerConnection()}; when none is open, to the least loaded one
 *       that is still reconnecting, which holds it until it resumes. Its reply comes back on the same
 *       connection.
 *   <li>A connection other than the home that closes (its reconnect attempts ran out, or the server
 *       refused it for good) is replaced in the background, with backoff between replacements that
 *       fail before they connect. If the home closes, the whole client closes.
 *   <li>With {@link ClientOptions#maxConnectionAge()}, a connection other than the home is replaced
 *       once it is that old (plus a random jitter): its successor is opened first and takes its
 *       place once open (or after the connect timeout); then the old one takes no new requests,
 *       drains (its requests get their replies) and closes.
 * </ul>
 *
 * <p>Counts of requests in flight are kept per connection and decremented when each request's
 * future completes, whatever the outcome (reply, timeout, failure), so they cannot drift; a
 * connection that turns out to be closed when a request is handed to it is skipped and the next
 * one is tried.
 */
final class PooledClient implements Client {
    private static final Logger log = LoggerFactory.getLogger(PooledClient.class);

    /** One connection of the pool. */
    private final class Member {
        final int slot;
        final MemberListener listener;
        @SuppressWarnings("NullAway.Init") // set by newMember, before the member is used
        volatile Client client;
        final AtomicInteger inFlight = new AtomicInteger();
        volatile boolean retiring;
        volatile boolean everOpen;
        Connection.@Nullable Cancellable ageTimer;
        /** While this one replaces an aged connection: that connection, until this one takes its place. */
        @Nullable Member predecessor;
        /** The connection opened to replace this aged one, not yet in its place. */
        @Nullable Member successor;
        Connection.@Nullable Cancellable promoteTimer;

        Member(int slot, MemberListener listener) {
            this.slot = slot;
            this.listener = listener;
            listener.member = this;
        }

        boolean usable() {
            ConnectionState s = client.state();
            return !retiring && s != ConnectionState.CLOSED && s != ConnectionState.DRAINING;
        }
    }

    private final ClientOptions options;
    private final PoolMembers factory;
    private final Clock clock;
    private final Backoff replaceBackoff;
    private final Member[] slots;
    private final List<CompletableFuture<Void>> retired = new ArrayList<>();
    private int failedReplacements;
    private int nextIndex;
    private boolean closing;
    private @Nullable CompletableFuture<Void> draining;
    /** Callers waiting in {@link #acquire()} for a place; only then does a completed request notify. */
    private int waiters;
    /**
     * The application's listener hears every connection through this one queue, so that its calls
     * are serialized for the whole client as they are for one connection.
     */
    private final SerialExecutor userEvents;

    private PooledClient(ClientOptions options, PoolMembers factory) {
        this.options = options;
        this.factory = factory;
        this.clock = options.clock();
        this.replaceBackoff = new Backoff(options.reconnectBackoffBase(), options.reconnectBackoffCap(), options.random());
        this.slots = new Member[options.poolSize()];
        Executor executor = options.executor() != null ? RejectionSafeExecutor.wrap(options.executor())
                : task -> Thread.ofVirtual().name("conduit-pool-events").start(task);
        this.userEvents = new SerialExecutor(executor);
    }

    /** A pool of connections over the network (or {@code connector}), sharing one set of I/O threads. */
    static Client connect(ClientOptions options, @Nullable Connector connector) {
        PoolMembers members = PoolMembers.network(options, connector);
        PooledClient pool;
        try {
            pool = connect(options, members);
        } catch (RuntimeException e) {
            members.release();
            throw e;
        }
        pool.awaitWarm(options.connectTimeout());
        return pool;
    }

    /**
     * Waits up to {@code timeout} (real time: this waits for the network) for every connection to be
     * open, so that a pool is ready for spreading when {@link Client#connect} returns. Those still
     * connecting then go on in the background.
     */
    private synchronized void awaitWarm(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!closing && !allOpen()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                log.info("{} of {} pooled connections are open; the others go on connecting in the background",
                        openCount(), slots.length);
                return;
            }
            waiters++;
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                waiters--;
            }
        }
    }

    private boolean allOpen() {
        return openCount() == slots.length;
    }

    private int openCount() {
        int open = 0;
        for (Member m : slots) {
            if (m != null && m.client.state() == ConnectionState.OPEN) {
                open++;
            }
        }
        return open;
    }

    /**
     * Opens the home connection and waits for it (failing as {@link Client#connect} does), and
     * starts the others in the background, so that the pool is warm from the start.
     */
    static PooledClient connect(ClientOptions options, PoolMembers factory) {
        Objects.requireNonNull(options, "options");
        PooledClient pool = new PooledClient(options, Objects.requireNonNull(factory, "factory"));
        Member home = pool.newMember(0);
        // Outside the monitor: this waits for the network, and the home's listener takes the monitor.
        home.client = factory.open(0, home.listener);
        synchronized (pool) {
            pool.nextIndex = 1;
            home.everOpen = true;
            pool.slots[0] = home;
            for (int i = 1; i < pool.slots.length; i++) {
                pool.startMember(i);
            }
        }
        return pool;
    }

    private Member newMember(int slot) {
        return new Member(slot, new MemberListener(slot == 0));
    }

    /** Under the monitor: a new connection for {@code slot}, connecting in the background. */
    private void startMember(int slot) {
        Member m = newMember(slot);
        m.client = factory.start(nextIndex++, m.listener);
        slots[slot] = m;
        armAge(m);
    }

    /** Under the monitor: replaces {@code m} once it reaches the maximum age, if one is set. */
    private void armAge(Member m) {
        long age = options.maxConnectionAge().toNanos();
        if (m.slot > 0 && age > 0) {
            long jitter = options.maxConnectionAgeJitter().toNanos();
            long at = age + (jitter == 0 ? 0 : options.random().nextLong(jitter + 1));
            m.ageTimer = clock.schedule(() -> recycle(m), at, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * {@code m} is old enough: opens its successor, which takes its place once open (or after the
     * connect timeout); {@code m} keeps serving until then.
     */
    private void recycle(Member m) {
        synchronized (this) {
            if (closing || slots[m.slot] != m || m.successor != null) {
                return;
            }
            log.debug("opening a successor to pooled connection {}, which reached its maximum age", m.slot);
            Member next = newMember(m.slot);
            next.predecessor = m;
            m.successor = next;
            next.client = factory.start(nextIndex++, next.listener);
            next.promoteTimer = clock.schedule(() -> promote(next), options.connectTimeout().toNanos(),
                    TimeUnit.NANOSECONDS);
        }
    }

    /** {@code next} is open (or has had its time): it takes its predecessor's place, which drains. */
    private void promote(Member next) {
        Member old;
        synchronized (this) {
            old = next.predecessor;
            if (old == null || closing || slots[next.slot] != old) {
                return;
            }
            next.predecessor = null;
            if (next.promoteTimer != null) {
                next.promoteTimer.cancel();
            }
            old.successor = null;
            old.retiring = true;
            slots[next.slot] = next;
            armAge(next);
        }
        retire(old);
    }

    private void retire(Member m) {
        CompletableFuture<Void> done = m.client.drain();
        synchronized (this) {
            retired.add(done);
        }
        done.whenComplete((v, e) -> {
            synchronized (this) {
                retired.remove(done);
            }
        });
    }

    /** A connection other than the home closed on its own: replace it, after a backoff if it never connected. */
    private void memberClosed(Member m) {
        boolean closeAll = false;
        synchronized (this) {
            if (m.predecessor != null) {
                // A successor that closed before taking its place: the aged one stays, and tries again later.
                Member aged = m.predecessor;
                m.predecessor = null;
                if (m.promoteTimer != null) {
                    m.promoteTimer.cancel();
                }
                aged.successor = null;
                if (!closing) {
                    clock.schedule(() -> recycle(aged), replaceBackoff.delayNanos(++failedReplacements),
                            TimeUnit.NANOSECONDS);
                }
                return;
            }
            if (closing || m.retiring || slots[m.slot] != m) {
                return;
            }
            if (m.slot == 0) {
                closeAll = true;
            } else {
                failedReplacements = m.everOpen ? 0 : failedReplacements + 1;
                long delay = replaceBackoff.delayNanos(failedReplacements);
                log.info("pooled connection {} closed; replacing it in {} ms", m.slot, delay / 1_000_000);
                m.retiring = true;
                clock.schedule(() -> {
                    synchronized (this) {
                        if (!closing && slots[m.slot] == m) {
                            startMember(m.slot);
                        }
                    }
                }, delay, TimeUnit.NANOSECONDS);
            }
        }
        if (closeAll) {
            log.info("the pool's home connection closed; closing the other pooled connections");
            drain();
        }
    }

    private Member home() {
        return slots[0];
    }

    // ---------------------------------------------------------------------------------------------
    // Client

    @Override
    public boolean publish(String subject, @Nullable String replyTo, Headers headers, byte[] payload) {
        return home().client.publish(subject, replyTo, headers, payload);
    }

    @Override
    public CompletableFuture<Void> publishConfirmed(String subject, Headers headers, byte[] payload, @Nullable Duration timeToLive) {
        return home().client.publishConfirmed(subject, headers, payload, timeToLive);
    }

    @Override
    public Subscription subscribe(String pattern, @Nullable String queueGroup, Delivery delivery, MessageHandler handler) {
        return home().client.subscribe(pattern, queueGroup, delivery, handler);
    }

    @Override
    public CompletableFuture<Message> request(String subject, Headers headers, byte[] payload, Duration timeout,
                                              boolean idempotent) {
        Objects.requireNonNull(timeout, "timeout");
        ConnectionClosedException lastClosed = null;
        for (int tries = 0; tries <= slots.length; tries++) {
            Member m = acquire();
            if (m == null) {
                CompletableFuture<Message> full = new CompletableFuture<>();
                full.completeExceptionally(new BufferFullException("all " + slots.length + " pooled connections have "
                        + options.maxRequestsPerConnection() + " requests in flight"));
                return full;
            }
            CompletableFuture<Message> reply;
            try {
                reply = m.client.request(subject, headers, payload, timeout, idempotent);
            } catch (ConnectionClosedException e) {
                // Closed between acquire and use: give the slot back and try another connection.
                release(m);
                lastClosed = e;
                continue;
            } catch (RuntimeException e) {
                release(m);
                throw e;
            }
            reply.whenComplete((r, e) -> release(m));
            return reply;
        }
        throw lastClosed;
    }

    /**
     * Takes a place for one request on the best connection, or returns null under {@link
     * BufferFullPolicy#RETURN_FALSE} when every one is full.
     *
     * @throws BufferFullException under the other policies when every connection stays full
     * @throws ConnectionClosedException when the pool is closing
     */
    private @Nullable Member acquire() {
        long deadline = clock.nanoTime() + options.bufferFullWait().toNanos();
        synchronized (this) {
            while (true) {
                if (closing) {
                    throw new ConnectionClosedException("request: client is " + (draining != null ? "closing" : "closed"));
                }
                Member best = pick();
                if (best != null) {
                    best.inFlight.incrementAndGet();
                    return best;
                }
                switch (options.bufferFull()) {
                    case RETURN_FALSE -> {
                        return null;
                    }
                    case THROW -> throw new BufferFullException(fullMessage());
                    default -> {
                        long left = deadline - clock.nanoTime();
                        if (left <= 0) {
                            throw new BufferFullException(fullMessage() + " for " + options.bufferFullWait().toMillis() + " ms");
                        }
                        waiters++;
                        try {
                            TimeUnit.NANOSECONDS.timedWait(this, left);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new BufferFullException(fullMessage() + "; interrupted while waiting");
                        } finally {
                            waiters--;
                        }
                    }
                }
            }
        }
    }

    private String fullMessage() {
        return "all " + slots.length + " pooled connections have " + options.maxRequestsPerConnection()
                + " requests in flight";
    }

    /** Under the monitor: the open connection with the fewest requests in flight, else a reconnecting one. */
    private @Nullable Member pick() {
        Member best = null;
        boolean bestOpen = false;
        for (Member m : slots) {
            if (m == null || !m.usable() || m.inFlight.get() >= options.maxRequestsPerConnection()) {
                continue;
            }
            boolean open = m.client.state() == ConnectionState.OPEN;
            if (best == null || (open && !bestOpen) || (open == bestOpen && m.inFlight.get() < best.inFlight.get())) {
                best = m;
                bestOpen = open;
            }
        }
        return best;
    }

    private void release(Member m) {
        m.inFlight.decrementAndGet();
        synchronized (this) {
            if (waiters > 0) {
                notifyAll();
            }
        }
    }

    /** Requests in flight on each pooled connection, in slot order; for tests and metrics. */
    synchronized int[] requestsInFlight() {
        int[] counts = new int[slots.length];
        for (int i = 0; i < slots.length; i++) {
            counts[i] = slots[i] == null ? 0 : slots[i].inFlight.get();
        }
        return counts;
    }

    /** The connections now in the pool, in slot order; for tests. */
    synchronized List<Client> connections() {
        List<Client> list = new ArrayList<>();
        for (Member m : slots) {
            list.add(m.client);
        }
        return list;
    }

    @Override
    public CompletableFuture<Void> flush(Duration timeout) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        synchronized (this) {
            for (Member m : slots) {
                if (m.usable() || m.slot == 0) {
                    all.add(m.client.flush(timeout));
                }
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    @Override
    public CompletableFuture<Void> drain() {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        synchronized (this) {
            if (draining != null) {
                return draining;
            }
            closing = true;
            draining = new CompletableFuture<>();
            notifyAll();
            for (Member m : slots) {
                if (m.ageTimer != null) {
                    m.ageTimer.cancel();
                }
                all.add(m.client.drain());
                Member successor = m.successor;
                if (successor != null) {
                    if (successor.promoteTimer != null) {
                        successor.promoteTimer.cancel();
                    }
                    all.add(successor.client.drain());
                }
            }
            all.addAll(retired);
        }
        CompletableFuture<Void> result = draining;
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
            factory.release();
            result.complete(null);
        });
        return result;
    }

    @Override
    public ConnectionState state() {
        Client home = home().client;
        ConnectionState s = home.state();
        synchronized (this) {
            if (closing && s != ConnectionState.CLOSED) {
                return draining != null && draining.isDone() ? ConnectionState.CLOSED : ConnectionState.DRAINING;
            }
        }
        return s;
    }

    @Override
    public ServerInfo serverInfo() {
        return home().client.serverInfo();
    }

    @Override
    public void close() {
        CompletableFuture<Void> d = drain();
        try {
            d.get(options.drainTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.debug("close: drain of the pool did not finish: {}", e.toString());
        }
    }

    @Override
    public String toString() {
        return "PooledClient" + java.util.Arrays.toString(requestsInFlight());
    }

    /**
     * Hears one connection's events: passes them on to the application's listener through {@link
     * #userEvents} (state changes only from the home, whose state is the client's), and notices
     * when the connection closes.
     */
    private final class MemberListener implements ClientListener {
        private final boolean home;
        @SuppressWarnings("NullAway.Init") // set once the member is made, before its client connects
        private volatile Member member;
        private final ClientListener user = options.listener();

        MemberListener(boolean home) {
            this.home = home;
        }

        @Override
        public void onStateChange(ConnectionState from, ConnectionState to) {
            Member m = member;
            if (to == ConnectionState.OPEN && m != null) {
                m.everOpen = true;
                synchronized (PooledClient.this) {
                    PooledClient.this.notifyAll();
                }
                promote(m);
            }
            if (home) {
                userEvents.execute(() -> user.onStateChange(from, to));
            }
            if (to == ConnectionState.CLOSED && m != null) {
                memberClosed(m);
            }
        }

        @Override
        public void onError(ConduitException error) {
            userEvents.execute(() -> user.onError(error));
        }

        @Override
        public void onSlowConsumer(Subscription subscription, long dropped) {
            userEvents.execute(() -> user.onSlowConsumer(subscription, dropped));
        }

        @Override
        public void onHandlerFailure(Subscription subscription, Throwable failure) {
            userEvents.execute(() -> user.onHandlerFailure(subscription, failure));
        }

        @Override
        public void onResumed(ServerInfo server) {
            userEvents.execute(() -> user.onResumed(server));
        }

        @Override
        public void onSessionLost(SessionLost lost) {
            userEvents.execute(() -> user.onSessionLost(lost));
        }

        @Override
        public void onGap(Subscription subscription, long dropped) {
            userEvents.execute(() -> user.onGap(subscription, dropped));
        }

        @Override
        public void onPublishFailed(String subject, ConduitException reason) {
            userEvents.execute(() -> user.onPublishFailed(subject, reason));
        }
    }
}

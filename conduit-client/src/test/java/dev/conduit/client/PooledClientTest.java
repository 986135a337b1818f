package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.Headers;
import dev.conduit.testkit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The pool's choices, over fake connections whose state and replies the test controls, and a clock
 * that moves only when told: where requests go, the cap per connection, replacement of closed and
 * aged connections, and the known failure modes of other pools.
 */
class PooledClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** A connection the test drives: requests wait until the test answers them. */
    static final class FakeConnection implements Client {
        final int index;
        volatile ConnectionState state;
        final List<CompletableFuture<Message>> requests = new CopyOnWriteArrayList<>();
        final List<String> published = new CopyOnWriteArrayList<>();
        final List<String> subscribed = new CopyOnWriteArrayList<>();
        final ClientListener listener;
        volatile boolean drained;
        /** When set, the next request throws as a connection closed under the caller would. */
        volatile boolean closedUnderneath;

        FakeConnection(int index, ClientListener listener, ConnectionState state) {
            this.index = index;
            this.listener = listener;
            this.state = state;
        }

        void become(ConnectionState to) {
            ConnectionState from = state;
            state = to;
            listener.onStateChange(from, to);
        }

        void answerAll() {
            requests.forEach(f -> f.complete(null));
        }

        @Override
        public boolean publish(String subject, String replyTo, Headers headers, byte[] payload) {
            published.add(subject);
            return true;
        }

        @Override
        public CompletableFuture<Void> publishConfirmed(String subject, Headers headers, byte[] payload, Duration ttl) {
            published.add(subject);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public Subscription subscribe(String pattern, String queueGroup, Delivery delivery, MessageHandler handler) {
            subscribed.add(pattern);
            return null;
        }

        @Override
        public CompletableFuture<Message> request(String subject, Headers headers, byte[] payload, Duration timeout,
                                                  boolean idempotent) {
            if (closedUnderneath) {
                closedUnderneath = false;
                state = ConnectionState.CLOSED;
                throw new ConnectionClosedException("request: client is closed");
            }
            CompletableFuture<Message> f = new CompletableFuture<>();
            requests.add(f);
            return f;
        }

        @Override
        public CompletableFuture<Void> flush(Duration timeout) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> drain() {
            drained = true;
            if (state != ConnectionState.CLOSED) {
                become(ConnectionState.CLOSED);
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public ConnectionState state() {
            return state;
        }

        @Override
        public ServerInfo serverInfo() {
            return null;
        }

        @Override
        public void close() {
            drain();
        }
    }

    /** Opens fake connections: the first (home) open at once, the others CONNECTING until the test says. */
    static final class FakeMembers implements PoolMembers {
        final List<FakeConnection> opened = new ArrayList<>();
        boolean released;

        @Override
        public synchronized Client open(int index, ClientListener listener) {
            FakeConnection c = new FakeConnection(index, listener, ConnectionState.OPEN);
            opened.add(c);
            return c;
        }

        @Override
        public synchronized Client start(int index, ClientListener listener) {
            FakeConnection c = new FakeConnection(index, listener, ConnectionState.CONNECTING);
            opened.add(c);
            return c;
        }

        @Override
        public void release() {
            released = true;
        }

        synchronized FakeConnection get(int index) {
            return opened.get(index);
        }

        synchronized int count() {
            return opened.size();
        }
    }

    private final FakeMembers members = new FakeMembers();
    private final ManualClock clock = ManualClock.create();

    private PooledClient pool(UnaryOperator<ClientOptions.Builder> options) {
        ClientOptions built = options.apply(ClientOptions.builder().clock(clock).random(new Random(7))
                .reconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(1))).build();
        return PooledClient.connect(built, members);
    }

    private CompletableFuture<Message> request(Client c) {
        return c.request("svc", Headers.EMPTY, new byte[0], TIMEOUT, false);
    }

    @Test
    void opensEveryConnectionFromTheStart() {
        pool(b -> b.poolSize(3));

        assertThat(members.count()).isEqualTo(3);
        assertThat(members.get(0).state).isEqualTo(ConnectionState.OPEN);
        assertThat(members.get(1).state).isEqualTo(ConnectionState.CONNECTING);
    }

    @Test
    void requestsGoToTheOpenConnectionWithTheFewestInFlight() {
        PooledClient pool = pool(b -> b.poolSize(3));
        members.get(1).become(ConnectionState.OPEN);
        members.get(2).become(ConnectionState.OPEN);

        for (int i = 0; i < 6; i++) {
            request(pool);
        }
        assertThat(pool.requestsInFlight()).containsExactly(2, 2, 2);

        members.get(1).answerAll();
        assertThat(pool.requestsInFlight()).containsExactly(2, 0, 2);
        request(pool);
        request(pool);
        assertThat(pool.requestsInFlight()).containsExactly(2, 2, 2);
        assertThat(members.get(1).requests).hasSize(4);
    }

    @Test
    void anUnhealthyConnectionGetsNoRequestsWhileAnotherIsOpen() {
        PooledClient pool = pool(b -> b.poolSize(2));
        members.get(1).become(ConnectionState.OPEN);
        members.get(0).become(ConnectionState.RESUMING);

        for (int i = 0; i < 3; i++) {
            request(pool);
        }

        assertThat(pool.requestsInFlight()).containsExactly(0, 3);
        // When none is open, the least loaded one that is reconnecting holds the request.
        members.get(1).become(ConnectionState.RESUMING);
        request(pool);
        assertThat(pool.requestsInFlight()).containsExactly(1, 3);
    }

    @Test
    void subscriptionsAndPublishesStayOnTheHomeConnection() {
        PooledClient pool = pool(b -> b.poolSize(3));
        members.get(1).become(ConnectionState.OPEN);

        pool.subscribe("a.>", m -> { });
        pool.publish("a.b", new byte[0]);
        pool.publishConfirmed("a.c", Headers.EMPTY, new byte[0], null);

        assertThat(members.get(0).subscribed).containsExactly("a.>");
        assertThat(members.get(0).published).containsExactly("a.b", "a.c");
        assertThat(members.get(1).published).isEmpty();
    }

    @Test
    void pastTheCapOnEveryConnectionARequestFailsWithBackPressureAndCountsDoNotDrift() {
        PooledClient pool = pool(b -> b.poolSize(2).maxRequestsPerConnection(2).bufferFull(BufferFullPolicy.THROW, Duration.ZERO));
        members.get(1).become(ConnectionState.OPEN);
        for (int i = 0; i < 4; i++) {
            request(pool);
        }

        assertThatThrownBy(() -> request(pool)).isInstanceOf(BufferFullException.class).hasMessageContaining("2 requests in flight");

        // Requests that end badly (a timeout, here) give their place back just as replies do.
        members.get(0).requests.forEach(f -> f.completeExceptionally(new RequestTimeoutException("svc", TIMEOUT)));
        assertThat(pool.requestsInFlight()).containsExactly(0, 2);
        request(pool);
        request(pool);
        assertThat(pool.requestsInFlight()).containsExactly(2, 2);
    }

    @Test
    void underReturnFalseAFullPoolFailsTheFutureInstead() {
        PooledClient pool = pool(b -> b.poolSize(2).maxRequestsPerConnection(1)
                .bufferFull(BufferFullPolicy.RETURN_FALSE, Duration.ZERO));
        request(pool);
        request(pool);

        assertThat(request(pool)).isCompletedExceptionally();
        assertThat(pool.requestsInFlight()).containsExactly(1, 1);
    }

    @Test
    void underWaitARequestTakesThePlaceThatAReplyFrees() throws Exception {
        PooledClient pool = pool(b -> b.poolSize(2).maxRequestsPerConnection(1)
                .bufferFull(BufferFullPolicy.WAIT, Duration.ofDays(1)));
        request(pool);
        request(pool);
        CompletableFuture<CompletableFuture<Message>> third = CompletableFuture.supplyAsync(() -> request(pool));

        members.get(0).answerAll();

        third.get(30, TimeUnit.SECONDS);
        assertThat(members.get(0).requests).hasSize(2);
    }

    @Test
    void aConnectionClosedBetweenAcquireAndUseIsSkipped() {
        PooledClient pool = pool(b -> b.poolSize(2));
        members.get(1).become(ConnectionState.OPEN);
        request(pool); // on the home: both had none, the home comes first
        members.get(1).closedUnderneath = true;

        CompletableFuture<Message> f = request(pool);

        assertThat(f).isNotDone();
        assertThat(pool.requestsInFlight()).containsExactly(2, 0);
    }

    @Test
    void aClosedConnectionIsReplacedInTheBackgroundWithBackoff() {
        PooledClient pool = pool(b -> b.poolSize(2));
        FakeConnection first = members.get(1);
        first.become(ConnectionState.OPEN);

        first.become(ConnectionState.CLOSED);
        assertThat(members.count()).as("not before its backoff").isEqualTo(2);
        request(pool);
        assertThat(pool.requestsInFlight()).as("the closed one is not used").containsExactly(1, 0);
        clock.advance(Duration.ofMillis(100));

        assertThat(members.count()).isEqualTo(3);
        assertThat(pool.connections()).containsExactly(members.get(0), members.get(2));
        // A replacement that never connects is replaced again, later each time (backoff grows).
        members.get(2).become(ConnectionState.CLOSED);
        clock.advance(Duration.ofMillis(400));
        assertThat(members.count()).isEqualTo(4);
    }

    @Test
    void whenTheHomeConnectionClosesThePoolCloses() {
        PooledClient pool = pool(b -> b.poolSize(2));

        members.get(0).become(ConnectionState.CLOSED);

        assertThat(members.get(1).drained).isTrue();
        assertThat(pool.state()).isEqualTo(ConnectionState.CLOSED);
        assertThat(members.released).isTrue();
        assertThatThrownBy(() -> request(pool)).isInstanceOf(ConnectionClosedException.class);
    }

    @Test
    void connectionsOtherThanTheHomeAreReplacedAtTheirMaximumAgeOnceTheirSuccessorIsOpen() {
        PooledClient pool = pool(b -> b.poolSize(3).maxConnectionAge(Duration.ofMinutes(10), Duration.ofSeconds(1)));
        members.get(1).become(ConnectionState.OPEN);
        members.get(2).become(ConnectionState.OPEN);

        clock.advance(Duration.ofMinutes(10).minusNanos(1));
        assertThat(members.count()).isEqualTo(3);
        clock.advance(Duration.ofSeconds(1).plusNanos(1));

        // Successors are opening; the aged connections serve until they are open.
        assertThat(members.count()).isEqualTo(5);
        assertThat(pool.connections()).containsExactly(members.get(0), members.get(1), members.get(2));
        assertThat(members.get(1).drained).isFalse();
        members.get(3).become(ConnectionState.OPEN);
        members.get(4).become(ConnectionState.OPEN);

        assertThat(members.get(0).drained).as("the home is never replaced").isFalse();
        assertThat(members.get(1).drained).isTrue();
        assertThat(members.get(2).drained).isTrue();
        assertThat(pool.connections()).containsExactlyInAnyOrder(members.get(0), members.get(3), members.get(4));
        assertThat(pool.connections().get(0)).isSameAs(members.get(0));
        // The successors age in their turn.
        clock.advance(Duration.ofMinutes(11));
        assertThat(members.count()).isEqualTo(7);
    }

    @Test
    void aSuccessorSlowToOpenTakesItsPlaceAfterTheConnectTimeout() {
        PooledClient pool = pool(b -> b.poolSize(2).maxConnectionAge(Duration.ofMinutes(1), Duration.ZERO)
                .connectTimeout(Duration.ofSeconds(5)));
        members.get(1).become(ConnectionState.OPEN);
        clock.advance(Duration.ofMinutes(1));
        assertThat(members.count()).isEqualTo(3);

        clock.advance(Duration.ofSeconds(5));

        assertThat(pool.connections()).containsExactly(members.get(0), members.get(2));
        assertThat(members.get(1).drained).isTrue();
    }

    @Test
    void aSuccessorThatClosesBeforeOpeningLeavesTheAgedConnectionInPlaceToTryAgain() {
        PooledClient pool = pool(b -> b.poolSize(2).maxConnectionAge(Duration.ofMinutes(1), Duration.ZERO));
        members.get(1).become(ConnectionState.OPEN);
        clock.advance(Duration.ofMinutes(1));

        members.get(2).become(ConnectionState.CLOSED);

        assertThat(pool.connections()).containsExactly(members.get(0), members.get(1));
        assertThat(members.get(1).drained).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(members.count()).as("a new successor after a backoff").isEqualTo(4);
    }

    @Test
    void drainAlsoClosesASuccessorNotYetInPlace() {
        PooledClient pool = pool(b -> b.poolSize(2).maxConnectionAge(Duration.ofMinutes(1), Duration.ZERO));
        clock.advance(Duration.ofMinutes(1));

        pool.close();

        assertThat(members.opened).hasSize(3).allSatisfy(c -> assertThat(c.drained).isTrue());
    }

    @Test
    void drainDrainsEveryConnectionAndReleasesWhatTheyShare() {
        PooledClient pool = pool(b -> b.poolSize(3));

        pool.close();

        assertThat(members.opened).allSatisfy(c -> assertThat(c.drained).isTrue());
        assertThat(members.released).isTrue();
        assertThat(pool.state()).isEqualTo(ConnectionState.CLOSED);
    }

    @Test
    void theApplicationsListenerHearsEveryConnectionOneCallAtATime() throws Exception {
        java.util.concurrent.atomic.AtomicInteger active = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger maxActive = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch firstEntered = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch releaseFirst = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch bothDone = new java.util.concurrent.CountDownLatch(2);
        ClientListener listener = new ClientListener() {
            @Override
            public void onResumed(ServerInfo server) {
                maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
                if (firstEntered.getCount() == 1) {
                    firstEntered.countDown();
                    try {
                        releaseFirst.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                active.decrementAndGet();
                bothDone.countDown();
            }
        };
        pool(b -> b.poolSize(2).listener(listener));

        Thread.ofPlatform().start(() -> members.get(0).listener.onResumed(null));
        assertThat(firstEntered.await(30, TimeUnit.SECONDS)).isTrue();
        // A second connection's event while the first call is still running: it waits its turn.
        members.get(1).listener.onResumed(null);
        releaseFirst.countDown();

        assertThat(bothDone.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(maxActive.get()).isEqualTo(1);
    }

    @Test
    void maxConnectionAgeNeedsMoreThanOneConnection() {
        assertThatThrownBy(() -> ClientOptions.builder().maxConnectionAge(Duration.ofMinutes(1), Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("poolSize");
    }
}

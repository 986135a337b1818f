package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.ServerInfo;
import dev.conduit.client.SessionLost;
import dev.conduit.server.ClusterConfig;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sessions move between nodes (docs/cluster.md): three nodes over TCP and one Redis; clients of
 * node 1 (a subscriber, and a publisher whose messages a client of node 3 checks) keep streaming
 * while node 1 stops gracefully. Each client resumes its session on another node, with nothing
 * lost, repeated or reordered in either direction.
 */
@Timeout(120)
class ClusterSessionMoveTest {
    private static final int MESSAGES = 20_000;
    @AutoClose
    private static RedisProcess redis;

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
    }

    /** Counts resumes and lost sessions. */
    private static final class Events implements ClientListener {
        final AtomicInteger resumed = new AtomicInteger();
        final AtomicInteger lost = new AtomicInteger();

        @Override
        public void onResumed(ServerInfo server) {
            resumed.incrementAndGet();
        }

        @Override
        public void onSessionLost(SessionLost l) {
            lost.incrementAndGet();
        }
    }

    @Test
    void clientsOfAStoppingNodeResumeElsewhereWithNothingLostInEitherDirection() throws Exception {
        List<Server> servers = new ArrayList<>();
        List<Client> clients = new ArrayList<>();
        try {
            for (int i = 1; i <= 3; i++) {
                servers.add(Server.create(ServerConfig.builder().port(0).httpPort(-1)
                        .cluster(new ClusterConfig(URI.create(redis.uri()), "n" + i, null)).build()).start());
            }
            String n1 = "tcp://127.0.0.1:" + servers.get(0).address().getPort();
            String n2 = "tcp://127.0.0.1:" + servers.get(1).address().getPort();
            String n3 = "tcp://127.0.0.1:" + servers.get(2).address().getPort();

            Events subEvents = new Events();
            Events pubEvents = new Events();
            // Clients of node 1 that know node 2 as the next endpoint to try.
            Client subscriber = connect(clients, subEvents, n1, n2);
            Client mover = connect(clients, pubEvents, n1, n2);
            Client publisher = connect(clients, new Events(), n3);
            Client checker = connect(clients, new Events(), n3);

            SeqSubscriber down = new SeqSubscriber(); // node 3 -> the subscriber that moves
            SeqSubscriber up = new SeqSubscriber();   // the publisher that moves -> node 3
            subscriber.subscribe("down.x", down);
            checker.subscribe("up.x", up);
            subscriber.flush(Duration.ofSeconds(10)).join();
            checker.flush(Duration.ofSeconds(10)).join();
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    remoteInterests(servers.get(2)) >= 1 && remoteInterests(servers.get(0)) >= 1);

            AtomicLong downSent = new AtomicLong();
            AtomicLong upSent = new AtomicLong();
            CompletableFuture<Void> downStream = CompletableFuture.runAsync(() -> stream(publisher, "down.x", downSent));
            CompletableFuture<Void> upStream = CompletableFuture.runAsync(() -> stream(mover, "up.x", upSent));

            await().atMost(Duration.ofSeconds(30)).until(() -> down.received() > MESSAGES / 4 && up.received() > MESSAGES / 4);
            servers.get(0).stop().join(); // GOAWAY; the sessions move to node 2 as their clients resume there
            downStream.join();
            upStream.join();
            publisher.flush(Duration.ofSeconds(30)).join();
            mover.flush(Duration.ofSeconds(30)).join();

            await().atMost(Duration.ofSeconds(60)).until(() -> down.received() >= MESSAGES && up.received() >= MESSAGES);
            assertThat(down.perfect(MESSAGES)).as("to the moved subscriber: " + down.report(MESSAGES)).isTrue();
            assertThat(up.perfect(MESSAGES)).as("from the moved publisher: " + up.report(MESSAGES)).isTrue();
            assertThat(subEvents.resumed.get()).as("the subscriber's session resumed").isGreaterThanOrEqualTo(1);
            assertThat(pubEvents.resumed.get()).as("the publisher's session resumed").isGreaterThanOrEqualTo(1);
            assertThat(subEvents.lost.get() + pubEvents.lost.get()).as("sessions lost").isZero();
            assertThat(servers.get(1).sessionCount()).as("node 2 holds the moved sessions").isGreaterThanOrEqualTo(2);
        } finally {
            CompletableFuture.allOf(clients.stream().map(Client::drain).toArray(CompletableFuture[]::new))
                    .handle((v, e) -> null).join();
            clients.forEach(Client::close);
            servers.forEach(Server::close);
        }
    }

    @Test
    void aRollingRestartOfAllThreeNodesMovesEverySessionWithNothingLost() throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        Server[] servers = new Server[3];
        List<Client> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                servers[i] = node(i, ports[i]);
            }
            String[] url = new String[3];
            for (int i = 0; i < 3; i++) {
                url[i] = "tcp://127.0.0.1:" + ports[i];
            }
            Events events = new Events();
            Client a = connect(clients, events, url[0], url[1], url[2]); // publishes down.x, receives up.x
            Client b = connect(clients, events, url[1], url[2], url[0]); // publishes up.x, receives down.x
            SeqSubscriber atB = new SeqSubscriber();
            SeqSubscriber atA = new SeqSubscriber();
            b.subscribe("down.x", atB);
            a.subscribe("up.x", atA);
            a.flush(Duration.ofSeconds(10)).join();
            b.flush(Duration.ofSeconds(10)).join();
            Server first = servers[0];
            await().atMost(Duration.ofSeconds(10)).until(() -> remoteInterests(first) >= 1);

            AtomicLong sentA = new AtomicLong();
            AtomicLong sentB = new AtomicLong();
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            CompletableFuture<Void> streamA = CompletableFuture.runAsync(() -> stream(a, "down.x", sentA, done));
            CompletableFuture<Void> streamB = CompletableFuture.runAsync(() -> stream(b, "up.x", sentB, done));
            for (int i = 0; i < 3; i++) {
                long before = Math.min(atA.received(), atB.received());
                await().atMost(Duration.ofSeconds(30))
                        .conditionEvaluationListener(c -> {
                            if (c.getRemainingTimeInMS() < 1000) {
                                System.out.println("STALL a->b " + atB.report(sentA.get()) + " b->a " + atA.report(sentB.get())
                                        + " sentA " + sentA.get() + " sentB " + sentB.get());
                            }
                        })
                        .until(() -> Math.min(atA.received(), atB.received()) > before + 2_000);
                servers[i].stop().join(); // as on SIGTERM: the sessions here move to the other nodes
                servers[i] = node(i, ports[i]);
            }
            long after = Math.min(atA.received(), atB.received());
            await().atMost(Duration.ofSeconds(30)).until(() -> Math.min(atA.received(), atB.received()) > after + 2_000);
            done.set(true);
            streamA.join();
            streamB.join();
            a.flush(Duration.ofSeconds(30)).join();
            b.flush(Duration.ofSeconds(30)).join();
            long nA = sentA.get();
            long nB = sentB.get();
            await().atMost(Duration.ofSeconds(60)).until(() -> atB.received() >= nA && atA.received() >= nB);
            System.out.printf("rolling restart of 3 nodes: %,d messages a -> b and %,d b -> a%n", nA, nB);
            assertThat(atB.perfect(nA)).as("a -> b: " + atB.report(nA)).isTrue();
            assertThat(atA.perfect(nB)).as("b -> a: " + atA.report(nB)).isTrue();
            assertThat(events.lost.get()).as("sessions lost").isZero();
            assertThat(events.resumed.get()).as("resumes (each client moved at least once)").isGreaterThanOrEqualTo(2);
        } finally {
            CompletableFuture.allOf(clients.stream().map(Client::drain).toArray(CompletableFuture[]::new))
                    .handle((v, e) -> null).join();
            clients.forEach(Client::close);
            for (Server s : servers) {
                if (s != null) {
                    s.close();
                }
            }
        }
    }

    private static Server node(int i, int port) {
        return Server.create(ServerConfig.builder().port(port).httpPort(-1)
                .cluster(new ClusterConfig(URI.create(redis.uri()), "n" + (i + 1), null)).build()).start();
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Publishes numbered payloads until {@code done}, a little at a time. */
    private static void stream(Client client, String subject, AtomicLong sent, java.util.concurrent.atomic.AtomicBoolean done) {
        for (long i = 0; !done.get(); i++) {
            client.publish(subject, SeqSubscriber.payload(i, 16));
            sent.incrementAndGet();
            if (i % 200 == 199) {
                client.flush(Duration.ofSeconds(30)).join(); // paces the stream: confirmed before more
            }
        }
    }

    /** Publishes MESSAGES numbered payloads, a little at a time so that the stream spans the move. */
    private static void stream(Client client, String subject, AtomicLong sent) {
        for (long i = 0; i < MESSAGES; i++) {
            client.publish(subject, SeqSubscriber.payload(i, 16));
            sent.incrementAndGet();
            if (i % 500 == 499) {
                client.flush(Duration.ofSeconds(30)).join(); // paces the stream: confirmed before more
            }
        }
    }

    private static Client connect(List<Client> clients, ClientListener listener, String... endpoints) {
        Client c = Client.connect(ClientOptions.builder().endpoints(endpoints).listener(listener)
                .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(200)).drainTimeout(Duration.ofSeconds(1)).build());
        clients.add(c);
        return c;
    }

    private static double remoteInterests(Server s) {
        var g = s.meterRegistry().find("conduit.cluster.remote.interests").gauge();
        return g == null ? 0 : g.value();
    }
}

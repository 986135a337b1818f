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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** What the tests of sessions that move between nodes share: clients that resume fast, streams, counts. */
final class MovingClients {
    private MovingClients() {
    }

    /** Counts resumes and lost sessions. */
    static final class Events implements ClientListener {
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

    /** A client of {@code endpoints} (tried in turn) that reconnects within 200 ms; added to {@code clients}. */
    static Client connect(List<Client> clients, ClientListener listener, String... endpoints) {
        Client c = Client.connect(ClientOptions.builder().endpoints(endpoints).listener(listener)
                .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(200)).drainTimeout(Duration.ofSeconds(1)).build());
        clients.add(c);
        return c;
    }

    /** Publishes {@code count} numbered payloads, {@code every} at a time, each lot confirmed before more. */
    static void stream(Client client, String subject, AtomicLong sent, long count, int every) {
        for (long i = 0; i < count; i++) {
            client.publish(subject, SeqSubscriber.payload(i, 16));
            sent.incrementAndGet();
            if (i % every == every - 1) {
                client.flush(Duration.ofSeconds(30)).join(); // paces the stream: confirmed before more
            }
        }
    }

    /** Publishes numbered payloads until {@code done}, 200 at a time, each lot confirmed before more. */
    static void stream(Client client, String subject, AtomicLong sent, AtomicBoolean done) {
        for (long i = 0; !done.get(); i++) {
            client.publish(subject, SeqSubscriber.payload(i, 16));
            sent.incrementAndGet();
            if (i % 200 == 199) {
                client.flush(Duration.ofSeconds(30)).join();
            }
        }
    }

    /**
     * A rolling restart: three nodes on fixed ports, two clients streaming to each other through
     * them, each node stopped (as on SIGTERM) and started again in turn; every session resumes
     * elsewhere with nothing lost, repeated or reordered, in both directions.
     *
     * @param durable whether the nodes keep durable sessions (the sessions then move through Redis)
     */
    static void rollingRestart(RedisProcess redis, boolean durable) throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        Server[] servers = new Server[3];
        List<Client> clients = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                servers[i] = node(redis, i, ports[i], durable);
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
            String known = durable ? "conduit.cluster.durable.subscriptions" : "conduit.cluster.remote.interests";
            await().atMost(Duration.ofSeconds(10)).until(() -> gauge(first, known) >= (durable ? 2 : 1));

            AtomicLong sentA = new AtomicLong();
            AtomicLong sentB = new AtomicLong();
            AtomicBoolean done = new AtomicBoolean();
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
                servers[i] = node(redis, i, ports[i], durable);
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
            System.out.printf("rolling restart of 3 nodes%s: %,d messages a -> b and %,d b -> a%n",
                    durable ? " (durable sessions)" : "", nA, nB);
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

    private static Server node(RedisProcess redis, int i, int port, boolean durable) {
        return Server.create(ServerConfig.builder().port(port).httpPort(-1)
                .cluster(new ClusterConfig(URI.create(redis.uri()), "n" + (i + 1), null, durable)).build()).start();
    }

    static double gauge(Server s, String name) {
        var g = s.meterRegistry().find(name).gauge();
        return g == null ? -1 : g.value();
    }

    static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}

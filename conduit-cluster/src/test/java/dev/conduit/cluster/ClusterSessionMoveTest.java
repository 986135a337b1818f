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
import dev.conduit.cluster.MovingClients.Events;

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
            Client subscriber = MovingClients.connect(clients, subEvents, n1, n2);
            Client mover = MovingClients.connect(clients, pubEvents, n1, n2);
            Client publisher = MovingClients.connect(clients, new Events(), n3);
            Client checker = MovingClients.connect(clients, new Events(), n3);

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
            CompletableFuture<Void> downStream = CompletableFuture.runAsync(() -> MovingClients.stream(publisher, "down.x", downSent, MESSAGES, 500));
            CompletableFuture<Void> upStream = CompletableFuture.runAsync(() -> MovingClients.stream(mover, "up.x", upSent, MESSAGES, 500));

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
        MovingClients.rollingRestart(redis, false);
    }






    private static double remoteInterests(Server s) {
        var g = s.meterRegistry().find("conduit.cluster.remote.interests").gauge();
        return g == null ? 0 : g.value();
    }
}

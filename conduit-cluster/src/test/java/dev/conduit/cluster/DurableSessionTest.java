package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import dev.conduit.cluster.MovingClients.Events;

/**
 * Durable sessions (docs/cluster.md, "Durable sessions"): three nodes with {@code durableSessions},
 * node 3 in a process of its own that is killed with SIGKILL mid-stream. Its clients resume on node 2
 * with nothing lost, repeated or reordered, in both directions; and a queue group with two members
 * on each node delivers every message exactly once across the kill.
 */
@Timeout(180)
class DurableSessionTest {
    private static final int MESSAGES = Integer.getInteger("cluster.durable.messages", 20_000);
    @AutoClose
    private static RedisProcess redis;
    private final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();
    private ChildNode third;

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
    }

    @AfterEach
    void close() {
        CompletableFuture.allOf(clients.stream().map(Client::drain).toArray(CompletableFuture[]::new))
                .handle((v, e) -> null).join();
        clients.forEach(Client::close);
        servers.forEach(Server::close);
        if (third != null) {
            third.close();
        }
    }


    @Test
    void theClientsOfAKilledNodeResumeElsewhereWithNothingLostInEitherDirection() throws Exception {
        String[] url = start();
        Events subEvents = new Events();
        Events pubEvents = new Events();
        Client subscriber = MovingClients.connect(clients, subEvents, url[2], url[1]); // on node 3, then node 2
        Client mover = MovingClients.connect(clients, pubEvents, url[2], url[1]);
        Client publisher = MovingClients.connect(clients, new Events(), url[0]);
        Client checker = MovingClients.connect(clients, new Events(), url[0]);
        SeqSubscriber down = new SeqSubscriber(); // node 1 -> the subscriber of the killed node
        SeqSubscriber up = new SeqSubscriber();   // the publisher of the killed node -> node 1
        subscriber.subscribe("down.x", down);
        checker.subscribe("up.x", up);
        subscriber.flush(Duration.ofSeconds(10)).join();
        checker.flush(Duration.ofSeconds(10)).join();
        awaitSubscriptions(2);

        AtomicLong downSent = new AtomicLong();
        AtomicLong upSent = new AtomicLong();
        CompletableFuture<Void> downStream = CompletableFuture.runAsync(() -> MovingClients.stream(publisher, "down.x", downSent, MESSAGES, 500));
        CompletableFuture<Void> upStream = CompletableFuture.runAsync(() -> MovingClients.stream(mover, "up.x", upSent, MESSAGES, 500));
        await().atMost(Duration.ofSeconds(60)).until(() -> down.received() > MESSAGES / 4 && up.received() > MESSAGES / 4);
        third.kill(); // kill -9: nothing of node 3 runs after this
        downStream.join();
        upStream.join();
        publisher.flush(Duration.ofSeconds(30)).join();
        mover.flush(Duration.ofSeconds(30)).join();

        await().atMost(Duration.ofSeconds(60)).until(() -> down.received() >= MESSAGES && up.received() >= MESSAGES);
        assertThat(down.perfect(MESSAGES)).as("to the subscriber of the killed node: " + down.report(MESSAGES)).isTrue();
        assertThat(up.perfect(MESSAGES)).as("from the publisher of the killed node: " + up.report(MESSAGES)).isTrue();
        assertThat(subEvents.lost.get() + pubEvents.lost.get()).as("sessions lost").isZero();
        assertThat(subEvents.resumed.get()).as("the subscriber's session resumed").isGreaterThanOrEqualTo(1);
        assertThat(pubEvents.resumed.get()).as("the publisher's session resumed").isGreaterThanOrEqualTo(1);
        assertThat(MovingClients.gauge(servers.get(1), "conduit.cluster.durable.held")).as("node 2 holds them now")
                .isGreaterThanOrEqualTo(2);
    }

    @Test
    void aQueueGroupDeliversEachMessageOnceAcrossTheKillOfANode() throws Exception {
        String[] url = start();
        Map<Long, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        AtomicInteger[] perNode = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
        Events events = new Events();
        for (int node = 0; node < 3; node++) {
            for (int m = 0; m < 2; m++) {
                Client member = node == 2 ? MovingClients.connect(clients, events, url[2], url[1]) : MovingClients.connect(clients, events, url[node]);
                int n = node;
                member.subscribe("jobs", "workers", msg -> {
                    deliveries.computeIfAbsent(ByteBuffer.wrap(msg.payload()).getLong(), k -> new AtomicInteger())
                            .incrementAndGet();
                    perNode[n].incrementAndGet();
                });
                member.flush(Duration.ofSeconds(10)).join();
            }
        }
        awaitSubscriptions(6);
        Client publisher = MovingClients.connect(clients, new Events(), url[0]);
        AtomicLong sent = new AtomicLong();
        CompletableFuture<Void> stream = CompletableFuture.runAsync(() -> MovingClients.stream(publisher, "jobs", sent, MESSAGES, 500));
        await().atMost(Duration.ofSeconds(60)).until(() -> deliveries.size() > MESSAGES / 4);
        int beforeKill = perNode[2].get();
        third.kill();
        stream.join();
        publisher.flush(Duration.ofSeconds(30)).join();

        await().atMost(Duration.ofSeconds(60)).until(() -> deliveries.size() >= MESSAGES);
        long twice = deliveries.values().stream().filter(c -> c.get() > 1).count();
        assertThat(deliveries).as("every message delivered").hasSize(MESSAGES);
        assertThat(twice).as("messages delivered twice to the application").isZero();
        assertThat(beforeKill).as("node 3's members had their share before the kill").isPositive();
        assertThat(perNode[0].get()).as("node 1's members").isPositive();
        assertThat(perNode[1].get()).as("node 2's members").isPositive();
        assertThat(events.lost.get()).as("sessions lost").isZero();
        System.out.printf("queue group across a kill -9: %,d messages, per node %d / %d / %d%n", MESSAGES,
                perNode[0].get(), perNode[1].get(), perNode[2].get());
    }

    @Test
    void requestsAcrossNodesAreAnsweredOnceAndNoRespondersComesOnlyWhenNobodyListens() throws Exception {
        String[] url = start();
        Client requester = MovingClients.connect(clients, new Events(), url[0]);
        assertThatThrownBy(() -> requester.request("svc.nobody", "x", Duration.ofSeconds(10)).join())
                .isInstanceOf(java.util.concurrent.CompletionException.class)
                .hasCauseInstanceOf(dev.conduit.client.NoRespondersException.class);
        AtomicInteger handled = new AtomicInteger();
        Client responder = MovingClients.connect(clients, new Events(), url[1]);
        responder.subscribe("svc.echo", m -> {
            handled.incrementAndGet();
            m.reply(("echo " + m.payloadAsString()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        });
        responder.flush(Duration.ofSeconds(10)).join();
        awaitSubscriptions(1);
        int requests = 2_000;
        for (int round = 0; round < requests / 200; round++) {
            List<CompletableFuture<dev.conduit.client.Message>> replies = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                replies.add(requester.request("svc.echo", round + "/" + i, Duration.ofSeconds(20)));
            }
            for (int i = 0; i < replies.size(); i++) {
                assertThat(replies.get(i).join().payloadAsString()).isEqualTo("echo " + round + "/" + i);
            }
        }
        assertThat(handled.get()).as("each request handled once").isEqualTo(requests);
    }

    @Test
    void aRollingRestartMovesEverySessionThroughRedisWithNothingLost() throws Exception {
        MovingClients.rollingRestart(redis, true);
    }



    @Test
    void aSessionThatRedisLostEndsAndItsClientIsToldAndBeginsAgain() {
        RedisBackplaneProvider.tuning = ClusterTuning.DEFAULT.withResyncInterval(Duration.ofMillis(200));
        Server node;
        try {
            node = Server.create(ServerConfig.builder().port(0).httpPort(-1)
                    .cluster(new ClusterConfig(URI.create(redis.uri()), "n1", null, true)).build()).start();
        } finally {
            RedisBackplaneProvider.tuning = ClusterTuning.DEFAULT;
        }
        servers.add(node);
        String url = "tcp://127.0.0.1:" + node.address().getPort();
        Events events = new Events();
        Client subscriber = MovingClients.connect(clients, events, url);
        SeqSubscriber received = new SeqSubscriber();
        subscriber.subscribe("after.loss", received);
        subscriber.flush(Duration.ofSeconds(10)).join();
        io.lettuce.core.RedisClient redisClient = io.lettuce.core.RedisClient.create(redis.uri());
        try (var connection = redisClient.connect()) {
            connection.sync().flushall(); // as a Redis without persistence that restarted
        } finally {
            redisClient.shutdown();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> events.lost.get() >= 1);
        // The new session subscribed again: what is published now reaches it.
        Client publisher = MovingClients.connect(clients, new Events(), url);
        await().atMost(Duration.ofSeconds(20)).until(() -> MovingClients.gauge(node, "conduit.cluster.durable.subscriptions") >= 1);
        publisher.publish("after.loss", SeqSubscriber.payload(0, 16));
        publisher.flush(Duration.ofSeconds(10)).join();
        await().atMost(Duration.ofSeconds(10)).until(() -> received.received() == 1);
    }

    /** Nodes 1 and 2 here, node 3 in a process of its own; their URLs. */
    private String[] start() throws Exception {
        for (int i = 1; i <= 2; i++) {
            servers.add(Server.create(ServerConfig.builder().port(0).httpPort(-1)
                    .cluster(new ClusterConfig(URI.create(redis.uri()), "n" + i, null, true)).build()).start());
        }
        third = ChildNode.start(redis.uri(), "n3", MovingClients.freePort(), true);
        return new String[] {"tcp://127.0.0.1:" + servers.get(0).address().getPort(),
                "tcp://127.0.0.1:" + servers.get(1).address().getPort(), "tcp://127.0.0.1:" + third.port};
    }

    /** Waits until nodes 1 and 2 route to at least {@code n} durable subscriptions. */
    private void awaitSubscriptions(int n) {
        await().atMost(Duration.ofSeconds(10)).until(() -> servers.stream()
                .allMatch(s -> MovingClients.gauge(s, "conduit.cluster.durable.subscriptions") >= n));
    }




}

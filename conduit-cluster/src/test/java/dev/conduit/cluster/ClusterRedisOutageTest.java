package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redis killed mid-stream and started again with what it had written (an fsynced append-only
 * file): while it is down each node goes on serving its own clients, reports itself degraded
 * ({@code /readyz} 503) and holds what it has for other nodes; once it is back the held messages
 * land, in order, none lost or repeated. Past the hold's bound the messages are not held but
 * counted, and the other node's subscriber is told how many with GAP.
 */
@Timeout(60)
class ClusterRedisOutageTest {
    @AutoClose
    private RedisProcess redis;

    @BeforeEach
    void redis() throws Exception {
        redis = RedisProcess.start(true);
        // Healthy again one second after the last failed command (5 s by default), to keep the test short.
        RedisBackplaneProvider.tuning = ClusterTuning.DEFAULT.withDegradedFor(Duration.ofSeconds(1));
    }

    @AfterEach
    void defaults() {
        RedisBackplaneProvider.tuning = ClusterTuning.DEFAULT;
    }

    @Test
    void localTrafficGoesOnAndCrossNodeTrafficIsHeldThenDeliveredWhole() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes(redis, 3, true)) {
            SeqSubscriber local = new SeqSubscriber();
            SeqSubscriber remote = new SeqSubscriber();
            SeqSubscriber third = new SeqSubscriber();
            cluster.client(1).subscribe("o.>", local);
            cluster.client(2).subscribe("o.>", remote);
            cluster.client(3).subscribe("o.*", third);
            cluster.awaitRemoteInterests(1, 2);
            Client publisher = cluster.client(1);
            assertThat(cluster.readyz(1)).isEqualTo("200 ready");
            // The dashboard's view: the stats node 1 publishes each second carry the cluster's health and nodes.
            AtomicReference<String> stats = new AtomicReference<>("");
            cluster.client(1).subscribe("$SYS.stats", m -> stats.set(new String(m.payload(), StandardCharsets.UTF_8)));
            await().atMost(Duration.ofSeconds(10)).until(() -> stats.get().contains("\"cluster\":{\"degraded\":false"));
            assertThat(stats.get()).contains("{\"id\":\"n1\",\"advertise\":\"\",\"alive\":true,\"self\":true}",
                    "{\"id\":\"n2\",\"advertise\":\"\",\"alive\":true,\"self\":false}", "\"id\":\"n3\"");

            publish(publisher, 0, 1_000);
            await().atMost(Duration.ofSeconds(10)).until(() -> remote.received() == 1_000 && third.received() == 1_000);

            redis.kill();
            publish(publisher, 1_000, 2_000);
            // Node 1's own subscriber gets everything at once; the other nodes' copies are held.
            await().atMost(Duration.ofSeconds(10)).until(() -> local.received() == 2_000);
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.readyz(1).startsWith("503 degraded: backplane"));
            assertThat(cluster.readyz(2)).startsWith("503 degraded: backplane");
            assertThat(cluster.gauge(1, "conduit.cluster.held.bytes")).isPositive();
            await().atMost(Duration.ofSeconds(10)).until(() -> stats.get().contains("\"cluster\":{\"degraded\":true"));
            await().atMost(Duration.ofSeconds(5)).until(() -> cluster.gauge(1, "conduit.cluster.lag.ms") > 0);
            publish(publisher, 2_000, 3_000);
            await().atMost(Duration.ofSeconds(10)).until(() -> local.received() == 3_000);
            assertThat(remote.received()).isLessThan(3_000);
            assertThat(local.perfect(3_000)).as(local.report(3_000)).isTrue();

            redis.startAgain();
            await().atMost(Duration.ofSeconds(15)).until(() -> remote.received() >= 3_000 && third.received() >= 3_000);
            assertThat(remote.perfect(3_000)).as(remote.report(3_000)).isTrue();
            assertThat(third.perfect(3_000)).as(third.report(3_000)).isTrue();
            assertThat(cluster.counter(1, "conduit.cluster.dropped")).isZero();
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.readyz(1).equals("200 ready")
                    && cluster.readyz(2).equals("200 ready"));
            assertThat(cluster.gauge(1, "conduit.cluster.held.bytes")).isZero();
            assertThat(cluster.gauge(1, "conduit.cluster.lag.ms")).isZero();
            assertThat(cluster.counter(1, "conduit.cluster.errors")).isPositive();
        }
    }

    @Test
    void pastTheBoundTheOtherNodesSubscribersAreToldHowManyWithGap() throws Exception {
        // Room for about 100 messages of 8 bytes (each counts 64 bytes and its encoded length).
        RedisBackplaneProvider.tuning = RedisBackplaneProvider.tuning.withMaxQueuedBytes(10_000);
        try (ClusterNodes cluster = new ClusterNodes(redis, 2, true)) {
            SeqSubscriber local = new SeqSubscriber();
            SeqSubscriber remote = new SeqSubscriber();
            AtomicLong gaps = new AtomicLong();
            cluster.client(1).subscribe("g.>", local);
            cluster.client(2, new ClientListener() {
                @Override
                public void onGap(Subscription subscription, long dropped) {
                    gaps.addAndGet(dropped);
                }
            }).subscribe("g.>", remote);
            cluster.awaitRemoteInterests(1, 1);
            Client publisher = cluster.client(1);

            redis.kill();
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.readyz(1).startsWith("503 degraded: backplane"));
            int sent = 2_000;
            for (long i = 0; i < sent; i++) {
                publisher.publish(i % 2 == 0 ? "g.even" : "g.odd", SeqSubscriber.payload(i, 8));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> local.received() == sent);
            assertThat(local.perfect(sent)).as(local.report(sent)).isTrue();
            double dropped = cluster.counter(1, "conduit.cluster.dropped");
            assertThat(dropped).isPositive().isLessThan(sent);

            redis.startAgain();
            await().atMost(Duration.ofSeconds(15)).until(() -> remote.received() + gaps.get() == sent);
            assertThat(gaps.get()).isEqualTo((long) dropped);
            assertThat(remote.received()).isEqualTo(sent - (long) dropped);
            assertThat(cluster.counter(2, "conduit.cluster.gaps")).isEqualTo(dropped);
        }
    }

    private static void publish(Client publisher, long from, long to) {
        for (long i = from; i < to; i++) {
            publisher.publish("o.x", SeqSubscriber.payload(i, 8));
        }
    }
}

package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Redis killed and started again, empty: the nodes reconnect, record their presence and interest
 * again, and cross-node traffic goes on in order, the reader's cursor neither skipping nor repeating.
 */
@Timeout(90)
class ClusterRedisRestartTest {
    @AutoClose
    private static RedisProcess redis;

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
    }

    @Test
    void trafficResumesAfterRedisRestartsEmpty() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes(redis, 2)) {
            SeqSubscriber subscriber = new SeqSubscriber();
            cluster.client(2).subscribe("r.>", subscriber);
            cluster.awaitRemoteInterests(1, 1);
            Client publisher = cluster.client(1);
            for (long i = 0; i < 1_000; i++) {
                publisher.publish("r.x", SeqSubscriber.payload(i, 8));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> subscriber.received() == 1_000);

            redis.restart();
            // Node 2 records its presence and interest anew (each second); once both are there, two
            // full re-reads by node 1 (the second begun after they were) leave it knowing them.
            RedisClient client = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                await().atMost(Duration.ofSeconds(20)).until(() -> c.sync().hexists(ClusterKeys.interest("n2"), "p r.>")
                        && c.sync().exists(ClusterKeys.presence("n2")) == 1);
            } finally {
                client.shutdown();
            }
            double resyncs = cluster.counter(1, "conduit.cluster.resyncs");
            await().atMost(Duration.ofSeconds(20)).until(() -> cluster.counter(1, "conduit.cluster.resyncs") >= resyncs + 2);
            assertThat(cluster.gauge(1, "conduit.cluster.remote.interests")).isEqualTo(1);
            for (long i = 1_000; i < 2_000; i++) {
                publisher.publish("r.x", SeqSubscriber.payload(i, 8));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> subscriber.received() >= 2_000);
            assertThat(subscriber.perfect(2_000)).as(subscriber.report(2_000)).isTrue();
            assertThat(cluster.counter(2, "conduit.cluster.duplicates")).isZero();
        }
    }
}

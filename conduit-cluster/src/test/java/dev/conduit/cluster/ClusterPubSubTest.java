package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import java.time.Duration;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes and one Redis: a publisher on node 1 and a sequence-checking subscriber on each node
 * (wildcard patterns), every one receiving every message once, in order; and only nodes with
 * interest are sent anything.
 */
@Timeout(120)
class ClusterPubSubTest {
    private static final int MESSAGES = Integer.getInteger("cluster.messages", 30_000);
    @AutoClose
    private static RedisProcess redis;

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
    }

    @Test
    void everySubscriberOnEveryNodeGetsEveryMessageOnceInOrder() {
        try (ClusterNodes cluster = new ClusterNodes(redis, 3)) {
            SeqSubscriber s1 = new SeqSubscriber();
            SeqSubscriber s2 = new SeqSubscriber();
            SeqSubscriber s3 = new SeqSubscriber();
            SeqSubscriber audit = new SeqSubscriber();
            cluster.client(1).subscribe("orders.>", s1);
            cluster.client(2).subscribe("orders.*", s2);
            cluster.client(2).subscribe("audit.x", audit);
            cluster.client(3).subscribe("*.eu", s3);
            cluster.awaitRemoteInterests(1, 3); // n2: orders.*, audit.x; n3: *.eu

            Client publisher = cluster.client(1);
            long start = System.nanoTime();
            for (long i = 0; i < MESSAGES; i++) {
                publisher.publish("orders.eu", SeqSubscriber.payload(i, 16));
            }
            for (long i = 0; i < 1_000; i++) {
                publisher.publish("audit.x", SeqSubscriber.payload(i, 16));
            }
            publisher.flush(Duration.ofSeconds(30)).join(); // every publish confirmed by node 1
            long confirmedMillis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("publishes confirmed after " + confirmedMillis + " ms");
            await().atMost(Duration.ofSeconds(90)).until(() -> s1.received() >= MESSAGES
                    && s2.received() >= MESSAGES && s3.received() >= MESSAGES && audit.received() >= 1_000);
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("cluster pub/sub: %,d messages to a subscriber on each of 3 nodes in %,d ms (%,d msg/s)%n",
                    MESSAGES, millis, MESSAGES * 1000L / Math.max(1, millis));

            assertThat(s1.perfect(MESSAGES)).as("node 1: " + s1.report(MESSAGES)).isTrue();
            assertThat(s2.perfect(MESSAGES)).as("node 2: " + s2.report(MESSAGES)).isTrue();
            assertThat(s3.perfect(MESSAGES)).as("node 3: " + s3.report(MESSAGES)).isTrue();
            assertThat(audit.perfect(1_000)).as("audit on node 2: " + audit.report(1_000)).isTrue();
            // Forwarded only where there is interest: audit.x to node 2 alone, never to node 3.
            assertThat(cluster.forwarded(1, 2)).isEqualTo(MESSAGES + 1_000);
            assertThat(cluster.forwarded(1, 3)).isEqualTo(MESSAGES);
            assertThat(cluster.forwarded(2, 1) + cluster.forwarded(2, 3) + cluster.forwarded(3, 1)).isZero();
            assertThat(cluster.counter(2, "conduit.cluster.received")).isEqualTo(MESSAGES + 1_000);
            assertThat(cluster.counter(3, "conduit.cluster.received")).isEqualTo(MESSAGES);
            assertThat(cluster.counter(1, "conduit.cluster.dropped")).isZero();
        }
    }

    @Test
    void aSubscriptionEndedOnOneNodeStopsTheTrafficToIt() {
        try (ClusterNodes cluster = new ClusterNodes(redis, 2)) {
            SeqSubscriber s2 = new SeqSubscriber();
            var sub = cluster.client(2).subscribe("prices.>", s2);
            cluster.awaitRemoteInterests(1, 1);
            Client publisher = cluster.client(1);
            publisher.publish("prices.a", SeqSubscriber.payload(0, 8));
            await().atMost(Duration.ofSeconds(10)).until(() -> s2.received() == 1);

            sub.unsubscribe();
            cluster.awaitRemoteInterests(1, 0);
            publisher.publish("prices.a", SeqSubscriber.payload(1, 8));
            publisher.flush(Duration.ofSeconds(5)).join();
            assertThat(cluster.forwarded(1, 2)).isEqualTo(1);
        }
    }
}

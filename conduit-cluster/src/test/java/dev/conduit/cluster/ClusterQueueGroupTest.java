package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A queue group with two members on each of three nodes: each message to exactly one member in the whole cluster. */
@Timeout(120)
class ClusterQueueGroupTest {
    private static final int MESSAGES = 12_000;
    @AutoClose
    private static RedisProcess redis;

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
    }

    @Test
    void eachMessageGoesToExactlyOneMemberInTheCluster() {
        try (ClusterNodes cluster = new ClusterNodes(redis, 3)) {
            ConcurrentHashMap<Long, AtomicInteger> deliveries = new ConcurrentHashMap<>();
            AtomicLong total = new AtomicLong();
            AtomicLong[] perNode = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
            for (int node = 1; node <= 3; node++) {
                AtomicLong mine = perNode[node - 1];
                for (int member = 0; member < 2; member++) {
                    cluster.client(node).subscribe("jobs.*", "workers", m -> {
                        long seq = ByteBuffer.wrap(m.payload()).getLong();
                        deliveries.computeIfAbsent(seq, s -> new AtomicInteger()).incrementAndGet();
                        mine.incrementAndGet();
                        total.incrementAndGet();
                    });
                }
            }
            cluster.awaitRemoteInterests(1, 2); // "q workers jobs.*" on nodes 2 and 3
            Client publisher = cluster.client(1);
            for (long i = 0; i < MESSAGES; i++) {
                publisher.publish("jobs.render", SeqSubscriber.payload(i, 16));
            }
            publisher.flush(Duration.ofSeconds(30)).join();
            await().atMost(Duration.ofSeconds(60)).until(() -> deliveries.size() == MESSAGES);
            // Anything delivered twice would have arrived by now: every forwarded message was received.
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.counter(2, "conduit.cluster.received")
                    + cluster.counter(3, "conduit.cluster.received") == cluster.forwarded(1, 2) + cluster.forwarded(1, 3));
            await().atMost(Duration.ofSeconds(30)).until(() -> total.get() >= MESSAGES);

            assertThat(total.get()).isEqualTo(MESSAGES);
            assertThat(deliveries.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
            for (AtomicLong n : perNode) {
                assertThat(n.get()).as("every node's members get a share").isGreaterThan(MESSAGES / 6);
            }
        }
    }
}

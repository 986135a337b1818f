package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A publisher faster than the backplane is paced, not dropped from: with the send queue bounded
 * at 4 MiB, 20 MB published as fast as the client can on node 1 all reach node 2's subscriber,
 * in order, and node 1 drops nothing (Redis stays up, so nothing is held past the bound).
 */
@Timeout(90)
class ClusterBackPressureTest {
    private static final int MESSAGES = 20_000;
    @AutoClose
    private static RedisProcess redis;

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
    }

    @AfterEach
    void defaults() {
        RedisBackplaneProvider.tuning = ClusterTuning.DEFAULT;
    }

    @Test
    void aPublisherFasterThanTheBackplaneIsPacedAndNothingIsDropped() {
        RedisBackplaneProvider.tuning = ClusterTuning.DEFAULT.withMaxQueuedBytes(4 << 20);
        try (ClusterNodes cluster = new ClusterNodes(redis, 2)) {
            SeqSubscriber remote = new SeqSubscriber();
            cluster.client(2).subscribe("fast.x", remote);
            cluster.awaitRemoteInterests(1, 1);
            Client publisher = cluster.client(1);
            for (long i = 0; i < MESSAGES; i++) {
                publisher.publish("fast.x", SeqSubscriber.payload(i, 1024));
            }
            publisher.flush(Duration.ofSeconds(60)).join();
            await().atMost(Duration.ofSeconds(60)).until(() -> remote.received() >= MESSAGES);
            assertThat(remote.perfect(MESSAGES)).as(remote.report(MESSAGES)).isTrue();
            assertThat(cluster.counter(1, "conduit.cluster.dropped")).as("dropped on node 1").isZero();
        }
    }
}

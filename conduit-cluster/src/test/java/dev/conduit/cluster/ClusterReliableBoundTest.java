package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Delivery;
import dev.conduit.client.Message;
import dev.conduit.client.Subscription;
import dev.conduit.protocol.Headers;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A reliable subscription that falls behind a publisher of another node: that publisher cannot be
 * paced from the subscriber's node, so what passes the session's bound ({@code
 * maxPendingBytesPerSession}) is not held there but counted and told with GAP (docs/cluster.md, Bounds); nothing grows without bound, nothing goes
 * unreported.
 */
class ClusterReliableBoundTest {
    private static final int MESSAGES = 6_000;
    private static final int SIZE = 1_024;
    private static final long HELD = 64 << 10;
    private static final long SESSION = 2 << 20;
    @AutoClose
    private static RedisProcess redis;

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
    }

    @Test
    void pastItsBoundARemoteMessageIsCountedAndToldWithGapNotHeld() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes(redis, 2,
                b -> b.maxHeldBytesPerSubscription(HELD).maxPendingBytesPerSession(SESSION))) {
            AtomicLong gaps = new AtomicLong();
            try (Client subscriber = Client.connect(ClientOptions.builder().maxPendingBytesPerSubscription(HELD)
                    .listener(new ClientListener() {
                        @Override
                        public void onGap(Subscription s, long dropped) {
                            gaps.addAndGet(dropped);
                        }
                    }).build(), cluster.node(2).localConnector())) {
                Subscription pulled = subscriber.subscribe("bound.remote", null, Delivery.RELIABLE);
                cluster.awaitRemoteInterests(1, 1);
                Client publisher = cluster.client(1);
                for (int i = 0; i < MESSAGES; i++) {
                    byte[] payload = new byte[SIZE];
                    ByteBuffer.wrap(payload).putInt(i);
                    publisher.publishConfirmed("bound.remote", Headers.EMPTY, payload, null);
                }
                publisher.flush(Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
                // Node 2 has routed them all: held what its bound allows, counted the rest.
                await().atMost(Duration.ofSeconds(10)).until(() -> cluster.counter(2, "conduit.cluster.received") >= MESSAGES);

                long got = 0;
                int last = -1;
                while (got + gaps.get() < MESSAGES) {
                    Message m = pulled.next(Duration.ofSeconds(10));
                    assertThat(m).as("after %d messages and %d told as skipped", got, gaps.get()).isNotNull();
                    int n = ByteBuffer.wrap(m.payload()).getInt();
                    assertThat(n).isGreaterThan(last); // in order, none twice
                    last = n;
                    got++;
                }
                assertThat(gaps.get()).as("skipped past the bound").isPositive();
                assertThat(got + gaps.get()).isEqualTo(MESSAGES);
            }
        }
    }
}

package dev.conduit.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import dev.conduit.client.MessageHandler;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A pooled client against a real server: connections warm from the start, requests spread, order kept. */
class ConnectionPoolTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aPoolOpensItsConnectionsSpreadsRequestsAndKeepsPublishOrder() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client pool = ts.client(b -> b.poolSize(3));
            // Connect returns once the whole pool is open (within the connect timeout).
            assertThat(ts.server.connectionCount()).isEqualTo(3);

            // Requests held by the responder until all are in: each pooled connection carries a share.
            CountDownLatch release = new CountDownLatch(1);
            Map<String, AtomicInteger> byInbox = new ConcurrentHashMap<>();
            Client responder = ts.client();
            MessageHandler hold = m -> {
                String inbox = m.replyTo().substring(0, m.replyTo().lastIndexOf('.'));
                byInbox.computeIfAbsent(inbox, k -> new AtomicInteger()).incrementAndGet();
                release.await();
                m.reply(m.payload());
            };
            responder.subscribe("svc.held", "workers", hold);
            for (int i = 0; i < 8; i++) {
                responder.subscribe("svc.held", "workers", hold);
            }
            responder.flush(WAIT).get();
            List<CompletableFuture<Message>> replies = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                replies.add(pool.request("svc.held", ByteBuffer.allocate(4).putInt(i).array(), WAIT));
            }
            await().atMost(WAIT).until(() -> byInbox.values().stream().mapToInt(AtomicInteger::get).sum() == 9);
            release.countDown();
            for (int i = 0; i < 9; i++) {
                assertThat(ByteBuffer.wrap(replies.get(i).get(30, TimeUnit.SECONDS).payload()).getInt()).isEqualTo(i);
            }
            assertThat(byInbox).as("requests per pooled connection").hasSize(3)
                    .allSatisfy((inbox, n) -> assertThat(n.get()).isEqualTo(3));

            // Publishes and subscriptions share the first connection: order is kept as with one.
            List<Integer> got = new java.util.concurrent.CopyOnWriteArrayList<>();
            pool.subscribe("ordered", m -> got.add(ByteBuffer.wrap(m.payload()).getInt()));
            pool.flush(WAIT).get();
            for (int i = 0; i < 1_000; i++) {
                pool.publish("ordered", ByteBuffer.allocate(4).putInt(i).array());
            }
            await().atMost(WAIT).until(() -> got.size() == 1_000);
            assertThat(got).isSorted().doesNotHaveDuplicates();

            pool.close();
            await().atMost(WAIT).until(() -> ts.server.connectionCount() == 1);
        }
    }
}

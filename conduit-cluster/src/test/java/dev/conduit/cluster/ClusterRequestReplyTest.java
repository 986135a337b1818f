package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import dev.conduit.client.NoRespondersException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Request/reply across nodes: each request answered once by a responder on another node (the reply
 * routed back to the requester's node), and NO_RESPONDERS only when no node has a responder.
 */
@Timeout(120)
class ClusterRequestReplyTest {
    /** 2,000 in the build; the 20,000 by hand with {@code -Dcluster.requests=20000}. */
    private static final int REQUESTS = Integer.getInteger("cluster.requests", 2_000);
    @AutoClose
    private static RedisProcess redis;

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
    }

    @Test
    void requestsOnTwoNodesAreAnsweredOnceByAResponderOnTheThird() {
        try (ClusterNodes cluster = new ClusterNodes(redis, 3)) {
            AtomicInteger handled = new AtomicInteger();
            cluster.client(2).subscribe("svc.echo", m -> {
                handled.incrementAndGet();
                m.reply(("echo " + m.payloadAsString()).getBytes(StandardCharsets.UTF_8));
            });
            cluster.awaitRemoteInterests(1, 1);
            cluster.awaitRemoteInterests(3, 1);
            Client requester1 = cluster.client(1);
            Client requester3 = cluster.client(3);
            long start = System.nanoTime();
            for (int round = 0; round < REQUESTS / 200; round++) {
                List<CompletableFuture<Message>> replies = new ArrayList<>();
                List<String> sent = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    String payload = round + "/" + i;
                    sent.add(payload);
                    Client requester = i % 2 == 0 ? requester1 : requester3;
                    replies.add(requester.request("svc.echo", payload, Duration.ofSeconds(20)));
                }
                for (int i = 0; i < replies.size(); i++) {
                    assertThat(replies.get(i).join().payloadAsString()).isEqualTo("echo " + sent.get(i));
                }
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("cluster request/reply: %,d requests from nodes 1 and 3 to a responder on node 2 "
                    + "in %,d ms%n", REQUESTS, millis);
            assertThat(handled.get()).isEqualTo(REQUESTS); // each handled once: none sent twice
            assertThat(cluster.counter(2, "conduit.cluster.duplicates")).isZero();
            // Lettuce runs on the nodes' own event loops (SharedEventLoops), with no loops of its own.
            assertThat(Thread.getAllStackTraces().keySet()).map(Thread::getName)
                    .noneMatch(n -> n.startsWith("lettuce-") && n.contains("EventLoop"));
        }
    }

    @Test
    void noRespondersOnlyWhenNoNodeHasOne() {
        try (ClusterNodes cluster = new ClusterNodes(redis, 2)) {
            Client requester = cluster.client(1);
            assertThatThrownBy(() -> requester.request("svc.nobody", "x", Duration.ofSeconds(10)).join())
                    .isInstanceOf(CompletionException.class).hasCauseInstanceOf(NoRespondersException.class);

            cluster.client(2).subscribe("svc.*", m -> m.reply("from node 2"));
            cluster.awaitRemoteInterests(1, 1);
            assertThat(requester.request("svc.nobody", "x", Duration.ofSeconds(10)).join().payloadAsString())
                    .isEqualTo("from node 2");
        }
    }
}

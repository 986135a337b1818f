package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.client.Client;
import dev.conduit.protocol.Headers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node acknowledges a PUBLISH it forwarded to other nodes only once Redis holds it (docs/cluster.md,
 * "Acknowledged means held"): a crash of the node after the ACK then loses none of it for them.
 */
class ClusterAckTest {
    @AutoClose
    private static RedisProcess redis;

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
    }

    @Test
    void aPublishForAnotherNodeIsConfirmedOnlyOnceRedisHoldsIt() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes(redis, 2)) {
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            cluster.client(2).subscribe("acks.remote", m -> received.add(m.payloadAsString()));
            Client publisher = cluster.client(1);
            publisher.subscribe("acks.local", m -> m.reply("pong")); // answered on node 1 alone
            cluster.awaitRemoteInterests(1, 1);
            publisher.publishConfirmed("acks.remote", Headers.EMPTY, bytes("before"), null).get(10, TimeUnit.SECONDS);
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("before");

            CompletableFuture<Void> confirmed;
            redis.pause(); // connected, answering nothing: the XADD waits (well within its 5 s timeout)
            try {
                confirmed = publisher.publishConfirmed("acks.remote", Headers.EMPTY, bytes("held"), null);
                // Sent after that PUBLISH on the same connection, answered after anything the node
                // queued there for it before: an ACK sent at the end of its read would be in first.
                assertThat(publisher.request("acks.local", "ping", Duration.ofSeconds(3)).join().payloadAsString())
                        .isEqualTo("pong");
                assertThat(confirmed).as("confirmed while Redis held nothing").isNotDone();
            } finally {
                redis.resume();
            }
            confirmed.get(10, TimeUnit.SECONDS);
            assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("held");
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}

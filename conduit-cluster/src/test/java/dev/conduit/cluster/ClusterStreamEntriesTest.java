package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.MessageBody;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a node does with the entries of its inbound stream, written here by hand as another node
 * would: an entry written twice (a resent XADD) is routed once, a seq that jumps (entries
 * trimmed unread) is counted as lost, never silently, and what was read is trimmed.
 */
@Timeout(60)
class ClusterStreamEntriesTest {
    @AutoClose
    private static RedisProcess redis;

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
    }

    @Test
    void aResentEntryIsRoutedOnceAndASeqGapIsCountedAsLost() {
        SeqSubscriber subscriber = new SeqSubscriber();
        withSubscribedNode(subscriber, (cluster, sync) -> {
            sync.xadd(ClusterKeys.inbound("n1"), entry(1, 0));
            sync.xadd(ClusterKeys.inbound("n1"), entry(1, 0)); // the same batch again: a resent XADD
            sync.xadd(ClusterKeys.inbound("n1"), entry(3, 1)); // batch 2 never arrived (trimmed)

            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.counter(1, "conduit.cluster.lost") == 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> subscriber.received() == 2);
            assertThat(subscriber.perfect(2)).as(subscriber.report(2)).isTrue();
            assertThat(cluster.counter(1, "conduit.cluster.duplicates")).isEqualTo(1);
            assertThat(cluster.counter(1, "conduit.cluster.received")).isEqualTo(2);
        });
    }

    @Test
    void theReaderTrimsWhatItHasReadByBytes() {
        // 64 KiB entries (one Redis node each, so that MINID ~ trims each): a trim every 4.
        int size = 64 << 10;
        readUntilTrimmedTo(100, size, Reader.TRIM_BYTES / size);
    }

    @Test
    void theReaderTrimsWhatItHasReadByEntries() {
        // Small entries: trimmed every 1,024, by whole Redis nodes (100 entries each by default).
        readUntilTrimmedTo(Reader.TRIM_ENTRIES + 300, 8, 300 + 100);
    }

    /**
     * Writes {@code entries} entries of one {@code size}-byte message each to n1's stream, waits
     * until n1's subscriber has them all in order, then until n1 has trimmed its stream to {@code
     * left} entries at most (the reader does not wait for its trims).
     */
    private static void readUntilTrimmedTo(int entries, int size, int left) {
        SeqSubscriber subscriber = new SeqSubscriber();
        withSubscribedNode(subscriber, (cluster, sync) -> {
            for (int i = 0; i < entries; i++) {
                sync.xadd(ClusterKeys.inbound("n1"), entry(i + 1, i, size));
            }

            await().atMost(Duration.ofSeconds(20)).until(() -> subscriber.received() == entries);
            assertThat(subscriber.perfect(entries)).as(subscriber.report(entries)).isTrue();
            // Untrimmed, all would stay until the senders' MAXLEN ~ of 100,000 entries.
            await("n1's stream trimmed to " + left + " entries").atMost(Duration.ofSeconds(10))
                    .until(() -> sync.xlen(ClusterKeys.inbound("n1")) <= left);
            assertThat(cluster.counter(1, "conduit.cluster.lost")).isZero();
        });
    }

    /**
     * Runs {@code body} with one node n1, whose client subscribes to {@code feed.>} with {@code
     * subscriber}, once that interest is in Redis; and a connection to Redis to write n1's stream.
     */
    private static void withSubscribedNode(SeqSubscriber subscriber,
                                           BiConsumer<ClusterNodes, RedisCommands<String, byte[]>> body) {
        RedisClient client = RedisClient.create(redis.uri());
        try (ClusterNodes cluster = new ClusterNodes(redis, 1);
             StatefulRedisConnection<String, byte[]> connection =
                     client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))) {
            cluster.client(1).subscribe("feed.>", subscriber);
            RedisCommands<String, byte[]> sync = connection.sync();
            await().atMost(Duration.ofSeconds(10)).until(() -> sync.hexists(ClusterKeys.interest("n1"), "p feed.>"));
            body.accept(cluster, sync);
        } finally {
            client.shutdown();
        }
    }

    private static Map<String, byte[]> entry(long seq, long n) {
        return entry(seq, n, 8);
    }

    /** An entry from node "other", epoch 7, batch {@code seq}, holding one message with sequence number {@code n}. */
    private static Map<String, byte[]> entry(long seq, long n, int size) {
        Batch batch = new Batch();
        batch.add(new Batch.Item(Batch.MESSAGE, MessageBody.of("feed.a", null, null, SeqSubscriber.payload(n, size)),
                false, false, Set.of()));
        Map<String, byte[]> fields = new LinkedHashMap<>();
        fields.put("n", "other".getBytes(StandardCharsets.UTF_8));
        fields.put("e", "7".getBytes(StandardCharsets.UTF_8));
        fields.put("s", Long.toString(seq).getBytes(StandardCharsets.UTF_8));
        fields.put("b", batch.toBytes());
        return fields;
    }
}

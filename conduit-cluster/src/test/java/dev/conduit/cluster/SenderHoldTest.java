package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.MessageBody;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Publishers wait once the send queue passes {@link ClusterTuning#holdAboveBytes} while Redis is
 * reachable, well before the bound (64 MiB by default) that an outage may fill, and go on once it is
 * back under half of that. The {@code XADD}s' replies are completed by the test, one round at a time.
 */
class SenderHoldTest {
    /** The replies not yet given, in the order the rounds asked. */
    private final List<CompletableFuture<String>> replies = new ArrayList<>();

    @SuppressWarnings("unchecked")
    private final RedisAsyncCommands<String, byte[]> redis = (RedisAsyncCommands<String, byte[]>)
            Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RedisAsyncCommands.class},
                    (proxy, method, args) -> {
                        if (!method.getName().equals("xadd")) {
                            throw new UnsupportedOperationException(method.getName());
                        }
                        CompletableFuture<String> reply = new CompletableFuture<>();
                        replies.add(reply);
                        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {RedisFuture.class},
                                (p, m, a) -> {
                                    if (!m.getName().equals("toCompletableFuture")) {
                                        throw new UnsupportedOperationException(m.getName());
                                    }
                                    return reply;
                                });
                    });

    private final Sender sender = new Sender("n1", 1, ClusterTuning.DEFAULT, redis,
            new ClusterMetrics(new SimpleMeterRegistry(), System::nanoTime), System::nanoTime, () -> true);

    private static Batch.Item message() {
        return new Batch.Item(Batch.MESSAGE, MessageBody.of("orders.eu", null, null, new byte[100]), false, false,
                Set.of());
    }

    @Test
    void publishersWaitPastTheHoldMarkAndGoOnUnderHalfOfIt() {
        long mark = ClusterTuning.DEFAULT.holdAboveBytes();
        assertThat(mark).isEqualTo(ClusterTuning.HOLD_CAP).isLessThan(ClusterTuning.DEFAULT.maxQueuedBytes() / 2);
        while (sender.queuedBytes() <= mark) {
            assertThat(sender.holdPublisher(() -> { })).as("not held at %d queued bytes", sender.queuedBytes())
                    .isFalse();
            assertThat(sender.offer("n2", message())).isTrue();
        }
        AtomicInteger released = new AtomicInteger();
        assertThat(sender.holdPublisher(released::incrementAndGet)).isTrue();
        assertThat(released).hasValue(0);

        int rounds = 0;
        while (released.get() == 0) {
            assertThat(sender.queuedBytes()).as("released only under half the mark").isGreaterThanOrEqualTo(mark / 2);
            replies.get(rounds++).complete("1-" + rounds); // the round lands; the next one starts on this thread
        }
        assertThat(released).hasValue(1);
        assertThat(sender.queuedBytes()).isLessThan(mark / 2);
        assertThat(rounds).as("rounds of at most %d messages", ClusterTuning.DEFAULT.maxBatchMessages()).isGreaterThan(1);
    }

    @Test
    void aSmallBoundHoldsAtHalfOfIt() {
        ClusterTuning small = ClusterTuning.DEFAULT.withMaxQueuedBytes(1 << 20);
        assertThat(small.holdAboveBytes()).isEqualTo(512 << 10);
    }
}

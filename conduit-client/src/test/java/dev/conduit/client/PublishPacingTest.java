package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolLimits;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * A {@link BufferFullPolicy#WAIT} publisher on a live connection is held once half the buffer's
 * bound (at most 4 MiB) awaits confirmation, and goes on once half of that is confirmed; pacing
 * never fails a publish, and the other policies are not paced. The scripted server holds its ACKs
 * so that the test decides what is confirmed.
 */
class PublishPacingTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** A 1 MiB bound: paced past 512 KiB unconfirmed, released at 256 KiB. */
    private static final long BOUND = 1 << 20;
    private static final int PAYLOAD = 1000;
    /** Enough 1,000-byte publishes to pass the bound. */
    private static final int COUNT = 2000;

    private static ClientOptions.Builder options(BufferFullPolicy policy, Duration wait) {
        return ClientOptions.builder().clientName("unit").initialConnectJitter(Duration.ZERO)
                .maxBufferedBytes(BOUND).bufferFull(policy, wait);
    }

    /** Publishes up to {@code count} messages on its own thread, counting those taken; {@code done} is its end. */
    private static final class Publisher {
        final AtomicInteger taken = new AtomicInteger();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final Thread thread;

        Publisher(Client client, int count) {
            thread = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < count && client.publish("paced", new byte[PAYLOAD]); i++) {
                        taken.incrementAndGet();
                    }
                    done.complete(null);
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
        }

        /** Waiting on the client's monitor with every publish it made received by the server. */
        boolean held(ScriptedServer server) {
            return thread.getState() == Thread.State.TIMED_WAITING && server.sequenced.get() == taken.get();
        }
    }

    /** The encoded size of one of the test's publishes, as the buffer counts it. */
    private static int frameBytes(ScriptedServer server) throws InterruptedException {
        return FrameCodec.encodedLength(server.next(Frame.Publish.class));
    }

    @Test
    void aWaitingPublisherIsHeldAtHalfTheBoundAndGoesOnOnceHalfOfThatIsConfirmed() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT);
             Client client = server.connect(options(BufferFullPolicy.WAIT, Duration.ofMinutes(5)))) {
            server.holdAcks = true;
            Publisher p = new Publisher(client, COUNT);
            long size = frameBytes(server);

            // Held once more than 512 KiB is sent and unconfirmed: about 510 publishes, not the ~1,020 of the bound.
            await().atMost(WAIT).until(() -> p.held(server));
            int held = p.taken.get();
            assertThat(held).isEqualTo((int) (BOUND / 2 / size) + 1);

            // Confirming all but 256 KiB releases it.
            server.ack(held - (BOUND / 4) / size);
            await().atMost(WAIT).until(() -> p.taken.get() > held);

            server.holdAcks = false;
            server.ack(server.sequenced.get());
            p.done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(p.taken.get()).isEqualTo(COUNT);
            await().atMost(WAIT).until(() -> server.sequenced.get() == COUNT);
        }
    }

    @Test
    void pacingNeverFailsAPublishOnlyTheBoundDoes() throws Exception {
        runsToTheBound(BufferFullPolicy.WAIT, Duration.ZERO, BufferFullException.class);
    }

    @Test
    void aPaceThatRunsOutIsNotRepeatedSoAStalledServerBringsThePublisherToTheBound() throws Exception {
        // 200 ms per pace: repeated for each of the ~500 publishes past the mark it would take about 100 s.
        runsToTheBound(BufferFullPolicy.WAIT, Duration.ofMillis(200), BufferFullException.class);
    }

    @Test
    void returnFalseIsNotPaced() throws Exception {
        runsToTheBound(BufferFullPolicy.RETURN_FALSE, Duration.ofMinutes(5), null);
    }

    /**
     * A publisher under {@code policy} against a server that confirms nothing takes the whole 1 MiB,
     * not just the pace mark, and then fails with {@code failure} (null: {@code publish} returned false).
     */
    private static void runsToTheBound(BufferFullPolicy policy, Duration wait,
                                       @Nullable Class<? extends Throwable> failure) throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT);
             Client client = server.connect(options(policy, wait))) {
            server.holdAcks = true;
            Publisher p = new Publisher(client, COUNT);
            long size = frameBytes(server);
            await().atMost(WAIT).until(p.done::isDone);
            if (failure == null) {
                assertThat(p.done).isCompleted();
            } else {
                assertThat(p.done.exceptionNow()).isInstanceOf(failure);
            }
            assertThat(p.taken.get()).isEqualTo((int) (BOUND / size));
            server.ack(server.sequenced.get()); // so that closing need not wait for confirmations
        }
    }

    @Test
    void aPacedPublisherIsReleasedWhenTheClientCloses() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT)) {
            Client client = server.connect(options(BufferFullPolicy.WAIT, Duration.ofMinutes(5)));
            server.holdAcks = true;
            Publisher p = new Publisher(client, COUNT);
            long size = frameBytes(server);
            await().atMost(WAIT).until(() -> p.held(server));
            assertThat(p.taken.get()).isEqualTo((int) (BOUND / 2 / size) + 1);
            client.close();
            await().atMost(WAIT).until(p.done::isDone);
            assertThat(p.done.exceptionNow()).isInstanceOf(ConnectionClosedException.class);
        }
    }
}

package dev.conduit.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

/**
 * Hundreds of thousands of random and mutated frames, over many real loopback connections that
 * reconnect each time the server closes them, against a running in-process server: it stays up, its
 * heap stays bounded, its connection count returns to the baseline, and a well-behaved client gets
 * an answer to every request it makes throughout.
 *
 * <p>The seed is printed, and named in every failure; run again with {@code
 * -Dconduit.hostile.seed=<seed>} to repeat a run's bytes (the interleaving of connections differs).
 */
class HostileBytesTest {
    private static final int TARGET_FRAMES = 1_000_000;
    private static final int WORKERS = 6;
    private static final Duration MAX_RUN = Duration.ofMinutes(3);
    private static final long HEAP_BOUND_BYTES = 512L << 20;
    private static final long HEAP_GROWTH_AFTER_BYTES = 64L << 20;

    @Test
    void randomAndMutatedFramesNeitherCrashNorStarveTheServerNorGrowItsHeap() throws Exception {
        long seed = Long.getLong("conduit.hostile.seed", System.nanoTime());
        String why = "seed " + seed + " (-Dconduit.hostile.seed=" + seed + ")";
        System.out.println("HostileBytesTest " + why);
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        // A short resume window and the smallest session bound, so that what hostile sessions leave
        // behind is freed within the test; every other limit at its default.
        try (TestServer ts = TestServer.start(b -> b.handshakeTimeout(Duration.ofSeconds(2))
                .resumeWindow(Duration.ofSeconds(1)).drainTimeout(Duration.ofMillis(200))
                .maxPendingBytesPerSession(2L << 20))) {
            Client responder = ts.client();
            responder.subscribe("svc.echo", m -> m.reply(m.payload()));
            responder.flush(Duration.ofSeconds(10)).get();
            Client requester = ts.client();
            int baselineConnections = ts.server.connectionCount();
            int baselineSessions = ts.server.sessionCount();
            memory.gc();
            long heapBefore = memory.getHeapMemoryUsage().getUsed();

            AtomicLong frames = new AtomicLong();
            AtomicLong connections = new AtomicLong();
            AtomicLong writeFailures = new AtomicLong();
            AtomicBoolean attackOver = new AtomicBoolean();
            ConcurrentLinkedQueue<Throwable> requestFailures = new ConcurrentLinkedQueue<>();
            AtomicLong replies = new AtomicLong();
            long start = System.nanoTime();
            long deadline = start + MAX_RUN.toNanos();
            ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 2);
            List<Future<?>> workers = new ArrayList<>();
            InetSocketAddress address = ts.server.address();
            for (int w = 0; w < WORKERS; w++) {
                workers.add(pool.submit(() -> {
                    while (frames.get() < TARGET_FRAMES && System.nanoTime() < deadline) {
                        long n = connections.getAndIncrement();
                        attack(address, new Random(seed * 1_000_003L + n), frames, writeFailures);
                    }
                    return null;
                }));
            }
            CountDownLatch requesterDone = new CountDownLatch(1);
            pool.submit(() -> {
                try {
                    long i = 0;
                    while (!attackOver.get()) {
                        String body = "r" + i++;
                        try {
                            Message reply = requester.requestAndWait("svc.echo", body.getBytes(UTF_8), Duration.ofSeconds(10));
                            if (!reply.payloadAsString().equals(body)) {
                                requestFailures.add(new AssertionError("reply " + reply.payloadAsString() + " to " + body));
                            }
                            replies.incrementAndGet();
                        } catch (RuntimeException e) {
                            requestFailures.add(e);
                        }
                    }
                } finally {
                    requesterDone.countDown();
                }
            });
            AtomicLongArray heapSamples = new AtomicLongArray(1);
            for (Future<?> f : workers) {
                while (!f.isDone()) {
                    try {
                        f.get(2, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        memory.gc(); // during the attack: what hostile connections hold now
                        heapSamples.accumulateAndGet(0, memory.getHeapMemoryUsage().getUsed(), Math::max);
                    }
                }
                f.get();
            }
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            attackOver.set(true);
            assertThat(requesterDone.await(30, TimeUnit.SECONDS)).as(why).isTrue();
            pool.shutdown();
            System.out.printf("HostileBytesTest: %d frames over %d connections in %d ms (%d cut off by the server "
                    + "closing first); %d requests answered meanwhile; peak heap after GC %d MiB; %s%n",
                    frames.get(), connections.get(), elapsedMillis, writeFailures.get(), replies.get(),
                    heapSamples.get(0) >> 20, why);

            assertThat(frames.get()).as("frames sent within %s; %s", MAX_RUN, why).isGreaterThanOrEqualTo(TARGET_FRAMES);
            assertThat(requestFailures).as("requests of the well-behaved client; %s", why).isEmpty();
            assertThat(replies.get()).as(why).isPositive();
            assertThat(heapSamples.get(0)).as("heap after GC during the attack; %s", why).isLessThan(HEAP_BOUND_BYTES);
            // Every hostile connection and session goes, and the server still takes new clients.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(ts.server.connectionCount()).as(why).isEqualTo(baselineConnections);
                assertThat(ts.server.sessionCount()).as(why).isEqualTo(baselineSessions);
            });
            memory.gc();
            assertThat(memory.getHeapMemoryUsage().getUsed()).as("heap after GC once it is over; %s", why)
                    .isLessThan(heapBefore + HEAP_GROWTH_AFTER_BYTES);
            Client late = ts.client();
            assertThat(late.requestAndWait("svc.echo", "late".getBytes(UTF_8), Duration.ofSeconds(10)).payloadAsString())
                    .as(why).isEqualTo("late");
        }
    }

    /**
     * One hostile connection: mostly a valid HELLO first, then random frames written in small
     * groups, until the server closes it or the plan is done; then reads what the server sent until
     * it closes. Every outcome of the server's (an error, a reset, a close) is fine here.
     */
    private static void attack(InetSocketAddress address, Random random, AtomicLong frames, AtomicLong writeFailures) {
        HostileFrames hostile = new HostileFrames(random);
        try (Socket socket = new Socket()) {
            socket.connect(address, 5_000);
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            int planned = 1 + random.nextInt(120);
            try {
                if (random.nextInt(10) < 8) {
                    out.write(hostile.hello());
                    frames.incrementAndGet();
                }
                int sent = 0;
                while (sent < planned) {
                    int group = Math.min(planned - sent, 1 + random.nextInt(8));
                    java.io.ByteArrayOutputStream batch = new java.io.ByteArrayOutputStream();
                    for (int i = 0; i < group; i++) {
                        batch.write(hostile.next());
                    }
                    out.write(batch.toByteArray());
                    sent += group;
                    frames.addAndGet(group);
                }
                socket.shutdownOutput();
            } catch (IOException e) {
                writeFailures.incrementAndGet(); // the server closed first: expected for most mutations
            }
            byte[] sink = new byte[16 << 10];
            try {
                while (in.read(sink) >= 0) {
                    // what the server says is not checked here: its staying up and fair is
                }
            } catch (IOException e) {
                // reset or timeout after a close: the connection is over either way
            }
        } catch (IOException e) {
            writeFailures.incrementAndGet();
        }
    }
}

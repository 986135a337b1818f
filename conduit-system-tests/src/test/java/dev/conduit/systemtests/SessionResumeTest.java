package dev.conduit.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.ConnectionState;
import dev.conduit.client.Message;
import dev.conduit.client.SessionLost;
import dev.conduit.protocol.Headers;
import dev.conduit.testkit.FaultProxy;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The promise of docs/guarantees.md, end to end through a proxy that cuts every connection at
 * random moments: while a session can be resumed, every message and every request/reply crosses
 * the cuts exactly once and in order.
 */
class SessionResumeTest {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int MESSAGES = 200_000;
    private static final int REQUESTS = 20_000;

    /** Records how long each client spent between losing its connection and resuming. */
    private static final class Watcher implements ClientListener {
        final List<Long> resumeNanos = new CopyOnWriteArrayList<>();
        final List<SessionLost> lost = new CopyOnWriteArrayList<>();
        final AtomicInteger resumed = new AtomicInteger();
        /** When the connection was last lost; listener calls for one client are serial. */
        private final AtomicLong since = new AtomicLong();

        @Override
        public void onStateChange(ConnectionState from, ConnectionState to) {
            if (to == ConnectionState.RESUMING) {
                since.set(System.nanoTime());
            } else if (from == ConnectionState.RESUMING && to == ConnectionState.OPEN) {
                resumeNanos.add(System.nanoTime() - since.get());
            }
        }

        @Override
        public void onResumed(dev.conduit.client.ServerInfo server) {
            resumed.incrementAndGet();
        }

        @Override
        public void onSessionLost(SessionLost event) {
            lost.add(event);
        }
    }

    @Test
    void nothingIsLostOrRepeatedWhileTheProxyCutsConnectionsAtRandom() throws Exception {
        try (TestServer ts = TestServer.start(); FaultProxy proxy = FaultProxy.start(ts.server.address())) {
            List<Watcher> watchers = new ArrayList<>();
            UnaryOperator<ClientOptions.Builder> viaProxy = b -> {
                Watcher w = new Watcher();
                watchers.add(w);
                return b.endpoints(proxy.endpoint()).listener(w)
                        .reconnectBackoff(Duration.ofMillis(2), Duration.ofMillis(50));
            };
            Client subscriber = ts.client(viaProxy);
            Client publisher = ts.client(viaProxy);
            Client responder = ts.client(viaProxy);
            Client requester = ts.client(viaProxy);
            Random random = new Random(20261124);
            AtomicInteger cuts = new AtomicInteger();
            AtomicBoolean done = new AtomicBoolean();

            // 1. Publish/subscribe: each payload is its sequence number; the subscriber checks each is the next.
            AtomicLong expected = new AtomicLong(1);
            AtomicLong received = new AtomicLong();
            List<String> violations = Collections.synchronizedList(new ArrayList<>());
            subscriber.subscribe("chaos.seq", m -> {
                long n = ByteBuffer.wrap(m.payload()).getLong();
                if (n != expected.get() && violations.size() < 10) {
                    violations.add("expected " + expected.get() + ", got " + n);
                }
                expected.set(n + 1);
                received.incrementAndGet();
            });
            subscriber.flush(WAIT).get();
            Thread cutter = cutter(proxy, random, received::get, 2_000, 8_000, cuts, done);
            for (long i = 1; i <= MESSAGES; i++) {
                publisher.publish("chaos.seq", ByteBuffer.allocate(8).putLong(i).array());
            }
            await().atMost(WAIT).until(() -> received.get() >= MESSAGES);
            done.set(true);
            cutter.join();
            int cutsDuringMessages = cuts.get();
            // One more message: anything repeated or out of order before it would show as a violation.
            publisher.publish("chaos.seq", ByteBuffer.allocate(8).putLong(MESSAGES + 1).array());
            await().atMost(WAIT).until(() -> received.get() == MESSAGES + 1);
            assertThat(violations).as("order violations").isEmpty();
            assertThat(expected.get()).isEqualTo(MESSAGES + 2);

            // 2. Request/reply, 32 in flight, through more cuts: every request is handled once and answered once.
            ConcurrentHashMap<Long, Boolean> handled = new ConcurrentHashMap<>();
            AtomicInteger handledTwice = new AtomicInteger();
            responder.subscribe("chaos.echo", m -> {
                if (handled.put(ByteBuffer.wrap(m.payload()).getLong(), Boolean.TRUE) != null) {
                    handledTwice.incrementAndGet();
                }
                m.reply(m.payload());
            });
            responder.flush(WAIT).get();
            AtomicLong answered = new AtomicLong();
            AtomicInteger wrong = new AtomicInteger();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            done.set(false);
            cutter = cutter(proxy, random, answered::get, 300, 1_000, cuts, done);
            Semaphore window = new Semaphore(32);
            List<CompletableFuture<Message>> all = new ArrayList<>();
            for (long i = 1; i <= REQUESTS; i++) {
                window.acquire();
                byte[] payload = ByteBuffer.allocate(8).putLong(i).array();
                CompletableFuture<Message> reply = requester.request("chaos.echo", Headers.EMPTY, payload, WAIT);
                all.add(reply);
                reply.whenComplete((m, e) -> {
                    if (e != null) {
                        failures.add(e);
                    } else if (!java.util.Arrays.equals(m.payload(), payload)) {
                        wrong.incrementAndGet();
                    }
                    answered.incrementAndGet();
                    window.release();
                });
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).handle((v, e) -> null).get(120, TimeUnit.SECONDS);
            done.set(true);
            cutter.join();
            assertThat(failures).as("failed requests").isEmpty();
            assertThat(wrong.get()).as("replies that did not match their request").isZero();
            assertThat(answered.get()).isEqualTo(REQUESTS);
            assertThat(handled).hasSize(REQUESTS);
            assertThat(handledTwice.get()).as("requests handled twice").isZero();

            assertThat(cuts.get()).as("cuts").isGreaterThanOrEqualTo(30);
            assertThat(watchers).allSatisfy(w -> assertThat(w.lost).as("sessions lost").isEmpty());
            List<Long> times = new ArrayList<>();
            watchers.forEach(w -> times.addAll(w.resumeNanos));
            Collections.sort(times);
            assertThat(times).isNotEmpty();
            System.out.printf("SessionResumeTest: %d cuts (%d during %d messages, %d during %d requests); "
                            + "%d resumes, time from connection loss to resumed: median %.1f ms, max %.1f ms; "
                            + "lost 0, duplicated 0, out of order 0%n",
                    cuts.get(), cutsDuringMessages, MESSAGES + 1, cuts.get() - cutsDuringMessages, REQUESTS, times.size(),
                    times.get(times.size() / 2) / 1e6, times.get(times.size() - 1) / 1e6);
        }
    }

    /** Cuts every connection each time progress passes a random mark, until told to stop. */
    private static Thread cutter(FaultProxy proxy, Random random, LongSupplier progress, int min, int max,
                                 AtomicInteger cuts, AtomicBoolean done) {
        return Thread.ofPlatform().name("cutter").start(() -> {
            long mark = progress.getAsLong() + min + random.nextInt(max - min);
            while (!done.get()) {
                long target = mark;
                await().atMost(WAIT).pollInterval(Duration.ofMillis(1))
                        .until(() -> done.get() || progress.getAsLong() >= target);
                if (done.get()) {
                    return;
                }
                proxy.cutAll();
                cuts.incrementAndGet();
                mark = progress.getAsLong() + min + random.nextInt(max - min);
            }
        });
    }
}

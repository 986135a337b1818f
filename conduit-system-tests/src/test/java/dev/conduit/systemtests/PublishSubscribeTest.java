package dev.conduit.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import dev.conduit.client.Subscription;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.InvalidSubjectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Publish/subscribe across real TCP connections: wildcards, queue groups, ordering, unsubscribe. */
class PublishSubscribeTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void wildcardsMatchWholeTokensOnly() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client sub = ts.client();
            List<String> star = new CopyOnWriteArrayList<>();
            List<String> rest = new CopyOnWriteArrayList<>();
            List<String> exact = new CopyOnWriteArrayList<>();
            sub.subscribe("orders.*.created", m -> star.add(m.subject() + "/" + m.payloadAsString()));
            sub.subscribe("orders.>", m -> rest.add(m.subject() + "/" + m.payloadAsString()));
            sub.subscribe("orders.eu.created", m -> exact.add(m.subject() + "/" + m.payloadAsString()));
            sub.flush(WAIT).get();

            Client pub = ts.client();
            for (String s : List.of("orders.eu.created", "orders.us.created", "orders.eu.created.late",
                    "orders", "orders.eu", "other.eu.created", "orders.eu.deleted")) {
                pub.publish(s, new byte[0]);
            }
            // Matched by all three; each subscription handles in order, so once every one has seen
            // this, it has seen everything published before it.
            pub.publish("orders.eu.created", "end".getBytes(UTF_8));
            String end = "orders.eu.created/end";
            await().atMost(WAIT).until(() -> star.contains(end) && rest.contains(end) && exact.contains(end));

            assertThat(star).containsExactly("orders.eu.created/", "orders.us.created/", end);
            assertThat(rest).containsExactly("orders.eu.created/", "orders.us.created/", "orders.eu.created.late/",
                    "orders.eu/", "orders.eu.deleted/", end);
            assertThat(exact).containsExactly("orders.eu.created/", end);
        }
    }

    @Test
    void eachMessageGoesToOneMemberOfEachQueueGroupAndToEveryPlainSubscriber() throws Exception {
        try (TestServer ts = TestServer.start()) {
            int messages = 4_000;
            Map4 counts = new Map4();
            CountDownLatch workDone = new CountDownLatch(messages * 2);
            List<Client> workers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Client w = ts.client();
                int worker = i;
                w.subscribe("jobs.*", "workers", m -> {
                    counts.add("workers-" + worker);
                    workDone.countDown();
                });
                w.subscribe("jobs.>", "auditors", m -> {
                    counts.add("auditors");
                    workDone.countDown();
                });
                w.flush(WAIT).get();
                workers.add(w);
            }
            Client plain = ts.client();
            AtomicInteger plainCount = new AtomicInteger();
            plain.subscribe("jobs.>", m -> plainCount.incrementAndGet());
            plain.flush(WAIT).get();

            Client pub = ts.client();
            for (int i = 0; i < messages; i++) {
                pub.publish("jobs.n" + (i % 10), new byte[] {(byte) i});
            }
            assertThat(workDone.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            await().atMost(WAIT).until(() -> plainCount.get() == messages);
            for (Client w : workers) {
                w.flush(WAIT).get();
            }
            int total = 0;
            for (int i = 0; i < 4; i++) {
                int n = counts.get("workers-" + i);
                // Round robin over a stable membership: an even share each.
                assertThat(n).as("worker %d", i).isEqualTo(messages / 4);
                total += n;
            }
            assertThat(total).isEqualTo(messages);
            assertThat(counts.get("auditors")).isEqualTo(messages);
        }
    }

    @Test
    void oneSubscriptionReceivesOneHundredThousandMessagesInOrder() throws Exception {
        try (TestServer ts = TestServer.start()) {
            int messages = 100_000;
            Client sub = ts.client(o -> o.maxPendingMessagesPerSubscription(messages));
            CountDownLatch done = new CountDownLatch(messages);
            AtomicInteger expected = new AtomicInteger();
            List<String> disorder = Collections.synchronizedList(new ArrayList<>());
            sub.subscribe("seq", m -> {
                int n = java.nio.ByteBuffer.wrap(m.payload()).getInt();
                if (n != expected.getAndIncrement() && disorder.size() < 10) {
                    disorder.add("expected " + (expected.get() - 1) + " got " + n);
                }
                done.countDown();
            });
            sub.flush(WAIT).get();
            Client pub = ts.client();
            for (int i = 0; i < messages; i++) {
                pub.publish("seq", java.nio.ByteBuffer.allocate(4).putInt(i).array());
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).as("all %d delivered", messages).isTrue();
            assertThat(disorder).isEmpty();
            assertThat(expected.get()).isEqualTo(messages);
        }
    }

    @Test
    void headersArriveInOrderWithRepeatedNames() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client sub = ts.client();
            CopyOnWriteArrayList<Message> got = new CopyOnWriteArrayList<>();
            sub.subscribe("h", got::add);
            sub.flush(WAIT).get();
            Headers headers = Headers.of("trace", "a", "Content-Type", "text/plain", "trace", "b");
            ts.client().publish("h", headers, "body".getBytes(UTF_8));
            await().atMost(WAIT).until(() -> got.size() == 1);
            assertThat(got.get(0).headers()).isEqualTo(headers);
            assertThat(got.get(0).headers().all("TRACE")).containsExactly("a", "b");
            assertThat(got.get(0).payloadAsString()).isEqualTo("body");
        }
    }

    @Test
    void unsubscribeAfterNDeliversExactlyNMoreMessages() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client sub = ts.client();
            AtomicInteger received = new AtomicInteger();
            Subscription s = sub.subscribe("count.me", m -> received.incrementAndGet());
            sub.flush(WAIT).get();
            Client pub = ts.client();
            pub.publish("count.me", new byte[0]);
            pub.publish("count.me", new byte[0]);
            pub.flush(WAIT).get();
            await().atMost(WAIT).until(() -> received.get() == 2);

            s.unsubscribeAfter(3);
            sub.flush(WAIT).get();
            for (int i = 0; i < 10; i++) {
                pub.publish("count.me", new byte[0]);
            }
            pub.flush(WAIT).get();
            // A marker subscription on the same connection: once it has its message, every earlier
            // delivery to this client has been handed over too.
            CountDownLatch marker = new CountDownLatch(1);
            sub.subscribe("marker", m -> marker.countDown());
            sub.flush(WAIT).get();
            pub.publish("marker", new byte[0]);
            assertThat(marker.await(30, TimeUnit.SECONDS)).isTrue();
            await().atMost(WAIT).until(() -> s.delivered() == 5);
            assertThat(received.get()).isEqualTo(5);
            assertThat(s.isActive()).isFalse();
        }
    }

    @Test
    void unsubscribeStopsDeliveries() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client sub = ts.client();
            AtomicInteger a = new AtomicInteger();
            CountDownLatch b = new CountDownLatch(1);
            Subscription first = sub.subscribe("u", m -> a.incrementAndGet());
            sub.subscribe("u", m -> b.countDown());
            sub.flush(WAIT).get();
            first.unsubscribe();
            sub.flush(WAIT).get();
            ts.client().publish("u", new byte[0]);
            assertThat(b.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(a.get()).isZero();
            assertThat(first.isActive()).isFalse();
        }
    }

    @Test
    void badSubjectsFailAtTheCallWithTheValueInTheMessage() {
        try (TestServer ts = TestServer.start()) {
            Client c = ts.client();
            assertThatThrownBy(() -> c.publish("a..b", new byte[0]))
                    .isInstanceOf(InvalidSubjectException.class).hasMessageContaining("a..b");
            assertThatThrownBy(() -> c.publish("a.*", new byte[0]))
                    .isInstanceOf(InvalidSubjectException.class).hasMessageContaining("a.*");
            assertThatThrownBy(() -> c.subscribe("a.>.b", m -> { }))
                    .isInstanceOf(InvalidSubjectException.class).hasMessageContaining("a.>.b");
            assertThatThrownBy(() -> c.subscribe("a b", m -> { }))
                    .isInstanceOf(InvalidSubjectException.class).hasMessageContaining("a b");
        }
    }

    /** Counts by key from many handler threads. */
    private static final class Map4 {
        private final ConcurrentHashMap<String, AtomicInteger> counts = new ConcurrentHashMap<>();

        void add(String key) {
            counts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        }

        int get(String key) {
            AtomicInteger n = counts.get(key);
            return n == null ? 0 : n.get();
        }
    }
}

package dev.conduit.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.Delivery;
import dev.conduit.client.Subscription;
import dev.conduit.testkit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Reliable subscriptions through the Java client (docs/guarantees.md): a handler that falls behind
 * slows its publisher instead of losing messages; one that stops is ended after maxStall.
 */
class ReliableSubscriptionTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Counts what a client reports lost. */
    private static final class Losses implements ClientListener {
        final AtomicLong gaps = new AtomicLong();
        final AtomicLong slow = new AtomicLong();
        final List<Subscription> slowSubscriptions = new CopyOnWriteArrayList<>();

        @Override
        public void onGap(Subscription subscription, long dropped) {
            gaps.addAndGet(dropped);
        }

        @Override
        public void onSlowConsumer(Subscription subscription, long dropped) {
            slow.incrementAndGet();
            slowSubscriptions.add(subscription);
        }
    }

    @Test
    void aBlockedHandlerHoldsThePublisherAndLosesNothing() throws Exception {
        try (TestServer ts = TestServer.start(b -> b.maxHeldBytesPerSubscription(4_096))) {
            Losses losses = new Losses();
            // A small credit, so that the server holds, and then stops reading the publisher, early.
            Client sub = ts.client(o -> o.listener(losses).maxPendingMessagesPerSubscription(64));
            Client lossySub = ts.client();
            CountDownLatch release = new CountDownLatch(1);
            List<Integer> got = new CopyOnWriteArrayList<>();
            AtomicInteger lossyGot = new AtomicInteger();
            sub.subscribe("seq", null, Delivery.RELIABLE, m -> {
                if (got.isEmpty()) {
                    release.await();
                }
                got.add(Integer.parseInt(m.payloadAsString()));
            });
            lossySub.subscribe("seq", null, Delivery.LOSSY, m -> lossyGot.incrementAndGet());
            sub.flush(WAIT).get();
            lossySub.flush(WAIT).get();

            Client pub = ts.client();
            int n = 20_000;
            for (int i = 1; i <= n; i++) {
                pub.publish("seq", Integer.toString(i).getBytes(UTF_8));
            }
            // The subscriber's handler is stuck: the server holds its messages and stops reading the publisher.
            await().atMost(WAIT).until(() -> gauge(ts, "conduit.flow.publishers.waiting") == 1.0);
            assertThat(got).isEmpty();
            assertThat(lossyGot.get()).isLessThan(n);

            release.countDown();
            await().atMost(WAIT).until(() -> got.size() == n);
            List<Integer> expected = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                expected.add(i);
            }
            assertThat(got).containsExactlyElementsOf(expected);
            pub.flush(WAIT).get();
            await().atMost(WAIT).until(() -> lossyGot.get() == n);
            assertThat(losses.gaps.get()).isZero();
            assertThat(losses.slow.get()).isZero();
            assertThat(gauge(ts, "conduit.flow.publishers.waiting")).isZero();
            assertThat(gauge(ts, "conduit.flow.held")).isZero();
        }
    }

    @Test
    void aHandlerThatTakesNothingForMaxStallHasItsSubscriptionEndedAndIsTold() throws Exception {
        ManualClock clock = ManualClock.create();
        try (TestServer ts = TestServer.start(b -> b.clock(clock).heartbeatInterval(Duration.ZERO)
                .maxStall(Duration.ofSeconds(30)))) {
            Losses losses = new Losses();
            Client sub = ts.client(o -> o.listener(losses).maxPendingMessagesPerSubscription(4));
            CountDownLatch never = new CountDownLatch(1);
            AtomicInteger taken = new AtomicInteger();
            Subscription stuck = sub.subscribe("stuck", null, Delivery.RELIABLE, m -> {
                taken.incrementAndGet();
                never.await();
            });
            AtomicInteger otherGot = new AtomicInteger();
            sub.subscribe("other", m -> otherGot.incrementAndGet());
            sub.flush(WAIT).get();

            Client pub = ts.client();
            for (int i = 0; i < 10; i++) {
                pub.publish("stuck", new byte[] {(byte) i});
            }
            pub.flush(WAIT).get();
            await().atMost(WAIT).until(() -> gauge(ts, "conduit.flow.held") > 0);
            clock.advance(Duration.ofSeconds(31));

            await().atMost(WAIT).until(() -> losses.slow.get() == 1);
            assertThat(losses.slowSubscriptions).containsExactly(stuck);
            assertThat(stuck.isActive()).isFalse();
            assertThat(gauge(ts, "conduit.flow.held")).isZero();
            assertThat(taken.get()).isEqualTo(1);
            // The session and its other subscription go on.
            pub.publish("other", new byte[0]);
            await().atMost(WAIT).until(() -> otherGot.get() == 1);
            never.countDown();
        }
    }

    private static double gauge(TestServer ts, String name) {
        var g = ts.server.meterRegistry().find(name).gauge();
        return g == null ? -1 : g.value();
    }
}

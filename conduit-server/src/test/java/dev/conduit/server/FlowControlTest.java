package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.testkit.ManualClock;
import dev.conduit.testkit.RawFrameClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Reliable subscriptions as a peer sees them (docs/protocol.md section 7b): raw frames over real
 * sockets; time on a {@link ManualClock}, heartbeats off.
 */
class FlowControlTest {
    private final ManualClock clock = ManualClock.create();
    private Server server;

    private void start(UnaryOperator<ServerConfig.Builder> tweak) {
        server = Server.create(tweak.apply(ServerConfig.builder().port(0).httpPort(-1).ioThreads(2)
                .heartbeatInterval(Duration.ZERO).clock(clock).drainTimeout(Duration.ofSeconds(1))).build()).start();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static Frame.Publish publish(String subject, String payload) {
        return new Frame.Publish(0, false,
                MessageBody.of(subject, null, Headers.EMPTY, payload.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> payloads(List<Frame> frames, int subscriptionId) {
        List<String> out = new ArrayList<>();
        for (Frame f : frames) {
            if (f instanceof Frame.Message m && m.subscriptionId() == subscriptionId) {
                out.add(new String(m.body().payload(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** Publishes {@code from..to} on {@code subject} and waits until the server has routed them. */
    private static void publishRange(RawFrameClient pub, String subject, int from, int to) throws Exception {
        for (int i = from; i <= to; i++) {
            pub.send(publish(subject, Integer.toString(i)));
        }
        pub.sync();
    }

    private static List<String> range(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(Integer.toString(i));
        }
        return out;
    }

    @Test
    void theServerSendsNoMoreThanTheMessageCreditAndHoldsTheRestInOrder() throws Exception {
        start(b -> b);
        try (RawFrameClient sub = RawFrameClient.open(server.address()); RawFrameClient pub = RawFrameClient.open(server.address())) {
            sub.send(Frame.Subscribe.reliable(1, "seq.>", null, 3, 1 << 20));
            sub.sync();
            publishRange(pub, "seq.a", 1, 10);
            assertThat(payloads(sub.sync(), 1)).containsExactlyElementsOf(range(1, 3));

            sub.send(new Frame.Credit(1, 2, 2)); // two taken: room for two more
            assertThat(payloads(sub.sync(), 1)).containsExactlyElementsOf(range(4, 5));
            sub.send(new Frame.Credit(1, 1, 1)); // an older total changes nothing
            assertThat(payloads(sub.sync(), 1)).isEmpty();
            sub.send(new Frame.Credit(1, 10, 11));
            assertThat(payloads(sub.sync(), 1)).containsExactlyElementsOf(range(6, 10));
        }
    }

    @Test
    void theByteCreditCountsPayloadBytesAndALargerMessageStillGoesAlone() throws Exception {
        start(b -> b);
        try (RawFrameClient sub = RawFrameClient.open(server.address()); RawFrameClient pub = RawFrameClient.open(server.address())) {
            sub.send(Frame.Subscribe.reliable(1, "b", null, 100, 10));
            sub.sync();
            pub.send(publish("b", "aaaa"), publish("b", "bbbb"), publish("b", "cccc"), publish("b", "a-long-one"),
                    publish("b", "d"));
            pub.sync();
            assertThat(payloads(sub.sync(), 1)).containsExactly("aaaa", "bbbb"); // 12 bytes would not fit
            sub.send(new Frame.Credit(1, 1, 4));
            assertThat(payloads(sub.sync(), 1)).containsExactly("cccc");
            sub.send(new Frame.Credit(1, 3, 12)); // nothing in flight: the 10-byte message goes alone
            assertThat(payloads(sub.sync(), 1)).containsExactly("a-long-one");
            sub.send(new Frame.Credit(1, 4, 22));
            assertThat(payloads(sub.sync(), 1)).containsExactly("d");
        }
    }

    @Test
    void pastTheHeldBoundThePublisherIsNotReadUntilTheSubscriberGrantsCredit() throws Exception {
        start(b -> b.maxHeldBytesPerSubscription(40));
        try (RawFrameClient sub = RawFrameClient.open(server.address()); RawFrameClient lossy = RawFrameClient.open(server.address());
             RawFrameClient pub = RawFrameClient.open(server.address())) {
            sub.send(Frame.Subscribe.reliable(1, "work", null, 1, 1 << 20));
            lossy.send(new Frame.Subscribe(2, "work", null));
            sub.sync();
            lossy.sync();
            for (int i = 1; i <= 100; i++) {
                pub.send(publish("work", String.format("%09d", i))); // 9 bytes each: the 6th held passes 40
            }
            pub.send(new Frame.Ping(77));
            await().atMost(Duration.ofSeconds(10)).until(() -> waitingPublishers() == 1.0);
            // The lossy subscriber got what was routed before the publisher was stopped, and is not held.
            List<String> lossyGot = payloads(lossy.sync(), 2);
            assertThat(lossyGot).isNotEmpty().hasSizeLessThan(100).containsExactlyElementsOf(range(1, lossyGot.size())
                    .stream().map(s -> String.format("%09d", Integer.parseInt(s))).toList());

            List<String> got = new ArrayList<>(payloads(sub.sync(), 1));
            assertThat(got).hasSize(1);
            // Grant credit one message at a time: the publisher is read again once the held bytes drain.
            for (int taken = 1; got.size() < 100; taken++) {
                sub.send(new Frame.Credit(1, taken, taken * 9L));
                got.addAll(payloads(sub.sync(), 1));
                assertThat(got).hasSizeLessThanOrEqualTo(taken + 1);
            }
            assertThat(got).containsExactlyElementsOf(range(1, 100).stream()
                    .map(s -> String.format("%09d", Integer.parseInt(s))).toList());
            List<Frame> rest = new ArrayList<>();
            Frame f;
            while (!(f = pub.next()).equals(new Frame.Pong(77))) {
                rest.add(f);
            }
            assertThat(rest).as("the publisher was held, not refused").isEmpty();
            assertThat(payloads(lossy.sync(), 2)).hasSize(100 - lossyGot.size());
            assertThat(waitingPublishers()).isZero();
        }
    }

    @Test
    void aSubscriptionThatGrantsNoCreditForMaxStallIsEndedWithGapAndA429WhileOthersGoOn() throws Exception {
        start(b -> b.maxStall(Duration.ofSeconds(30)));
        try (RawFrameClient sub = RawFrameClient.open(server.address()); RawFrameClient other = RawFrameClient.open(server.address());
             RawFrameClient pub = RawFrameClient.open(server.address())) {
            sub.send(Frame.Subscribe.reliable(1, "s", null, 1, 1 << 20), Frame.Subscribe.reliable(2, "t", null, 5, 1 << 20));
            other.send(Frame.Subscribe.reliable(1, "s", null, 100, 1 << 20));
            sub.sync();
            other.sync();
            publishRange(pub, "s", 1, 4);
            assertThat(payloads(sub.sync(), 1)).containsExactly("1");

            clock.advance(Duration.ofSeconds(29));
            sub.send(new Frame.Credit(1, 1, 1)); // credit restarts the stall clock
            assertThat(payloads(sub.sync(), 1)).containsExactly("2");
            int pending = clock.pendingTasks(); // the stall timer, due now at 30 s, among them
            clock.advance(Duration.ofSeconds(29));
            // It fired and handed the check to the session's writer, which arms it again for 59 s.
            await().atMost(Duration.ofSeconds(10)).until(() -> clock.pendingTasks() == pending);
            assertThat(sub.sync()).isEmpty();
            clock.advance(Duration.ofSeconds(1));

            List<Frame> frames = sub.sync();
            assertThat(frames).hasSize(2);
            assertThat(frames.get(0)).isEqualTo(new Frame.Gap(1, 2, true));
            Frame.Error e = (Frame.Error) frames.get(1);
            assertThat(e.errorCode()).isEqualTo(ErrorCode.SLOW_CONSUMER);
            assertThat(e.fatal()).isFalse();
            assertThat(e.message()).contains("subscription 1 's'").contains("maxStall");

            publishRange(pub, "s", 5, 5);
            publishRange(pub, "t", 1, 1);
            List<Frame> after = sub.sync();
            assertThat(payloads(after, 1)).isEmpty();
            assertThat(payloads(after, 2)).containsExactly("1"); // the session and its other subscription go on
            assertThat(payloads(other.sync(), 1)).containsExactlyElementsOf(range(1, 5));
        }
    }

    @Test
    void creditForAnUnknownOrLossySubscriptionIsIgnored() throws Exception {
        start(b -> b);
        try (RawFrameClient sub = RawFrameClient.open(server.address()); RawFrameClient pub = RawFrameClient.open(server.address())) {
            sub.send(new Frame.Subscribe(1, "l", null), new Frame.Credit(1, 5, 5), new Frame.Credit(9, 1, 1));
            assertThat(sub.sync()).isEmpty();
            publishRange(pub, "l", 1, 3);
            assertThat(payloads(sub.sync(), 1)).containsExactlyElementsOf(range(1, 3));
        }
    }

    private double waitingPublishers() {
        var g = server.meterRegistry().find("conduit.flow.publishers.waiting").gauge();
        return g == null ? -1 : g.value();
    }
}

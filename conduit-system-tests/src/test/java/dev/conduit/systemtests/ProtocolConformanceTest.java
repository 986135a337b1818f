package dev.conduit.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.testkit.RawFrameClient;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The server's side of docs/protocol.md, checked frame by frame over a bare socket. */
class ProtocolConformanceTest {

    private static Frame.Publish publish(String subject, String reply, boolean request) {
        return new Frame.Publish(0, request, MessageBody.of(subject, reply, Headers.EMPTY, new byte[] {1}));
    }

    @Test
    void welcomeAnnouncesTheConfiguredLimits() throws Exception {
        try (TestServer ts = TestServer.start(b -> b.maxPayloadBytes(4096).maxHeaderBytes(512).maxSubjectBytes(100));
             RawFrameClient raw = new RawFrameClient(ts.server.address())) {
            raw.send(new Frame.Hello(1, 5, "conformance", "", new byte[0], new byte[0], 0));
            Frame.Welcome w = (Frame.Welcome) raw.read();
            assertThat(w.version()).isEqualTo(1);
            assertThat(w.limits()).isEqualTo(new ProtocolLimits(4096, 512, 100));
            assertThat(w.serverId()).isEqualTo(ts.server.serverId());
            assertThat(w.resumed()).isFalse();
            assertThat(w.heartbeatIntervalMillis()).isEqualTo(5000);
            assertThat(w.heartbeatMisses()).isEqualTo(3);
            assertThat(w.epoch()).isNotZero();
            assertThat(w.resumeToken().sessionId()).isEqualTo(w.sessionId());
            assertThat(w.inboxPrefix()).startsWith("_INBOX.").endsWith(".");
        }
    }

    @Test
    void noCommonVersionIsRefused() throws Exception {
        try (TestServer ts = TestServer.start(); RawFrameClient raw = new RawFrameClient(ts.server.address())) {
            raw.send(new Frame.Hello(7, 9, "future", "", new byte[0], new byte[0], 0));
            List<Frame> frames = raw.readUntilClosed();
            assertThat(frames).singleElement().satisfies(f -> {
                Frame.Error e = (Frame.Error) f;
                assertThat(e.errorCode()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
                assertThat(e.fatal()).isTrue();
                assertThat(e.message()).contains("7..9");
            });
        }
    }

    @Test
    void aConnectionThatNeverSaysHelloIsClosedAtTheDeadline() throws Exception {
        try (TestServer ts = TestServer.start(b -> b.handshakeTimeout(Duration.ofMillis(200)));
             RawFrameClient raw = new RawFrameClient(ts.server.address())) {
            List<Frame> frames = raw.readUntilClosed();
            assertThat(frames).singleElement().satisfies(f ->
                    assertThat(((Frame.Error) f).errorCode()).isEqualTo(ErrorCode.HANDSHAKE_TIMEOUT));
        }
    }

    @Test
    void aSecondHelloIsFatal() throws Exception {
        try (TestServer ts = TestServer.start(); RawFrameClient raw = RawFrameClient.open(ts.server.address())) {
            raw.send(Frame.Hello.anonymous(1, "again"));
            assertThat(raw.readUntilClosed()).singleElement().satisfies(f ->
                    assertThat(((Frame.Error) f).errorCode()).isEqualTo(ErrorCode.UNEXPECTED_FRAME));
        }
    }

    @Test
    void nonFatalErrorsLeaveTheSessionWorking() throws Exception {
        try (TestServer ts = TestServer.start(); RawFrameClient raw = RawFrameClient.open(ts.server.address())) {
            raw.send(new Frame.Subscribe(1, "a.b", null));
            raw.send(new Frame.Subscribe(1, "c.d", null));
            Frame.Error duplicate = (Frame.Error) raw.read();
            assertThat(duplicate.errorCode()).isEqualTo(ErrorCode.DUPLICATE_SUBSCRIPTION);
            assertThat(duplicate.fatal()).isFalse();

            // A SUBSCRIBE whose pattern breaks the rules, written by hand: the client library would refuse it.
            ByteBuffer bad = FrameCodec.encode(new Frame.Subscribe(2, "x.y", null));
            bad.put(FrameCodec.HEAD_BYTES + 4 + 2 + 2, (byte) '.'); // "x.y" becomes "x.."
            byte[] badBytes = new byte[bad.remaining()];
            bad.get(badBytes);
            raw.sendBytes(badBytes);
            Frame.Error invalid = (Frame.Error) raw.read();
            assertThat(invalid.errorCode()).isEqualTo(ErrorCode.INVALID_SUBJECT);
            assertThat(invalid.fatal()).isFalse();
            assertThat(invalid.message()).contains("x..");

            raw.send(publish("a.b", null, false));
            Frame.Message m = (Frame.Message) raw.read();
            assertThat(m.subscriptionId()).isEqualTo(1);
            assertThat(m.body().subject()).isEqualTo("a.b");
            raw.send(new Frame.Ping(77));
            assertThat(raw.read()).isEqualTo(new Frame.Pong(77));
        }
    }

    @Test
    void aRequestNobodyListensToGetsNoRespondersButAPlainPublishDoesNot() throws Exception {
        try (TestServer ts = TestServer.start(); RawFrameClient raw = RawFrameClient.open(ts.server.address())) {
            raw.send(publish("nobody", "replies.t.1", false));
            raw.send(publish("nobody", "replies.t.2", true));
            raw.send(new Frame.Ping(1));
            assertThat(raw.read()).isEqualTo(new Frame.NoResponders("replies.t.2"));
            assertThat(raw.read()).isEqualTo(new Frame.Pong(1));
        }
    }

    @Test
    void unsubscribeCountsDeliveriesFromTheStart() throws Exception {
        try (TestServer ts = TestServer.start(); RawFrameClient raw = RawFrameClient.open(ts.server.address())) {
            raw.send(new Frame.Subscribe(5, "n", null));
            raw.send(publish("n", null, false));
            raw.send(publish("n", null, false));
            raw.send(new Frame.Unsubscribe(5, 5)); // five in total: three more
            for (int i = 0; i < 10; i++) {
                raw.send(publish("n", null, false));
            }
            raw.send(new Frame.Unsubscribe(99, 0)); // unknown: ignored
            raw.send(new Frame.Ping(2));
            List<Frame> frames = new ArrayList<>();
            for (Frame f = raw.read(); !(f instanceof Frame.Pong); f = raw.read()) {
                frames.add(f);
            }
            assertThat(frames).hasSize(5).allSatisfy(f -> assertThat(f).isInstanceOf(Frame.Message.class));
        }
    }

    @Test
    void aSubscriberThatStopsReadingIsToldAndCutOffWithoutHarmingOthersWhenItAskedToBe() throws Exception {
        try (TestServer ts = TestServer.start(b -> b.maxPendingBytesPerSession(2 << 20).drainTimeout(Duration.ofMillis(500)));
             RawFrameClient stalled = RawFrameClient.open(ts.server.address())) {
            stalled.send(new Frame.Subscribe(1, "firehose", null, true));
            stalled.send(new Frame.Ping(1));
            assertThat(stalled.read()).isEqualTo(new Frame.Pong(1));
            var healthy = ts.client();
            var got = new java.util.concurrent.atomic.AtomicInteger();
            healthy.subscribe("firehose", m -> got.incrementAndGet());
            healthy.flush(Duration.ofSeconds(30)).get();
            var publisher = ts.client();
            byte[] payload = new byte[16 << 10];
            // Publish until the stalled subscriber is cut off, bounded by count. The publisher waits
            // for the healthy subscriber every 10 messages, so only the stalled one falls behind.
            for (int i = 1; i <= 20_000 && ts.server.connectionCount() == 3; i++) {
                publisher.publish("firehose", payload);
                if (i % 10 == 0) {
                    int sent = i;
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> got.get() >= sent);
                }
            }
            assertThat(ts.server.connectionCount()).isEqualTo(2);
            // The stalled peer, reading at last, finds messages and then the end of the stream: the
            // server told it SLOW_CONSUMER, but it read nothing by the drain deadline, so the
            // connection was aborted with the error frame still queued behind the backlog.
            List<Frame> frames = stalled.readUntilClosed();
            assertThat(frames).isNotEmpty().allSatisfy(f -> assertThat(f).isInstanceOfAny(Frame.Message.class, Frame.Error.class));
            publisher.publish("firehose", new byte[] {1});
            publisher.flush(Duration.ofSeconds(30)).get();
            healthy.flush(Duration.ofSeconds(30)).get();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> got.get() > 0);
        }
    }

    @Test
    void aSubscriberThatFallsBehindIsSkippedAndToldExactlyHowManyItMissed() throws Exception {
        int bound = 2 << 20;
        try (TestServer ts = TestServer.start(b -> b.maxPendingBytesPerSession(bound));
             RawFrameClient slow = RawFrameClient.open(ts.server.address())) {
            slow.send(new Frame.Subscribe(1, "ticks", null));
            slow.send(new Frame.Ping(1));
            assertThat(slow.read()).isEqualTo(new Frame.Pong(1));
            var healthy = ts.client();
            var got = new java.util.concurrent.atomic.AtomicInteger();
            healthy.subscribe("ticks", m -> got.incrementAndGet());
            healthy.flush(Duration.ofSeconds(30)).get();
            // The slow subscriber acknowledges nothing: past the bound, its messages are dropped.
            var publisher = ts.client();
            int published = 3 * bound / 1024;
            // Paced by the healthy subscriber, so that only the slow one falls behind.
            for (int i = 1; i <= published; i++) {
                publisher.publish("ticks", new byte[1000]);
                if (i % 100 == 0) {
                    int sent = i;
                    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> got.get() >= sent);
                }
            }
            publisher.flush(Duration.ofSeconds(30)).get();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> got.get() == published);
            // Now it reads and acknowledges: every message is either delivered or counted in a GAP.
            long messages = 0;
            long dropped = 0;
            long seq = 0;
            while (messages + dropped < published) {
                Frame f = slow.read();
                assertThat(f).as("delivered %d, dropped %d of %d", messages, dropped, published).isNotNull();
                if (f instanceof Frame.Message) {
                    messages++;
                    seq++;
                } else if (f instanceof Frame.Gap g) {
                    assertThat(g.subscriptionId()).isEqualTo(1);
                    dropped += g.dropped();
                    seq++;
                }
                if (seq % 64 == 0) {
                    slow.send(new Frame.Ack(seq));
                }
                if (messages + dropped == published) {
                    slow.send(new Frame.Ack(seq));
                }
            }
            assertThat(dropped).as("some were dropped").isPositive();
            assertThat(messages).as("what fitted in the bound was delivered").isGreaterThanOrEqualTo(bound / 1100);
            assertThat(messages + dropped).isEqualTo(published);
            assertThat(ts.server.connectionCount()).as("nobody was disconnected").isEqualTo(3);
        }
    }

    @Test
    void aPeerThatSendsPingsButReadsNothingIsCutOffBeforeItsAnswersPileUp() throws Exception {
        try (TestServer ts = TestServer.start(b -> b.maxPendingBytesPerSession(2 << 20).drainTimeout(Duration.ofMillis(500)));
             RawFrameClient deaf = RawFrameClient.open(ts.server.address())) {
            var healthy = ts.client();
            healthy.subscribe("svc.ok", m -> m.reply(m.payload()));
            healthy.flush(Duration.ofSeconds(30)).get();
            java.io.ByteArrayOutputStream pings = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 1_000; i++) {
                java.nio.ByteBuffer b = dev.conduit.protocol.FrameCodec.encode(new Frame.Ping(7));
                pings.write(b.array(), b.arrayOffset(), b.remaining());
            }
            byte[] batch = pings.toByteArray();
            boolean cut = false;
            // Bounded: at most 20,000 batches (about 280 MB); the server cuts it off once 4 MiB of PONGs wait.
            for (int i = 0; i < 20_000 && !cut; i++) {
                try {
                    deaf.sendBytes(batch);
                } catch (java.io.IOException e) {
                    cut = true;
                }
            }
            if (!cut) {
                // The batches all fitted before the cut: the server, closing, reads on until its drain
                // deadline (so that its last frames are not lost to a reset) and only then aborts.
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                    try {
                        deaf.sendBytes(batch);
                        return false;
                    } catch (java.io.IOException e) {
                        return true;
                    }
                });
                cut = true;
            }
            assertThat(cut).as("the server closed the connection of the peer that reads nothing").isTrue();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ts.server.connectionCount() == 1);
            assertThat(healthy.requestAndWait("svc.ok", new byte[] {1}, Duration.ofSeconds(30)).payload()).containsExactly(1);
        }
    }
}

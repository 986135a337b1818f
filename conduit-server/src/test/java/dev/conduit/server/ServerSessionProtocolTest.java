package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.testkit.ManualClock;
import dev.conduit.testkit.RawFrameClient;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link ServerSession} as a peer sees it: raw frames over a real socket to a running server. */
class ServerSessionProtocolTest {
    private Server server;

    private Server start(UnaryOperator<ServerConfig.Builder> tweak) {
        server = Server.create(tweak.apply(ServerConfig.builder().port(0).ioThreads(2)
                .drainTimeout(Duration.ofSeconds(1))).build()).start();
        return server;
    }

    private Server start() {
        return start(b -> b);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static Frame.Publish publish(String subject, int payload) {
        return new Frame.Publish(0, false, MessageBody.of(subject, null, Headers.EMPTY, new byte[] {(byte) payload}));
    }

    private static void assertError(Frame f, ErrorCode code, boolean fatal) {
        assertThat(f).isInstanceOf(Frame.Error.class);
        Frame.Error e = (Frame.Error) f;
        assertThat(e.errorCode()).as("error %s", e).isEqualTo(code);
        assertThat(e.code()).isEqualTo(code.code());
        assertThat(e.fatal()).as("fatal flag of %s", e).isEqualTo(fatal);
    }

    private static void assertFatalThenClosed(RawFrameClient c, ErrorCode code) throws Exception {
        List<Frame> frames = c.readUntilClosed();
        assertThat(frames).hasSize(1);
        assertError(frames.get(0), code, true);
    }

    @Test
    void helloIsAnsweredWithWelcomeCarryingTheConfiguredLimits() throws Exception {
        start(b -> b.maxPayloadBytes(4096).maxHeaderBytes(512).maxSubjectBytes(100));
        try (RawFrameClient a = new RawFrameClient(server.address());
             RawFrameClient b = new RawFrameClient(server.address())) {
            a.send(new Frame.Hello(1, 3, "a", "", new byte[0], new byte[0], 0));
            b.send(Frame.Hello.anonymous(1, "b"));
            Frame.Welcome wa = (Frame.Welcome) a.next();
            Frame.Welcome wb = (Frame.Welcome) b.next();
            assertThat(wa.version()).isEqualTo(1);
            assertThat(wa.limits()).isEqualTo(new ProtocolLimits(4096, 512, 100));
            assertThat(wa.serverId()).isEqualTo(server.serverId()).isEqualTo(wb.serverId());
            assertThat(wa.sessionId()).isNotBlank().isNotEqualTo(wb.sessionId());
            assertThat(wa.epoch()).isEqualTo(wb.epoch());
            assertThat(wa.resumed()).isFalse();
            assertThat(a.sync()).isEmpty();
            assertThat(server.connectionCount()).isEqualTo(2);
        }
    }

    @Test
    void publishBeforeHelloIsFatal460ThenClose() throws Exception {
        start();
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(publish("a", 1));
            List<Frame> frames = c.readUntilClosed();
            assertThat(frames).singleElement().satisfies(f -> {
                assertError(f, ErrorCode.UNEXPECTED_FRAME, true);
                assertThat(((Frame.Error) f).message()).contains("HELLO").contains("PUBLISH");
            });
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> server.connectionCount() == 0);
    }

    @Test
    void aSecondHelloIsFatal460() throws Exception {
        start();
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(Frame.Hello.anonymous(1, "again"));
            assertFatalThenClosed(c, ErrorCode.UNEXPECTED_FRAME);
        }
    }

    @Test
    void helloOfferingOnlyVersions7To9IsFatal426() throws Exception {
        start();
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(new Frame.Hello(7, 9, "future", "", new byte[0], new byte[0], 0));
            List<Frame> frames = c.readUntilClosed();
            assertThat(frames).singleElement().satisfies(f -> {
                assertError(f, ErrorCode.UNSUPPORTED_VERSION, true);
                assertThat(((Frame.Error) f).message()).contains("7..9");
            });
        }
    }

    @Test
    void noHelloBeforeTheHandshakeDeadlineIsError408ThenClose() throws Exception {
        start(b -> b.handshakeTimeout(Duration.ofMillis(200)));
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            List<Frame> frames = c.readUntilClosed();
            assertThat(frames).singleElement().satisfies(f -> {
                assertError(f, ErrorCode.HANDSHAKE_TIMEOUT, true);
                assertThat(((Frame.Error) f).message()).contains("200 ms");
            });
        }
    }

    @Test
    void helloInTimeCancelsTheHandshakeDeadline() throws Exception {
        start(b -> b.handshakeTimeout(Duration.ofMillis(200)));
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, "t", null));
            // Outlive the deadline without sleeping: wait until a fresh connection has been timed out.
            try (RawFrameClient late = new RawFrameClient(server.address())) {
                assertFatalThenClosed(late, ErrorCode.HANDSHAKE_TIMEOUT);
            }
            c.send(publish("t", 1));
            assertThat(c.sync()).singleElement().isInstanceOf(Frame.Message.class);
        }
    }

    @Test
    void pingIsAnsweredWithPongCarryingTheSameToken() throws Exception {
        start();
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            long[] tokens = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 0x1234_5678_9abcL};
            for (long t : tokens) {
                c.send(new Frame.Ping(t));
            }
            for (long t : tokens) {
                assertThat(c.next()).isEqualTo(new Frame.Pong(t));
            }
        }
    }

    @Test
    void aDuplicateSubscriptionIdIsNonFatal409AndTheFirstSubscriptionStands() throws Exception {
        start();
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, "first", null), new Frame.Subscribe(1, "second", null));
            List<Frame> before = c.sync();
            assertThat(before).singleElement().satisfies(f -> {
                assertError(f, ErrorCode.DUPLICATE_SUBSCRIPTION, false);
                assertThat(((Frame.Error) f).message()).contains("1");
            });
            c.send(publish("second", 1), publish("first", 2));
            assertThat(c.sync()).singleElement().isEqualTo(
                    new Frame.Message(1, 1, publish("first", 2).body()));
        }
    }

    @Test
    void anInvalidPatternInSubscribeIsNonFatal422AndTheSessionKeepsWorking() throws Exception {
        start();
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, "a..b", null), new Frame.Subscribe(2, "a.>.b", null),
                    new Frame.Subscribe(3, "ok", "bad.group"));
            List<Frame> errors = c.sync();
            assertThat(errors).hasSize(3).allSatisfy(f -> assertError(f, ErrorCode.INVALID_SUBJECT, false));
            assertThat(((Frame.Error) errors.get(0)).message()).contains("a..b");
            c.send(new Frame.Subscribe(1, "a.b", null), new Frame.Subscribe(3, "ok", null));
            c.send(publish("a.b", 1), publish("ok", 2));
            assertThat(c.sync()).extracting(f -> ((Frame.Message) f).subscriptionId()).containsExactly(1, 3);
        }
    }

    @Test
    void anInvalidSubjectInPublishIsNonFatal422() throws Exception {
        start();
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, ">", null));
            c.send(publish("a.*", 1), publish("a b", 2), publish("fine", 3));
            List<Frame> frames = c.sync();
            assertThat(frames).hasSize(3);
            assertError(frames.get(0), ErrorCode.INVALID_SUBJECT, false);
            assertError(frames.get(1), ErrorCode.INVALID_SUBJECT, false);
            assertThat(frames.get(2)).isEqualTo(new Frame.Message(1, 1, publish("fine", 3).body()));
        }
    }

    @Test
    void aPayloadOverTheConfiguredMaximumIsFatal414() throws Exception {
        start(b -> b.maxPayloadBytes(1000));
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, "big", null));
            MessageBody fits = MessageBody.of("big", null, Headers.EMPTY, new byte[1000]);
            c.send(new Frame.Publish(0, false, fits));
            assertThat(c.sync()).containsExactly(new Frame.Message(1, 1, fits));
            c.send(new Frame.Publish(0, false, MessageBody.of("big", null, Headers.EMPTY, new byte[1001])));
            assertFatalThenClosed(c, ErrorCode.PAYLOAD_TOO_LARGE);
        }
    }

    @Test
    void anOversizedLengthPrefixIsFatal413() throws Exception {
        start();
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.sendBytes(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 8, 0});
            assertFatalThenClosed(c, ErrorCode.FRAME_TOO_LARGE);
        }
    }

    @Test
    void aRequestNobodyListensToIsAnsweredWithNoRespondersNamingTheReplySubject() throws Exception {
        start();
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            MessageBody ask = MessageBody.of("svc.nobody", "replies.abc.1", Headers.EMPTY, new byte[] {1});
            c.send(new Frame.Publish(0, true, ask));
            assertThat(c.sync()).containsExactly(new Frame.NoResponders("replies.abc.1"));
            // Not a request (no flag), or a request with no reply subject: silence.
            c.send(new Frame.Publish(0, false, ask));
            c.send(new Frame.Publish(0, true, MessageBody.of("svc.nobody", null, Headers.EMPTY, new byte[0])));
            assertThat(c.sync()).isEmpty();
        }
    }

    @Test
    void aRequestSomebodyListensToIsDeliveredWithItsReplySubject() throws Exception {
        start();
        try (RawFrameClient responder = RawFrameClient.open(server.address());
             RawFrameClient requester = RawFrameClient.open(server.address())) {
            responder.send(new Frame.Subscribe(5, "svc.echo", "echoers"));
            assertThat(responder.sync()).isEmpty();
            MessageBody ask = MessageBody.of("svc.echo", "replies.r.1", Headers.of("k", "v"), new byte[] {42});
            requester.send(new Frame.Publish(0, true, ask));
            assertThat(requester.sync()).as("no NO_RESPONDERS when someone matches").isEmpty();
            assertThat(responder.next()).isEqualTo(new Frame.Message(1, 5, ask));
        }
    }

    @Test
    void unsubscribeAfterNCountsTheTotalSinceSubscribe() throws Exception {
        start();
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, "u.x", null));
            c.send(publish("u.x", 0), publish("u.x", 1));
            assertThat(c.sync()).hasSize(2).allSatisfy(f -> assertThat(f).isInstanceOf(Frame.Message.class));
            c.send(new Frame.Unsubscribe(1, 5));
            for (int i = 2; i < 12; i++) {
                c.send(publish("u.x", i));
            }
            List<Frame> more = c.sync();
            assertThat(more).as("5 in total, 2 already delivered").hasSize(3);
            assertThat(more).extracting(f -> ((Frame.Message) f).body().payload()[0])
                    .containsExactly((byte) 2, (byte) 3, (byte) 4);
            c.send(publish("u.x", 99));
            assertThat(c.sync()).isEmpty();
            // The id is free again once the subscription has ended.
            c.send(new Frame.Subscribe(1, "u.x", null), publish("u.x", 100));
            assertThat(c.sync()).singleElement().isInstanceOf(Frame.Message.class);
        }
    }

    @Test
    void unsubscribeWithATotalAlreadyReachedEndsAtOnce() throws Exception {
        start();
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, "u", null), new Frame.Subscribe(2, "u", null));
            c.send(publish("u", 0), publish("u", 1), publish("u", 2));
            assertThat(c.sync()).hasSize(6);
            c.send(new Frame.Unsubscribe(1, 2), new Frame.Unsubscribe(2, 3));
            c.send(publish("u", 3));
            assertThat(c.sync()).isEmpty();
        }
    }

    @Test
    void unsubscribeZeroEndsNowAndAnUnknownIdIsIgnored() throws Exception {
        start();
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, "z", null), new Frame.Subscribe(2, "z", null));
            c.send(new Frame.Unsubscribe(1, 0), new Frame.Unsubscribe(99, 0), new Frame.Unsubscribe(98, 3));
            c.send(new Frame.Unsubscribe(1, 0));
            c.send(publish("z", 7));
            assertThat(c.sync()).singleElement()
                    .satisfies(f -> assertThat(((Frame.Message) f).subscriptionId()).isEqualTo(2));
        }
    }

    @Test
    void aQueueGroupAcrossTwoConnectionsSplitsMessagesEvenly() throws Exception {
        start();
        try (RawFrameClient w1 = RawFrameClient.open(server.address());
             RawFrameClient w2 = RawFrameClient.open(server.address());
             RawFrameClient pub = RawFrameClient.open(server.address())) {
            w1.send(new Frame.Subscribe(1, "jobs.*", "workers"));
            w2.send(new Frame.Subscribe(1, "jobs.*", "workers"));
            assertThat(w1.sync()).isEmpty();
            assertThat(w2.sync()).isEmpty();
            for (int i = 0; i < 10; i++) {
                pub.send(publish("jobs.run", i));
            }
            assertThat(pub.sync()).isEmpty(); // every delivery has been queued by now
            for (RawFrameClient w : List.of(w1, w2)) {
                for (int i = 0; i < 5; i++) {
                    assertThat(w.next()).isInstanceOf(Frame.Message.class);
                }
                assertThat(w.sync()).as("no sixth message").isEmpty();
            }
        }
    }

    @Test
    void aSessionThatSaysGoodbyeHasItsSubscriptionsRemoved() throws Exception {
        start();
        try (RawFrameClient pub = RawFrameClient.open(server.address())) {
            try (RawFrameClient sub = RawFrameClient.open(server.address())) {
                sub.send(new Frame.Subscribe(1, "gone", null));
                assertThat(sub.sync()).isEmpty();
                sub.send(new Frame.GoAway(ErrorCode.NORMAL_CLOSE.code(), 0, "bye"));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> server.connectionCount() == 1 && server.sessionCount() == 1);
            pub.send(new Frame.Publish(0, true, MessageBody.of("gone", "replies.z", Headers.EMPTY, new byte[0])));
            assertThat(pub.sync()).containsExactly(new Frame.NoResponders("replies.z"));
        }
    }

    @Test
    void aSessionWhoseConnectionDropsKeepsItsSubscriptionsUntilTheResumeWindowEnds() throws Exception {
        ManualClock clock = ManualClock.create();
        start(b -> b.resumeWindow(Duration.ofSeconds(30)).clock(clock).heartbeatInterval(Duration.ZERO));
        try (RawFrameClient pub = RawFrameClient.open(server.address())) {
            try (RawFrameClient sub = RawFrameClient.open(server.address())) {
                sub.send(new Frame.Subscribe(1, "kept", null));
                assertThat(sub.sync()).isEmpty();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> server.connectionCount() == 1);
            assertThat(server.sessionCount()).as("the detached session is kept").isEqualTo(2);
            pub.send(new Frame.Publish(0, true, MessageBody.of("kept", "replies.z", Headers.EMPTY, new byte[0])));
            assertThat(pub.sync()).as("delivered into the detached session's buffer").isEmpty();
            clock.advance(Duration.ofSeconds(29));
            assertThat(server.sessionCount()).as("still within the resume window").isEqualTo(2);
            clock.advance(Duration.ofSeconds(1));
            await().atMost(Duration.ofSeconds(30)).until(() -> server.sessionCount() == 1);
            pub.send(new Frame.Publish(0, true, MessageBody.of("kept", "replies.z", Headers.EMPTY, new byte[0])));
            assertThat(pub.sync()).containsExactly(new Frame.NoResponders("replies.z"));
        }
    }
}

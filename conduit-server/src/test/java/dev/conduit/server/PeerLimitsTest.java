package dev.conduit.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Message;
import dev.conduit.client.ServerErrorException;
import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.testkit.ManualClock;
import dev.conduit.testkit.RawFrameClient;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every limit against a hostile peer, hit over a real socket: the offender gets the documented code
 * (and is closed if the code is fatal), and a bystander session on the same server still publishes
 * and receives afterwards.
 */
class PeerLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private Server server;
    private final List<Client> clients = new ArrayList<>();
    private Client bystander;

    private void start(UnaryOperator<ServerConfig.Builder> tweak) {
        server = Server.create(tweak.apply(ServerConfig.builder().port(0).ioThreads(2)
                .drainTimeout(Duration.ofSeconds(1))).build()).start();
        bystander = client(b -> b);
        bystander.subscribe("bystander.echo", m -> m.reply(m.payload()));
        bystander.flush(WAIT).join();
        assertBystanderWorks();
    }

    private Client client(UnaryOperator<ClientOptions.Builder> tweak) {
        Client c = Client.connect(tweak.apply(ClientOptions.builder()
                .endpoints("tcp://127.0.0.1:" + server.address().getPort())
                .initialConnectJitter(Duration.ZERO)).build());
        clients.add(c);
        return c;
    }

    /** The bystander's session publishes a request and receives its own reply through the server. */
    private void assertBystanderWorks() {
        Message reply = bystander.requestAndWait("bystander.echo", "still here".getBytes(UTF_8), WAIT);
        assertThat(reply.payloadAsString()).isEqualTo("still here");
    }

    @AfterEach
    void stop() {
        clients.forEach(Client::close);
        if (server != null) {
            server.close();
        }
    }

    private static Frame.Publish publish(String subject, byte[] payload) {
        return new Frame.Publish(0, false, MessageBody.of(subject, null, Headers.EMPTY, payload));
    }

    private static Frame.Error error(Frame f, ErrorCode code, boolean fatal) {
        assertThat(f).isInstanceOf(Frame.Error.class);
        Frame.Error e = (Frame.Error) f;
        assertThat(e.errorCode()).as("error %s", e).isEqualTo(code);
        assertThat(e.fatal()).as("fatal flag of %s", e).isEqualTo(fatal);
        return e;
    }

    private static Frame.Error fatalThenClosed(RawFrameClient c, ErrorCode code) throws Exception {
        List<Frame> frames = c.readUntilClosed();
        assertThat(frames).as("frames before the close").hasSize(1);
        return error(frames.get(0), code, true);
    }

    private static String subjectOfTokens(int n) {
        StringBuilder b = new StringBuilder("t0");
        for (int i = 1; i < n; i++) {
            b.append(".t").append(i);
        }
        return b.toString();
    }

    // ---------------------------------------------------------------------------------------------
    // Sizes (checked by the decoder)

    @Test
    void anOversizedLengthPrefixIs413AndOnlyTheOffenderIsClosed() throws Exception {
        start(b -> b);
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.sendBytes(ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array());
            assertThat(fatalThenClosed(c, ErrorCode.FRAME_TOO_LARGE).message()).contains(Integer.toString(Integer.MAX_VALUE));
        }
        assertBystanderWorks();
    }

    @Test
    void aPayloadOverTheMaximumIs414AndOnlyTheOffenderIsClosed() throws Exception {
        start(b -> b.maxPayloadBytes(1024));
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(publish("bystander.x", new byte[1025]));
            assertThat(fatalThenClosed(c, ErrorCode.PAYLOAD_TOO_LARGE).message()).contains("1025");
        }
        assertBystanderWorks();
    }

    @Test
    void aSubjectOverTheMaximumLengthIsNonFatal422() throws Exception {
        start(b -> b.maxSubjectBytes(100));
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(publish("a".repeat(101), new byte[1]));
            assertThat(c.sync()).singleElement().satisfies(f -> error(f, ErrorCode.INVALID_SUBJECT, false));
            // The offender's session goes on.
            c.send(new Frame.Subscribe(1, "mine", null, false), publish("mine", new byte[] {5}));
            assertThat(c.next()).isInstanceOf(Frame.Message.class);
        }
        assertBystanderWorks();
    }

    @Test
    void aHeaderBlockOverTheMaximumIsFatal431() throws Exception {
        start(b -> b.maxHeaderBytes(64));
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Publish(0, false, MessageBody.of("bystander.x", null,
                    Headers.of("name", "v".repeat(100)), new byte[1])));
            fatalThenClosed(c, ErrorCode.HEADERS_TOO_LARGE);
        }
        assertBystanderWorks();
    }

    // ---------------------------------------------------------------------------------------------
    // Subject tokens

    @Test
    void aSubjectPatternOrReplySubjectWithMoreThanMaxSubjectTokensIsNonFatal422() throws Exception {
        start(b -> b.maxSubjectTokens(8));
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, subjectOfTokens(9), null, false));
            Frame.Error e = error(c.sync().getFirst(), ErrorCode.INVALID_SUBJECT, false);
            assertThat(e.message()).contains("maxSubjectTokens").contains("8");

            c.send(new Frame.Subscribe(2, subjectOfTokens(8), null, false));
            assertThat(c.sync()).as("8 tokens are allowed").isEmpty();
            c.send(publish(subjectOfTokens(9), new byte[1]));
            error(c.sync().getFirst(), ErrorCode.INVALID_SUBJECT, false);
            c.send(new Frame.Publish(0, true, MessageBody.of(subjectOfTokens(8), subjectOfTokens(9), Headers.EMPTY,
                    new byte[1])));
            assertThat(error(c.sync().getFirst(), ErrorCode.INVALID_SUBJECT, false).message()).contains("reply subject");

            c.send(publish(subjectOfTokens(8), new byte[] {8}));
            Frame.Message m = (Frame.Message) c.next();
            assertThat(m.subscriptionId()).isEqualTo(2);
            assertThat(m.body().subject()).isEqualTo(subjectOfTokens(8));
        }
        assertBystanderWorks();
    }

    @Test
    void tokensAreCountedExactly() {
        assertThat(SessionInbound.tooManyTokens("a.b.c", 3)).isFalse();
        assertThat(SessionInbound.tooManyTokens("a.b.c.d", 3)).isTrue();
        assertThat(SessionInbound.tooManyTokens("aaaaaaaaaaaaaaaa.b.c", 3)).isFalse();
        assertThat(SessionInbound.tooManyTokens(">", 1)).isFalse();
        assertThat(SessionInbound.tooManyTokens("a.>", 1)).isTrue();
    }

    // ---------------------------------------------------------------------------------------------
    // Subscriptions per session

    @Test
    void aSubscribeBeyondMaxSubscriptionsPerSessionIsNonFatal432AndTheCountFollowsUnsubscribes() throws Exception {
        start(b -> b.maxSubscriptionsPerSession(3));
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, "s.1", null, false), new Frame.Subscribe(2, "s.2", null, false),
                    new Frame.Subscribe(3, "s.3", null, false));
            assertThat(c.sync()).isEmpty();
            c.send(new Frame.Subscribe(4, "s.4", null, false));
            Frame.Error e = error(c.sync().getFirst(), ErrorCode.TOO_MANY_SUBSCRIPTIONS, false);
            assertThat(e.message()).contains("maxSubscriptionsPerSession").contains("3");
            // An id in use is still a duplicate, not a fourth subscription.
            c.send(new Frame.Subscribe(3, "s.3", null, false));
            error(c.sync().getFirst(), ErrorCode.DUPLICATE_SUBSCRIPTION, false);

            // 4 was not registered.
            c.send(publish("s.4", new byte[1]), publish("s.3", new byte[] {3}));
            assertThat(((Frame.Message) c.next()).subscriptionId()).isEqualTo(3);

            // An unsubscribe frees a place.
            c.send(new Frame.Unsubscribe(1, 0), new Frame.Subscribe(5, "s.5", null, false));
            assertThat(c.sync()).isEmpty();
            // So does a subscription that ends by reaching its message count.
            c.send(new Frame.Unsubscribe(2, 1), publish("s.2", new byte[] {2}));
            assertThat(((Frame.Message) c.next()).subscriptionId()).isEqualTo(2);
            c.send(new Frame.Subscribe(6, "s.6", null, false));
            assertThat(c.sync()).isEmpty();
            c.send(new Frame.Subscribe(7, "s.7", null, false));
            error(c.sync().getFirst(), ErrorCode.TOO_MANY_SUBSCRIPTIONS, false);
        }
        assertBystanderWorks();
    }

    @Test
    void aResumedSessionKeepsItsSubscriptionsAndTheirCount() throws Exception {
        start(b -> b.maxSubscriptionsPerSession(2));
        Frame.Welcome welcome;
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(Frame.Hello.anonymous(1, "resumer"));
            welcome = (Frame.Welcome) c.next();
            c.send(new Frame.Subscribe(1, "r.1", null, false), new Frame.Subscribe(2, "r.2", null, false));
            assertThat(c.sync()).isEmpty();
        } // dropped without a goodbye: the session is kept for a resume
        await().atMost(WAIT).until(() -> server.connectionCount() == 1);
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(new Frame.Hello(1, 1, "resumer", "", new byte[0],
                    welcome.resumeToken().encoded(), 0));
            assertThat(((Frame.Welcome) c.next()).resumed()).isTrue();
            c.send(new Frame.Subscribe(3, "r.3", null, false));
            error(c.sync().getFirst(), ErrorCode.TOO_MANY_SUBSCRIPTIONS, false);
            c.send(new Frame.Unsubscribe(1, 0), new Frame.Subscribe(4, "r.4", null, false));
            assertThat(c.sync()).isEmpty();
            c.send(publish("r.4", new byte[] {4}));
            assertThat(((Frame.Message) c.next()).subscriptionId()).isEqualTo(4);
        }
        assertBystanderWorks();
    }

    @Test
    void theJavaClientReportsA432ThroughItsListenerAsOther409sAre() throws Exception {
        start(b -> b.maxSubscriptionsPerSession(2));
        BlockingQueue<ConduitException> errors = new LinkedBlockingQueue<>();
        Client c = client(b -> b.listener(new ClientListener() {
            @Override
            public void onError(ConduitException error) {
                errors.add(error);
            }
        }));
        BlockingQueue<Message> got = new LinkedBlockingQueue<>();
        c.subscribe("j.1", got::add);
        c.subscribe("j.2", got::add);
        c.subscribe("j.3", got::add);
        c.flush(WAIT).join();
        ConduitException e = errors.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(e).isInstanceOf(ServerErrorException.class);
        assertThat(((ServerErrorException) e).errorCode()).isEqualTo(ErrorCode.TOO_MANY_SUBSCRIPTIONS);
        assertThat(((ServerErrorException) e).fatal()).isFalse();
        assertThat(e.retryable()).isFalse();
        // The client's session goes on with the two it has.
        c.publish("j.2", "two".getBytes(UTF_8));
        assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS).payloadAsString()).isEqualTo("two");
        assertBystanderWorks();
    }

    // ---------------------------------------------------------------------------------------------
    // Connections

    @Test
    void aConnectionOverMaxConnectionsIs433BeforeAnySessionAndTheCountDropsOnClose() throws Exception {
        start(b -> b.maxConnections(3)); // the bystander holds one
        try (RawFrameClient a = RawFrameClient.open(server.address()); RawFrameClient b = RawFrameClient.open(server.address())) {
            int sessions = server.sessionCount();
            try (RawFrameClient over = new RawFrameClient(server.address())) {
                Frame.Error e = fatalThenClosed(over, ErrorCode.TOO_MANY_CONNECTIONS);
                assertThat(e.message()).contains("3");
                assertThat(ErrorCode.TOO_MANY_CONNECTIONS.retryable()).isTrue();
            }
            assertThat(server.sessionCount()).isEqualTo(sessions);
            assertThat(server.connectionCount()).isEqualTo(3);
            assertBystanderWorks();
            assertThat(a.sync()).isEmpty();
        }
        await().atMost(WAIT).until(() -> server.connectionCount() == 1
                && ((RoutingServer) server).countedConnections() == 1);
        try (RawFrameClient again = RawFrameClient.open(server.address())) {
            assertThat(again.sync()).isEmpty();
        }
        assertBystanderWorks();
    }

    @Test
    void theJavaClientFailsToConnectWithTheRetryable433() {
        start(b -> b.maxConnections(1));
        assertThatThrownBy(() -> client(b -> b.retryInitialConnect(false)))
                .hasStackTraceContaining("433");
        assertBystanderWorks();
    }

    @Test
    void aConnectionOverMaxConnectionsPerAddressIs434AndOtherAddressesAreNotAffected() throws Exception {
        start(b -> b.maxConnectionsPerAddress(3)); // the bystander, from 127.0.0.1, holds one
        InetAddress other = InetAddress.getByName("127.0.0.2");
        try (RawFrameClient a = RawFrameClient.open(server.address()); RawFrameClient b = RawFrameClient.open(server.address())) {
            try (RawFrameClient over = new RawFrameClient(server.address())) {
                Frame.Error e = fatalThenClosed(over, ErrorCode.TOO_MANY_CONNECTIONS_FROM_ADDRESS);
                assertThat(e.message()).contains("127.0.0.1").contains("3");
            }
            try (RawFrameClient elsewhere = new RawFrameClient(server.address(), other)) {
                elsewhere.send(Frame.Hello.anonymous(1, "elsewhere"));
                assertThat(elsewhere.next()).isInstanceOf(Frame.Welcome.class);
            }
            assertBystanderWorks();
        }
        await().atMost(WAIT).until(() -> ((RoutingServer) server).countedConnections() == 1);
        try (RawFrameClient again = RawFrameClient.open(server.address())) {
            assertThat(again.sync()).isEmpty();
        }
        assertBystanderWorks();
    }

    // ---------------------------------------------------------------------------------------------
    // Rate

    @Test
    void overTheMessageRateTheSessionIsReadFromMoreSlowlyToldOnceAndNeverDisconnected() throws Exception {
        ManualClock clock = ManualClock.create();
        start(b -> b.clock(clock).heartbeatInterval(Duration.ZERO).maxMessagesPerSecond(100));
        BlockingQueue<Message> got = new LinkedBlockingQueue<>();
        bystander.subscribe("rate.x", got::add);
        bystander.flush(WAIT).join();
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            Frame[] burst = new Frame[110];
            Arrays.fill(burst, publish("rate.x", new byte[] {1}));
            c.send(burst);
            Frame.Error e = error(c.next(), ErrorCode.RATE_LIMITED, false);
            assertThat(e.message()).contains("100 messages/s").contains("maxMessagesPerSecond");

            // The 101st ran the bucket dry; it is processed, the rest wait. Time stands still here, so
            // the debt is never paid and nothing more is read: not the rest, not a PING.
            await().atMost(WAIT).until(() -> got.size() >= 101);
            c.send(new Frame.Ping(42));
            c.readTimeout(Duration.ofMillis(500));
            assertThatThrownBy(c::next).isInstanceOf(SocketTimeoutException.class);
            assertThat(got).hasSize(101);
            assertBystanderWorks();

            // Once the bucket has refilled, reading resumes where it stopped; nothing was dropped.
            clock.advance(Duration.ofSeconds(5));
            c.readTimeout(WAIT);
            assertThat(c.next()).isEqualTo(new Frame.Pong(42));
            await().atMost(WAIT).until(() -> got.size() == 110);

            // A new episode is told again, with one ERROR however many read batches it spans.
            Frame[] second = new Frame[300];
            Arrays.fill(second, publish("rate.x", new byte[] {2}));
            c.send(second);
            error(c.next(), ErrorCode.RATE_LIMITED, false);
            // Time goes on in steps of 10 messages' worth: each step lets 10 more through, and the
            // bucket never fills back to half, so the episode goes on through every suspension.
            await().atMost(WAIT).until(() -> {
                clock.advance(Duration.ofMillis(100));
                return got.size() == 410;
            });
            assertThat(c.sync()).as("no second 420 in the same episode").isEmpty();
            assertThat(server.connectionCount()).isEqualTo(2);
        }
        assertBystanderWorks();
    }

    @Test
    void overTheByteRateTheSessionIsSlowedAndTold() throws Exception {
        ManualClock clock = ManualClock.create();
        start(b -> b.clock(clock).heartbeatInterval(Duration.ZERO).maxBytesPerSecond(10_000));
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(publish("rate.y", new byte[20_000]));
            Frame.Error e = error(c.next(), ErrorCode.RATE_LIMITED, false);
            assertThat(e.message()).contains("10000 bytes/s").contains("maxBytesPerSecond");
            clock.advance(Duration.ofSeconds(5));
            assertThat(c.sync()).isEmpty();
        }
        assertBystanderWorks();
    }

    @Test
    void anInProcessClientOverTheRateIsSuspendedAndResumedAndLosesNothing() throws Exception {
        // In process, the timer that resumes reading must run although frames wait ahead of it.
        start(b -> b.maxMessagesPerSecond(100));
        BlockingQueue<Message> got = new LinkedBlockingQueue<>();
        bystander.subscribe("local.x", got::add);
        bystander.flush(WAIT).join();
        Client local = Client.connectLocal(server.localConnector());
        clients.add(local);
        for (int i = 0; i < 150; i++) {
            local.publish("local.x", new byte[] {(byte) i});
        }
        local.flush(WAIT).join();
        await().atMost(WAIT).until(() -> got.size() == 150);
        assertThat(local.requestAndWait("bystander.echo", "local".getBytes(UTF_8), WAIT).payloadAsString())
                .isEqualTo("local");
        assertBystanderWorks();
    }

    @Test
    void aSuspensionLongerThanTheHeartbeatDoesNotMakeTheServerTakeThePeerForDead() throws Exception {
        // Real time: one 30,000-byte publish at 10,000 bytes/s is 2 s of debt, twice the 1 s after
        // which a silent peer would be declared dead; the server is not reading it, so it must not count.
        start(b -> b.maxBytesPerSecond(10_000).heartbeatInterval(Duration.ofMillis(250)).heartbeatMisses(4));
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(publish("rate.z", new byte[10_000]), publish("rate.z", new byte[30_000]));
            error(c.next(), ErrorCode.RATE_LIMITED, false);
            // The server's PINGs meanwhile are answered by read(); the PONG to this one comes once
            // reading resumes, on the same connection.
            assertThat(c.sync()).isEmpty();
            assertThat(server.connectionCount()).isEqualTo(2);
        }
        assertBystanderWorks();
    }

    // ---------------------------------------------------------------------------------------------
    // Pending outbound bytes

    @Test
    void aSubscriberThatAcknowledgesNothingIsEndedWith429AtThePendingBound() throws Exception {
        start(b -> b.maxPayloadBytes(1024).maxHeaderBytes(1024).maxPendingBytesPerSession(64 << 10));
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, "flood", null, true));
            assertThat(c.sync()).isEmpty();
            Client publisher = client(b -> b);
            for (int i = 0; i < 200; i++) {
                publisher.publish("flood", new byte[1000]);
            }
            publisher.flush(WAIT).join();
            List<Frame> frames = c.readUntilClosed();
            assertThat(frames.subList(0, frames.size() - 1)).allMatch(f -> f instanceof Frame.Message)
                    .hasSizeBetween(60, 70);
            Frame.Error e = error(frames.getLast(), ErrorCode.SLOW_CONSUMER, true);
            assertThat(e.message()).contains(Integer.toString(64 << 10));
        }
        assertBystanderWorks();
    }

    // ---------------------------------------------------------------------------------------------
    // Handshake deadline

    @Test
    void aConnectionThatSendsNothingOrHalfAHelloIs408AtTheDeadline() throws Exception {
        start(b -> b.handshakeTimeout(Duration.ofMillis(500)));
        ByteBuffer hello = FrameCodec.encode(Frame.Hello.anonymous(1, "slow"));
        byte[] half = Arrays.copyOfRange(hello.array(), hello.arrayOffset(), hello.arrayOffset() + hello.remaining() / 2);
        try (RawFrameClient silent = new RawFrameClient(server.address());
             RawFrameClient halfway = new RawFrameClient(server.address())) {
            halfway.sendBytes(half);
            assertThat(fatalThenClosed(silent, ErrorCode.HANDSHAKE_TIMEOUT).message()).contains("500 ms");
            fatalThenClosed(halfway, ErrorCode.HANDSHAKE_TIMEOUT);
        }
        await().atMost(WAIT).until(() -> server.connectionCount() == 1);
        assertBystanderWorks();
    }
}

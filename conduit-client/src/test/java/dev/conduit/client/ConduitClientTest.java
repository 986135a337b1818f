package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.HeadersTooLargeException;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.PayloadTooLargeException;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.protocol.ProtocolVersion;
import dev.conduit.transport.Connector;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The client against a scripted server: what it sends, and what it does with what it receives. */
class ConduitClientTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ProtocolLimits SMALL = new ProtocolLimits(16, 32, 64);

    private static ClientOptions.Builder options() {
        return ClientOptions.builder().clientName("unit").initialConnectJitter(Duration.ZERO);
    }

    @Test
    void handshakeOffersEveryVersionWeSpeakAndAdoptsTheAnnouncedLimits() throws Exception {
        try (ScriptedServer server = new ScriptedServer(SMALL); Client client = server.connect(options())) {
            Frame.Hello hello = server.next(Frame.Hello.class);
            assertThat(hello.minVersion()).isEqualTo(ProtocolVersion.MIN);
            assertThat(hello.maxVersion()).isEqualTo(ProtocolVersion.MAX);
            assertThat(hello.clientName()).isEqualTo("unit");
            assertThat(client.state()).isEqualTo(ConnectionState.OPEN);
            assertThat(client.serverInfo().limits()).isEqualTo(SMALL);
            assertThat(client.serverInfo().serverId()).isEqualTo("scripted");
        }
    }

    @Test
    void sizesAreCheckedAgainstTheServersLimitsBeforeSending() {
        try (ScriptedServer server = new ScriptedServer(SMALL); Client client = server.connect(options())) {
            client.publish("ok", new byte[16]);
            assertThatThrownBy(() -> client.publish("ok", new byte[17]))
                    .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("17");
            assertThatThrownBy(() -> client.publish("ok", Headers.of("k", "v".repeat(40)), new byte[0]))
                    .isInstanceOf(HeadersTooLargeException.class);
            assertThatThrownBy(() -> client.publish("s".repeat(65), new byte[0]))
                    .isInstanceOf(ConduitException.class).hasMessageContaining("longer than 64 bytes");
        }
    }

    @Test
    void thePayloadIsCopiedSoTheCallerMayReuseItsArray() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            byte[] payload = {1, 2, 3};
            client.publish("copy", payload);
            payload[0] = 9;
            assertThat(server.next(Frame.Publish.class).body().payload()).containsExactly(1, 2, 3);
        }
    }

    @Test
    void aSlowHandlerLosesTheExcessAndTheListenerIsTold() throws Exception {
        AtomicLong dropped = new AtomicLong();
        ClientListener listener = new ClientListener() {
            @Override
            public void onSlowConsumer(Subscription subscription, long count) {
                dropped.addAndGet(count);
            }
        };
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT);
             Client client = server.connect(options().maxPendingMessagesPerSubscription(2).listener(listener))) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch first = new CountDownLatch(1);
            CopyOnWriteArrayList<String> handled = new CopyOnWriteArrayList<>();
            Subscription s = client.subscribe("slow", null, Delivery.LOSSY, m -> {
                first.countDown();
                release.await();
                handled.add(m.payloadAsString());
            });
            int sid = server.next(Frame.Subscribe.class).subscriptionId();
            server.send(message(sid, "slow", "0"));
            assertThat(first.await(30, TimeUnit.SECONDS)).isTrue();
            // The handler holds message 0; two more may wait; the other seven are dropped.
            for (int i = 1; i <= 9; i++) {
                server.send(message(sid, "slow", Integer.toString(i)));
            }
            client.flush(WAIT).get();
            await().atMost(WAIT).until(() -> dropped.get() == 7);
            release.countDown();
            await().atMost(WAIT).until(() -> s.delivered() == 3);
            assertThat(handled).containsExactly("0", "1", "2");
        }
    }

    @Test
    void aReliableSubscriptionAsksForItsCreditAndReportsWhatItsHandlerTook() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT);
             Client client = server.connect(options().maxPendingMessagesPerSubscription(4)
                     .maxPendingBytesPerSubscription(1000))) {
            CopyOnWriteArrayList<String> handled = new CopyOnWriteArrayList<>();
            client.subscribe("r", m -> handled.add(m.payloadAsString()));
            Frame.Subscribe sub = server.next(Frame.Subscribe.class);
            assertThat(sub.reliable()).isTrue();
            assertThat(sub.creditMessages()).isEqualTo(4);
            assertThat(sub.creditBytes()).isEqualTo(1000);
            for (int i = 0; i < 4; i++) {
                server.send(message(sub.subscriptionId(), "r", "m" + i));
            }
            await().atMost(WAIT).until(() -> handled.size() == 4);
            // Reported once half the window is taken, or when the queue runs empty: totals that only
            // grow, with bytes matching messages (2-byte payloads), up to all four.
            long lastTotal = 0;
            while (lastTotal < 4) {
                Frame.Credit c = server.next(Frame.Credit.class);
                assertThat(c.subscriptionId()).isEqualTo(sub.subscriptionId());
                assertThat(c.consumedMessages()).isGreaterThan(lastTotal).isLessThanOrEqualTo(4);
                assertThat(c.consumedBytes()).isEqualTo(2 * c.consumedMessages());
                lastTotal = c.consumedMessages();
            }
            assertThat(handled).containsExactly("m0", "m1", "m2", "m3");
        }
    }

    @Test
    void aHandlerThatThrowsIsReportedAndTheSubscriptionGoesOn() throws Exception {
        CopyOnWriteArrayList<Throwable> failures = new CopyOnWriteArrayList<>();
        ClientListener listener = new ClientListener() {
            @Override
            public void onHandlerFailure(Subscription subscription, Throwable failure) {
                failures.add(failure);
            }
        };
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT);
             Client client = server.connect(options().listener(listener))) {
            CopyOnWriteArrayList<String> handled = new CopyOnWriteArrayList<>();
            client.subscribe("boom", m -> {
                handled.add(m.payloadAsString());
                if (m.payloadAsString().equals("1")) {
                    throw new IllegalStateException("handler bug");
                }
            });
            int sid = server.next(Frame.Subscribe.class).subscriptionId();
            for (int i = 0; i < 3; i++) {
                server.send(message(sid, "boom", Integer.toString(i)));
            }
            await().atMost(WAIT).until(() -> handled.size() == 3);
            await().atMost(WAIT).until(() -> failures.size() == 1);
            assertThat(failures.get(0)).hasMessage("handler bug");
        }
    }

    @Test
    void unsubscribeAfterSendsTheTotalCountedFromTheStart() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            CountDownLatch two = new CountDownLatch(2);
            Subscription s = client.subscribe("n", m -> two.countDown());
            int sid = server.next(Frame.Subscribe.class).subscriptionId();
            server.send(message(sid, "n", "a"));
            server.send(message(sid, "n", "b"));
            assertThat(two.await(30, TimeUnit.SECONDS)).isTrue();
            s.unsubscribeAfter(3);
            Frame.Unsubscribe u = server.next(Frame.Unsubscribe.class);
            assertThat(u.subscriptionId()).isEqualTo(sid);
            assertThat(u.afterMessages()).isEqualTo(5);
            for (int i = 0; i < 5; i++) {
                server.send(message(sid, "n", "x"));
            }
            client.flush(WAIT).get();
            await().atMost(WAIT).until(() -> s.delivered() == 5);
            assertThat(s.isActive()).isFalse();
            assertThatThrownBy(() -> s.unsubscribeAfter(0)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(": 0");
        }
    }

    @Test
    void aFatalServerErrorDropsTheConnectionAndAnUnresumedSessionFailsWhatWasInFlight() throws Exception {
        CopyOnWriteArrayList<ConduitException> errors = new CopyOnWriteArrayList<>();
        CompletableFuture<SessionLost> lost = new CompletableFuture<>();
        ClientListener listener = new ClientListener() {
            @Override
            public void onError(ConduitException error) {
                errors.add(error);
            }

            @Override
            public void onSessionLost(SessionLost event) {
                lost.complete(event);
            }
        };
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT);
             Client client = server.connect(options().listener(listener)
                     .reconnectBackoff(Duration.ZERO, Duration.ZERO))) {
            CompletableFuture<Message> reply = client.request("svc", new byte[0], Duration.ofHours(1));
            server.next(Frame.Publish.class);
            server.send(new Frame.Error(ErrorCode.INTERNAL_ERROR, true, "disk on fire"));
            // The scripted server never resumes: the client reconnects into a new session.
            assertThatThrownBy(() -> reply.get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(SessionLostException.class);
            assertThat(lost.get(30, TimeUnit.SECONDS).failedRequests()).isEqualTo(1);
            await().atMost(WAIT).until(() -> client.state() == ConnectionState.OPEN);
            assertThat(errors).anySatisfy(e -> assertThat(e).isInstanceOf(ServerErrorException.class)
                    .hasMessageContaining("disk on fire"));
            // The inbox subscription was made again in the new session.
            assertThat(server.next(Frame.Subscribe.class).pattern()).startsWith("_INBOX.");
        }
    }

    @Test
    void aRefusedHandshakeFailsTheConnectWithTheServersMessage() {
        InMemoryRefusal refusal = new InMemoryRefusal(ErrorCode.UNSUPPORTED_VERSION);
        assertThatThrownBy(() -> Client.connect(options().connectTimeout(WAIT).build(), refusal.connector()))
                .isInstanceOf(ConnectFailedException.class)
                .hasMessageContaining("unsupported version");
    }

    @Test
    void aRetryableRefusalFallsThroughToTheNextEndpoint() throws Exception {
        Connector refusing = new InMemoryRefusal(ErrorCode.SERVER_SHUTTING_DOWN).connector();
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT)) {
            Connector working = server.connector();
            Connector byPort = (endpoint, timeout, factory) ->
                    (endpoint.port() == 1 ? refusing : working).connect(endpoint, timeout, factory);
            ClientOptions o = options().endpoints("tcp://first:1", "tcp://second:2").connectTimeout(WAIT).build();
            try (Client client = Client.connect(o, byPort)) {
                assertThat(client.state()).isEqualTo(ConnectionState.OPEN);
                assertThat(client.serverInfo().serverId()).isEqualTo("scripted");
                client.publish("after.failover", new byte[] {1});
                assertThat(server.next(Frame.Publish.class).body().subject()).isEqualTo("after.failover");
            }
        }
    }

    @Test
    void optionsRejectBadValuesWithTheValue() {
        assertThatThrownBy(() -> ClientOptions.builder().connectTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0S");
        assertThatThrownBy(() -> ClientOptions.builder().maxPendingMessagesPerSubscription(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(": 0");
        assertThatThrownBy(() -> ClientOptions.builder().endpoints("udp://x:1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("udp");
    }

    private static Frame.Message message(int sid, String subject, String payload) {
        return new Frame.Message(0, sid, MessageBody.of(subject, null, Headers.EMPTY,
                payload.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}

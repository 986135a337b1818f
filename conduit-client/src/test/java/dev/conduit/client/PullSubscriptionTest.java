package dev.conduit.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Subscription.next: pull-style receive within the same credit model as a handler. */
class PullSubscriptionTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static ClientOptions.Builder options() {
        return ClientOptions.builder().clientName("unit").initialConnectJitter(Duration.ZERO);
    }

    private static Frame.Message message(int sid, String payload) {
        return new Frame.Message(0, sid, MessageBody.of("p", null, Headers.EMPTY, payload.getBytes(UTF_8)));
    }

    /**
     * Returns once what the scripted server sent so far has reached the client: the ACK of this
     * publish comes after it on the same connection (a flush alone may complete without a round trip).
     */
    private static void arrived(Client client) throws Exception {
        client.publish("sync", new byte[0]);
        client.flush(WAIT).get();
    }

    @Test
    void messagesWaitUntilPulledAndOnlyAPulledMessageOpensTheCreditAgain() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT);
             Client client = server.connect(options().maxPendingMessagesPerSubscription(4)
                     .maxPendingBytesPerSubscription(1000))) {
            Subscription s = client.subscribe("p");
            Frame.Subscribe sub = server.next(Frame.Subscribe.class);
            assertThat(sub.reliable()).isTrue();
            assertThat(sub.creditMessages()).isEqualTo(4);
            for (int i = 0; i < 4; i++) {
                server.send(message(sub.subscriptionId(), "m" + i));
            }
            arrived(client);
            assertThat(server.received).noneMatch(f -> f instanceof Frame.Credit);
            assertThat(s.delivered()).isZero();

            assertThat(s.next(WAIT).payloadAsString()).isEqualTo("m0");
            assertThat(s.next(WAIT).payloadAsString()).isEqualTo("m1");
            // Half the window (2 of 4) taken: reported.
            Frame.Credit credit = server.next(Frame.Credit.class);
            assertThat(credit.subscriptionId()).isEqualTo(sub.subscriptionId());
            assertThat(credit.consumedMessages()).isEqualTo(2);
            assertThat(credit.consumedBytes()).isEqualTo(4);
            assertThat(s.next(WAIT).payloadAsString()).isEqualTo("m2");
            assertThat(s.next(WAIT).payloadAsString()).isEqualTo("m3");
            assertThat(server.next(Frame.Credit.class).consumedMessages()).isEqualTo(4);
            assertThat(s.delivered()).isEqualTo(4);
            // Nothing left: a zero timeout does not wait.
            assertThat(s.next(Duration.ZERO)).isNull();
        }
    }

    @Test
    void aWaitingCallerGetsTheNextMessageWhenItArrives() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            Subscription s = client.subscribe("p", "workers", Delivery.RELIABLE);
            Frame.Subscribe sub = server.next(Frame.Subscribe.class);
            assertThat(sub.queueGroup()).isEqualTo("workers");
            CompletableFuture<Message> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return s.next(Duration.ofHours(1));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            server.send(message(sub.subscriptionId(), "late"));
            assertThat(waiting.get(30, TimeUnit.SECONDS).payloadAsString()).isEqualTo("late");
        }
    }

    @Test
    void afterUnsubscribeWhatArrivedIsStillReturnedThenNullWithoutWaiting() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            Subscription s = client.subscribe("p");
            int sid = server.next(Frame.Subscribe.class).subscriptionId();
            server.send(message(sid, "kept"));
            arrived(client);
            CompletableFuture<Message> blocked = new CompletableFuture<>();
            s.unsubscribe();
            assertThat(s.next(Duration.ofHours(1)).payloadAsString()).isEqualTo("kept");
            // An hour's timeout, yet it returns: the subscription is over and nothing is left.
            Thread.ofVirtual().start(() -> {
                try {
                    blocked.complete(s.next(Duration.ofHours(1)));
                } catch (InterruptedException e) {
                    blocked.completeExceptionally(e);
                }
            });
            assertThat(blocked.get(30, TimeUnit.SECONDS)).isNull();
            assertThat(s.next(Duration.ofHours(1))).isNull();
        }
    }

    @Test
    void aCallerBlockedBeforeTheEndIsWokenByIt() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            Subscription s = client.subscribe("p");
            server.next(Frame.Subscribe.class);
            CompletableFuture<Message> blocked = new CompletableFuture<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    blocked.complete(s.next(Duration.ofHours(1)));
                } catch (InterruptedException e) {
                    blocked.completeExceptionally(e);
                }
            });
            // Whether or not it is already waiting, the end must release it with null.
            client.close();
            assertThat(blocked.get(30, TimeUnit.SECONDS)).isNull();
            t.join();
        }
    }

    @Test
    void aLossyPullSubscriptionKeepsItsBoundAndDropsTheRest() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT);
             Client client = server.connect(options().maxPendingMessagesPerSubscription(2))) {
            Subscription s = client.subscribe("p", null, Delivery.LOSSY);
            int sid = server.next(Frame.Subscribe.class).subscriptionId();
            for (int i = 0; i < 5; i++) {
                server.send(message(sid, "m" + i));
            }
            arrived(client);
            assertThat(s.next(WAIT).payloadAsString()).isEqualTo("m0");
            assertThat(s.next(WAIT).payloadAsString()).isEqualTo("m1");
            assertThat(s.next(Duration.ZERO)).isNull();
        }
    }

    @Test
    void nextOnAHandlerSubscriptionIsRefused() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            Subscription s = client.subscribe("h", m -> { });
            assertThatThrownBy(() -> s.next(Duration.ZERO)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("has a handler");
        }
    }
}

package dev.conduit.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.BufferFullException;
import dev.conduit.client.BufferFullPolicy;
import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ConnectionState;
import dev.conduit.client.NoRespondersException;
import dev.conduit.client.PublishExpiredException;
import dev.conduit.client.SessionLost;
import dev.conduit.protocol.Headers;
import dev.conduit.testkit.FaultProxy;
import dev.conduit.testkit.ManualClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the application sees when a bound of the guarantee is hit. */
class SessionBoundsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aSessionNotResumedWithinTheWindowIsReapedAndTheClientToldItWasLost() throws Exception {
        ManualClock serverClock = ManualClock.create();
        try (TestServer ts = TestServer.start(b -> b.clock(serverClock).resumeWindow(Duration.ofMinutes(2)));
             FaultProxy proxy = FaultProxy.start(ts.server.address())) {
            CompletableFuture<SessionLost> lost = new CompletableFuture<>();
            Client client = ts.client(b -> b.endpoints(proxy.endpoint())
                    .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(20))
                    .listener(new ClientListener() {
                        @Override
                        public void onSessionLost(SessionLost event) {
                            lost.complete(event);
                        }
                    }));
            client.subscribe("kept", m -> { });
            client.flush(WAIT).get();
            proxy.refuse(true);
            proxy.cutAll();
            await().atMost(WAIT).until(() -> ts.server.connectionCount() == 0);
            assertThat(ts.server.sessionCount()).as("detached, within the window").isEqualTo(1);
            serverClock.advance(Duration.ofMinutes(2).minusMillis(1));
            assertThat(ts.server.sessionCount()).isEqualTo(1);
            serverClock.advance(Duration.ofMillis(1));
            await().atMost(WAIT).until(() -> ts.server.sessionCount() == 0);
            // Its subscriptions went with it: nothing listens on "kept" any more.
            Client other = ts.client();
            assertThatThrownBy(() -> other.requestAndWait("kept", new byte[0], WAIT))
                    .isInstanceOf(NoRespondersException.class);
            proxy.refuse(false);
            assertThat(lost.get(30, TimeUnit.SECONDS).reason()).contains("the session is unknown, has ended");
            await().atMost(WAIT).until(() -> client.state() == ConnectionState.OPEN && ts.server.sessionCount() == 2);
        }
    }

    @Test
    void whileDisconnectedTheBufferIsBoundedAndStaleMessagesExpire() throws Exception {
        ManualClock clientClock = ManualClock.create();
        try (TestServer ts = TestServer.start(); FaultProxy proxy = FaultProxy.start(ts.server.address())) {
            Client client = ts.client(b -> b.endpoints(proxy.endpoint()).clock(clientClock)
                    .maxBufferedBytes(64 << 10).bufferFull(BufferFullPolicy.THROW, Duration.ZERO)
                    .reconnectBackoff(Duration.ofSeconds(1), Duration.ofSeconds(1)));
            client.flush(WAIT).get();
            proxy.refuse(true);
            proxy.cutAll();
            await().atMost(WAIT).until(() -> client.state() == ConnectionState.RESUMING);

            CompletableFuture<Void> stale = client.publishConfirmed("ticks", Headers.EMPTY, new byte[100], Duration.ofMillis(500));
            CompletableFuture<Void> durable = client.publishConfirmed("ticks", Headers.EMPTY, new byte[100], null);
            assertThatThrownBy(() -> {
                for (int i = 0; i < 10_000; i++) {
                    client.publish("ticks", new byte[1000]);
                }
            }).isInstanceOf(BufferFullException.class).hasMessageContaining("buffer full");

            clientClock.advance(Duration.ofMillis(500));
            assertThatThrownBy(() -> stale.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(PublishExpiredException.class);
            assertThat(durable).isNotDone();

            proxy.refuse(false);
            // Time moves on until the backoff lets an attempt through; then the buffer drains.
            await().atMost(WAIT).until(() -> {
                clientClock.advance(Duration.ofSeconds(1));
                return durable.isDone();
            });
            durable.get(30, TimeUnit.SECONDS);
            assertThat(client.state()).isEqualTo(ConnectionState.OPEN);
        }
    }
}

package dev.conduit.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ConnectFailedException;
import dev.conduit.client.ConnectionClosedException;
import dev.conduit.client.ConnectionState;
import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.Frame;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import dev.conduit.testkit.RawFrameClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Stopping a server: clients are told, what was queued is delivered, nothing new is accepted. */
class GracefulStopTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void stopDeliversWhatWasQueuedTellsClientsAndRefusesNewConnections() throws Exception {
        Server server = Server.create(ServerConfig.builder().port(0).drainTimeout(Duration.ofSeconds(10)).build()).start();
        String url = "tcp://127.0.0.1:" + server.address().getPort();
        CopyOnWriteArrayList<ConduitException> errors = new CopyOnWriteArrayList<>();
        CopyOnWriteArrayList<ConnectionState> states = new CopyOnWriteArrayList<>();
        ClientListener listener = new ClientListener() {
            @Override
            public void onStateChange(ConnectionState from, ConnectionState to) {
                states.add(to);
            }

            @Override
            public void onError(ConduitException error) {
                errors.add(error);
            }
        };
        // One reconnect attempt each: the server is gone for good, so the clients end up CLOSED.
        java.util.function.Supplier<dev.conduit.client.ClientOptions.Builder> options = () -> dev.conduit.client.ClientOptions
                .builder().endpoints(url).initialConnectJitter(Duration.ZERO).maxReconnectAttempts(1)
                .reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(10));
        try (Client sub = Client.connect(options.get().listener(listener).build());
             Client pub = Client.connect(options.get().build())) {
            AtomicInteger received = new AtomicInteger();
            sub.subscribe("drain.>", m -> received.incrementAndGet());
            sub.flush(WAIT).get();
            for (int i = 0; i < 10_000; i++) {
                pub.publish("drain.x", new byte[64]);
            }
            pub.flush(WAIT).get();

            server.stop().get(30, TimeUnit.SECONDS);

            await().atMost(WAIT).until(() -> received.get() == 10_000);
            await().atMost(WAIT).until(() -> sub.state() == ConnectionState.CLOSED && pub.state() == ConnectionState.CLOSED);
            assertThat(states).containsSubsequence(ConnectionState.OPEN, ConnectionState.RESUMING, ConnectionState.CLOSED);
            assertThat(server.connectionCount()).isZero();
            assertThatThrownBy(() -> pub.publish("drain.x", new byte[1])).isInstanceOf(ConnectionClosedException.class);
            assertThatThrownBy(() -> Client.connect(options.get().build())).isInstanceOf(ConnectFailedException.class);
        }
    }

    @Test
    void clientCloseWaitsForInFlightRequests() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client responder = ts.client();
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            responder.subscribe("svc.slow", m -> {
                release.await();
                m.reply(new byte[] {42});
            });
            responder.flush(WAIT).get();
            Client requester = ts.client();
            var reply = requester.request("svc.slow", new byte[0], WAIT);
            Thread closer = Thread.ofVirtual().start(requester::close);
            await().atMost(WAIT).until(() -> requester.state() == ConnectionState.DRAINING);
            release.countDown();
            closer.join(30_000);
            assertThat(reply.get(1, TimeUnit.SECONDS).payload()).containsExactly(42);
            assertThat(requester.state()).isEqualTo(ConnectionState.CLOSED);
        }
    }

    /**
     * Closing a socket whose peer's bytes are still unread makes the kernel send a reset, and the
     * reset makes the peer's kernel discard what it had received but not yet read. So the server
     * must keep reading until the peer closes: here the peer never stops sending, and still every
     * message queued before the GOAWAY, and the GOAWAY, reach it, followed by a clean end of stream.
     */
    @Test
    void whatWasQueuedBeforeGoawayArrivesWhileThePeerKeepsSending() throws Exception {
        // The drain deadline is only an upper bound here (the peer never stops, so the server ends
        // the drain at it): generous, so that a loaded machine reads all of the burst before it.
        int count = 5_000;
        try (TestServer ts = TestServer.start(b -> b.drainTimeout(Duration.ofSeconds(30)));
             RawFrameClient raw = RawFrameClient.open(ts.server.address())) {
            raw.send(new Frame.Subscribe(1, "burst", null));
            raw.send(new Frame.Ping(1));
            assertThat(raw.read()).isEqualTo(new Frame.Pong(1));
            java.util.concurrent.atomic.AtomicBoolean stopSending = new java.util.concurrent.atomic.AtomicBoolean();
            Thread chatter = Thread.ofPlatform().name("chatter").start(() -> {
                try {
                    for (int i = 0; i < 5_000_000 && !stopSending.get(); i++) {
                        raw.send(new Frame.Ping(7));
                    }
                } catch (java.io.IOException e) {
                    // the server closed: nothing more to say
                }
            });
            Client pub = ts.client();
            for (int i = 0; i < count; i++) {
                pub.publish("burst", new byte[256]);
            }
            pub.flush(WAIT).get();
            CompletableFuture<Void> stopped = ts.server.stop();
            int messages = 0;
            boolean goAway = false;
            for (Frame f = raw.readAny(); f != null; f = raw.readAny()) {
                if (f instanceof Frame.Message) {
                    assertThat(goAway).as("a message after GOAWAY").isFalse();
                    messages++;
                } else if (f instanceof Frame.GoAway) {
                    goAway = true;
                }
            }
            stopSending.set(true);
            chatter.join(30_000);
            raw.close();
            stopped.get(60, TimeUnit.SECONDS);
            assertThat(messages).isEqualTo(count);
            assertThat(goAway).isTrue();
        }
    }
}

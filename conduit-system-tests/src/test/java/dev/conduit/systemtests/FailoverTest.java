package dev.conduit.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.ConnectionState;
import dev.conduit.client.SessionLost;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import dev.conduit.testkit.FaultProxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Servers that restart or stop: clients are told what was lost, subscribe again and carry on. */
class FailoverTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static final class LostWatcher implements ClientListener {
        final CompletableFuture<SessionLost> lost = new CompletableFuture<>();

        @Override
        public void onSessionLost(SessionLost event) {
            lost.complete(event);
        }
    }

    private static ClientOptions.Builder fast(String... endpoints) {
        return ClientOptions.builder().endpoints(endpoints).initialConnectJitter(Duration.ZERO)
                .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50));
    }

    @Test
    void aServerKilledAndRestartedLosesTheSessionAndClientsSubscribeAgain() throws Exception {
        Server first = Server.create(ServerConfig.builder().port(0).build()).start();
        int port = first.address().getPort();
        Server second = null;
        try (FaultProxy proxy = FaultProxy.start(first.address())) {
            LostWatcher watcher = new LostWatcher();
            AtomicInteger got = new AtomicInteger();
            try (Client sub = Client.connect(fast(proxy.endpoint()).listener(watcher).build())) {
                sub.subscribe("after.restart", m -> got.incrementAndGet());
                sub.publish("unconfirmed.maybe", new byte[] {1});
                sub.flush(WAIT).get();

                // Killed: the connection resets and nothing answers until the new server is up.
                proxy.refuse(true);
                proxy.cutAll();
                first.close();
                await().atMost(WAIT).until(() -> sub.state() == ConnectionState.RESUMING);
                second = Server.create(ServerConfig.builder().port(port).httpPort(0).build()).start();
                proxy.refuse(false);

                SessionLost lost = watcher.lost.get(30, TimeUnit.SECONDS);
                assertThat(lost.reason()).contains("restarted");
                await().atMost(WAIT).until(() -> sub.state() == ConnectionState.OPEN);
                sub.flush(WAIT).get();
                try (Client pub = Client.connect(fast("tcp://127.0.0.1:" + port).build())) {
                    pub.publish("after.restart", new byte[] {2});
                    pub.flush(WAIT).get();
                }
                await().atMost(WAIT).until(() -> got.get() == 1);
            }
        } finally {
            first.close();
            if (second != null) {
                second.close();
            }
        }
    }

    @Test
    void whenAServerStopsClientsMoveToTheOtherEndpoint() throws Exception {
        try (Server a = Server.create(ServerConfig.builder().port(0).build()).start();
             Server b = Server.create(ServerConfig.builder().port(0).build()).start()) {
            String urlA = "tcp://127.0.0.1:" + a.address().getPort();
            String urlB = "tcp://127.0.0.1:" + b.address().getPort();
            LostWatcher watcher = new LostWatcher();
            AtomicInteger got = new AtomicInteger();
            try (Client sub = Client.connect(fast(urlA, urlB).listener(watcher).build());
                 Client pub = Client.connect(fast(urlB).build())) {
                assertThat(sub.serverInfo().serverId()).isEqualTo(a.serverId());
                sub.subscribe("moved", m -> got.incrementAndGet());
                sub.flush(WAIT).get();
                a.stop().get(30, TimeUnit.SECONDS);
                watcher.lost.get(30, TimeUnit.SECONDS);
                await().atMost(WAIT).until(() -> sub.state() == ConnectionState.OPEN
                        && sub.serverInfo().serverId().equals(b.serverId()));
                sub.flush(WAIT).get();
                pub.publish("moved", new byte[] {1});
                pub.flush(WAIT).get();
                await().atMost(WAIT).until(() -> got.get() == 1);
            }
        }
    }

    @Test
    void aStoppingServerCanNameWhereToGoInItsGoaway() throws Exception {
        try (Server b = Server.create(ServerConfig.builder().port(0).build()).start()) {
            String urlB = "tcp://127.0.0.1:" + b.address().getPort();
            try (Server a = Server.create(ServerConfig.builder().port(0).alternates(List.of(urlB)).build()).start();
                 Client sub = Client.connect(fast("tcp://127.0.0.1:" + a.address().getPort()).build())) {
                a.stop().get(30, TimeUnit.SECONDS);
                await().atMost(WAIT).until(() -> sub.state() == ConnectionState.OPEN
                        && sub.serverInfo().serverId().equals(b.serverId()));
            }
        }
    }
}

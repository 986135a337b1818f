package dev.conduit.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.SessionLost;
import dev.conduit.client.ConnectFailedException;
import dev.conduit.client.ConnectionState;
import dev.conduit.client.Message;
import dev.conduit.server.Server;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension as its users see it, registered on a static field with a configurer. */
class ConduitServerExtensionTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final ConduitServerExtension server = ConduitServerExtension.create(b -> b.maxPayloadBytes(4096));

    @Test
    void runsAServerOnLoopbackWithTheConfigurationApplied() {
        assertThat(server.endpoint()).isEqualTo("tcp://127.0.0.1:" + server.port());
        assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();

        Client client = server.connect();

        assertThat(client.serverInfo().serverId()).isEqualTo(server.server().serverId());
        assertThat(client.serverInfo().limits().maxPayloadBytes()).isEqualTo(4096);
    }

    @Test
    void clientsPublishAndSubscribeThroughIt() throws Exception {
        Client subscriber = server.connect();
        Client publisher = server.connect();
        CompletableFuture<Message> received = new CompletableFuture<>();
        subscriber.subscribe("greetings.*", received::complete);
        subscriber.flush(WAIT).get();

        publisher.publish("greetings.world", "hello".getBytes(UTF_8));

        Message m = received.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(m.subject()).isEqualTo("greetings.world");
        assertThat(m.payloadAsString()).isEqualTo("hello");
    }

    @Test
    void tcpAndInProcessClientsReachEachOther() {
        Client local = server.connectLocal();
        local.subscribe("svc.echo", m -> m.reply(m.payload()));
        local.flush(WAIT).join();

        Message reply = server.connect().requestAndWait("svc.echo", "ping".getBytes(UTF_8), WAIT);

        assertThat(reply.payloadAsString()).isEqualTo("ping");
    }

    @Test
    void restartStartsANewServerOnTheSamePort() throws Exception {
        Server before = server.server();
        int port = server.port();
        List<SessionLost> lost = new CopyOnWriteArrayList<>();
        Client old = server.connect(b -> b.reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50))
                .listener(new ClientListener() {
                    @Override
                    public void onSessionLost(SessionLost event) {
                        lost.add(event);
                    }
                }));

        Server after = server.restart();

        assertThat(after).isSameAs(server.server()).isNotSameAs(before);
        assertThat(after.serverId()).isNotEqualTo(before.serverId());
        assertThat(server.port()).isEqualTo(port);
        // The old client reconnects on its own and is told that its session did not survive.
        await().atMost(WAIT).until(() -> lost.size() == 1 && old.state() == ConnectionState.OPEN);
        assertThat(old.serverInfo().serverId()).isEqualTo(after.serverId());
        Client fresh = server.connect();
        assertThat(fresh.serverInfo().serverId()).isEqualTo(after.serverId());
        fresh.flush(WAIT).get();
    }

    @Test
    void stopTakesTheServerAwayAndStartBringsItBackOnTheSamePort() {
        int port = server.port();
        Client client = server.connect(b -> b.reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50)));

        server.stop();

        assertThatThrownBy(server::server).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("stopped");
        await().atMost(WAIT).until(() -> client.state() == ConnectionState.RESUMING);
        assertThatThrownBy(() -> Client.connect(ClientOptions.builder().endpoints("tcp://127.0.0.1:" + port)
                .initialConnectJitter(Duration.ZERO).build())).isInstanceOf(ConnectFailedException.class);

        server.start();

        assertThat(server.port()).isEqualTo(port);
        assertThat(server.connect().state()).isEqualTo(ConnectionState.OPEN);
        await().atMost(WAIT).until(() -> client.state() == ConnectionState.OPEN);
    }
}

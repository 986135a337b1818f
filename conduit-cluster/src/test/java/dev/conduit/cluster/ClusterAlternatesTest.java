package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.ConnectionState;
import dev.conduit.protocol.Frame;
import dev.conduit.server.ClusterConfig;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import dev.conduit.testkit.RawFrameClient;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 14: a node names the cluster's other live nodes (their {@code cluster.advertise} URLs) in
 * WELCOME and in the GOAWAY of its stop, and a client given one node only reaches another when
 * that one stops, and its session moves there (ClusterSessionMoveTest checks what the move keeps).
 */
@Timeout(90)
class ClusterAlternatesTest {
    @AutoClose
    private static RedisProcess redis;

    private final List<Server> servers = new ArrayList<>();
    private final List<String> urls = new ArrayList<>();

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
    }

    @Test
    void welcomeAndGoAwayNameTheOtherNodesAndAClientOfOneNodeMovesToAnother() throws Exception {
        startNodes(3);
        // Node 1 knows the other two once it has read their presence (on their join hints, or within a second).
        await().atMost(Duration.ofSeconds(10)).until(() -> otherNodes(1) == 2);
        try (Client client = Client.connect(ClientOptions.builder().endpoints(urls.get(0))
                     .initialConnectJitter(Duration.ZERO).reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
                     .drainTimeout(Duration.ofSeconds(1)).build());
             RawFrameClient raw = new RawFrameClient(servers.get(0).address())) {
            raw.send(Frame.Hello.anonymous(1, "alternates"));
            Frame.Welcome welcome = (Frame.Welcome) raw.read();
            assertThat(welcome.alternates()).as("node 1 names nodes 2 and 3, not itself")
                    .containsExactlyInAnyOrder(urls.get(1), urls.get(2));
            assertThat(client.serverInfo().serverId()).isEqualTo(servers.get(0).serverId());

            CompletableFuture<Void> stopped = servers.get(0).stop();
            List<Frame> last = raw.readUntilClosed();
            assertThat(last).filteredOn(f -> f instanceof Frame.GoAway).singleElement()
                    .satisfies(f -> assertThat(((Frame.GoAway) f).alternates()).as("the GOAWAY of the stop")
                            .containsExactlyInAnyOrder(urls.get(1), urls.get(2)));

            // Configured with node 1 alone, the client reconnects to node 2 or 3, which it learned from node 1.
            List<String> others = List.of(servers.get(1).serverId(), servers.get(2).serverId());
            await().atMost(Duration.ofSeconds(20)).until(() -> client.state() == ConnectionState.OPEN
                    && others.contains(client.serverInfo().serverId()));
            stopped.join();
        } finally {
            servers.forEach(Server::close);
        }
    }

    @Test
    void aNodeWithNoOtherNodeNamesNone() throws Exception {
        startNodes(1);
        try (RawFrameClient raw = new RawFrameClient(servers.get(0).address())) {
            raw.send(Frame.Hello.anonymous(1, "alone"));
            assertThat(((Frame.Welcome) raw.read()).alternates()).isEmpty();
            servers.get(0).stop();
            assertThat(raw.readUntilClosed()).filteredOn(f -> f instanceof Frame.GoAway).singleElement()
                    .satisfies(f -> assertThat(((Frame.GoAway) f).alternates()).isEmpty());
        } finally {
            servers.forEach(Server::close);
        }
    }

    /** Nodes {@code n1 ...} on free ports of 127.0.0.1, each advertising its own URL. */
    private void startNodes(int count) throws IOException {
        for (int i = 1; i <= count; i++) {
            int port;
            try (ServerSocket probe = new ServerSocket(0)) {
                port = probe.getLocalPort();
            }
            String url = "tcp://127.0.0.1:" + port;
            urls.add(url);
            servers.add(Server.create(ServerConfig.builder().port(port).httpPort(-1)
                    .drainTimeout(Duration.ofSeconds(2))
                    .cluster(new ClusterConfig(URI.create(redis.uri()), "n" + i, url)).build()).start());
        }
    }

    /** How many other live nodes node {@code i} knows. */
    private double otherNodes(int i) {
        Gauge g = servers.get(i - 1).meterRegistry().find("conduit.cluster.nodes").gauge();
        return g == null ? -1 : g.value();
    }
}

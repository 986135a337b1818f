package dev.conduit.zeromq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * ZeroMQ peers count against {@code maxConnectionsPerAddress} like the server's other connections:
 * one over the limit is refused in its ZMTP handshake (through ZAP) and gets nothing through, and
 * so is a Conduit TCP client from the same address; a peer that goes away frees its place. The
 * peers show in {@code $SYS.stats} (as {@code zeromq}) and on {@code /metrics}.
 */
class ZmqConnectionLimitTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static void echo(ZMQ.Socket req, String text) {
        req.sendMore("svc.echo");
        req.send(text);
        assertThat(List.of(req.recvStr(), req.recvStr())).containsExactly("OK", text);
    }

    private static Client tcpClient(Server server) {
        return Client.connect(ClientOptions.builder().endpoints("tcp://127.0.0.1:" + server.address().getPort())
                .initialConnectJitter(Duration.ZERO).connectTimeout(Duration.ofSeconds(10)).retryInitialConnect(false).build());
    }

    @Test
    void peersOverTheLimitPerAddressAreRefusedUntilAPlaceIsFree() throws Exception {
        ServerConfig config = ServerConfig.builder().host("127.0.0.1").port(0).httpPort(-1).maxConnectionsPerAddress(2)
                .set("zeromqPort", "0", "test").build();
        try (Server server = Server.create(config).start();
             Client conduit = JeroMqPeers.local(server)) {
            conduit.subscribe("svc.echo", m -> m.reply(m.payload()));
            AtomicReference<JsonNode> stats = new AtomicReference<>();
            ObjectMapper json = new ObjectMapper();
            conduit.subscribe("$SYS.stats", m -> stats.set(json.readTree(m.payload())));
            conduit.flush(WAIT).get(30, TimeUnit.SECONDS);
            ZmqGateway gateway = JeroMqPeers.gateway(server);
            String requests = "tcp://127.0.0.1:" + gateway.ports()[2];

            JeroMqPeers first = new JeroMqPeers();
            ZMQ.Socket a = first.connect(SocketType.REQ, requests, s -> s.setReceiveTimeOut(30_000));
            ZMQ.Socket b = first.connect(SocketType.REQ, requests, s -> s.setReceiveTimeOut(30_000));
            echo(a, "a");
            echo(b, "b");
            assertThat(gateway.peerCount()).isEqualTo(2);
            // The peers are in $SYS.stats (and so on the dashboard's Connections card) and on /metrics.
            await().atMost(WAIT).until(() -> stats.get() != null
                    && stats.get().path("connections").path("zeromq").asInt(-1) == 2);
            assertThat(server.meterRegistry().get("conduit.zeromq.peers").gauge().value()).isEqualTo(2);
            // They hold both places of 127.0.0.1: a Conduit client from there is refused too.
            assertThatThrownBy(() -> tcpClient(server).close()).hasMessageContaining("connections from 127.0.0.1");

            try (JeroMqPeers third = new JeroMqPeers()) {
                ZMQ.Socket c = third.connect(SocketType.REQ, requests, s -> s.setReceiveTimeOut(500));
                c.sendMore("svc.echo");
                c.send("c");
                await().atMost(WAIT).until(() -> gateway.peers().refused() >= 1);
                assertThat(c.recv()).isNull(); // refused in the handshake: its request never left
                assertThat(gateway.peerCount()).isEqualTo(2);
                assertThat(gateway.meters().receivedCount("req")).isEqualTo(2);
            }

            first.close(); // both go away: their places are free
            await().atMost(WAIT).until(() -> gateway.peerCount() == 0);
            try (Client tcp = tcpClient(server)) {
                assertThat(tcp.flush(WAIT).get(30, TimeUnit.SECONDS)).isNull();
            }
            try (JeroMqPeers again = new JeroMqPeers()) {
                echo(again.connect(SocketType.REQ, requests, s -> s.setReceiveTimeOut(30_000)), "again");
                assertThat(gateway.peerCount()).isEqualTo(1);
            }
        }
    }
}

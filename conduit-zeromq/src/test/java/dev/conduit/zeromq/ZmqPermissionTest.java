package dev.conduit.zeromq;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import dev.conduit.server.AuthConfig;
import dev.conduit.server.TokenHashes;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.server.spi.Permissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/**
 * The gateway's session authenticates with {@code zeromq.token}, so its principal's permissions
 * bound what ZeroMQ peers do through it: a publish or a request to a subject the principal may not
 * publish to is refused by the server, counted ({@code conduit.zeromq.dropped{reason=denied}}), and a
 * REQ peer gets {@code ERROR 403}; what is allowed goes through.
 */
class ZmqPermissionTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void subjectsTheGatewayPrincipalMayNotPublishToAreRefusedAndCounted() throws Exception {
        String token = TokenHashes.newToken();
        AuthConfig auth = AuthConfig.builder().failedAuthDelay(Duration.ZERO)
                .token("zmq-bridge", TokenHashes.hash(token))
                .permissions("zmq-bridge", new Permissions(List.of("in.>", "svc.>"), List.of("in.secret.>"),
                        List.of("out.>"), null, true))
                .build();
        ServerConfig config = ServerConfig.builder().port(0).httpPort(-1).auth(auth)
                .set("zeromqPort", "0", "test").set("zeromqToken", token, "test").build();
        try (Server server = Server.create(config).start();
             Client conduit = JeroMqPeers.local(server); // in-process, without credentials: may do anything
             JeroMqPeers zmq = new JeroMqPeers()) {
            List<String> got = new CopyOnWriteArrayList<>();
            conduit.subscribe(">", m -> got.add(m.subject()));
            conduit.subscribe("svc.echo", m -> m.reply(m.payload()));
            conduit.subscribe("admin.echo", m -> m.reply(m.payload()));
            conduit.flush(WAIT).get(30, TimeUnit.SECONDS);
            int[] ports = JeroMqPeers.gateway(server).ports();

            ZMQ.Socket push = zmq.connect(SocketType.PUSH, "tcp://127.0.0.1:" + ports[3]);
            push.sendMore("in.secret.plans");
            push.send("denied by publishDeny");
            push.sendMore("elsewhere.x");
            push.send("outside publishAllow");
            push.sendMore("in.fine");
            push.send("allowed");
            await().atMost(WAIT).until(() -> got.contains("in.fine")
                    && JeroMqPeers.gateway(server).meters().droppedCount("denied") >= 2);
            assertThat(got).contains("in.fine").doesNotContain("in.secret.plans", "elsewhere.x");
            assertThat(JeroMqPeers.gateway(server).meters().droppedCount("denied")).isEqualTo(2);

            ZMQ.Socket req = zmq.connect(SocketType.REQ, "tcp://127.0.0.1:" + ports[2], s -> s.setReceiveTimeOut(30_000));
            req.sendMore("admin.echo"); // a responder is there, but the principal may not publish to it
            req.send("x");
            assertThat(req.recvStr()).startsWith("ERROR 403");
            assertThat(req.recvStr()).isEmpty();
            req.sendMore("svc.echo");
            req.send("through");
            assertThat(List.of(req.recvStr(), req.recvStr())).containsExactly("OK", "through");
            await().atMost(WAIT).until(() -> JeroMqPeers.gateway(server).meters().droppedCount("denied") == 3);
            assertThat(got).doesNotContain("admin.echo");
        }
    }
}

package dev.conduit.zeromq;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.client.Client;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zeromq.SocketType;
import org.zeromq.ZMQ;

/** The gateway's settings (YAML section, environment, checks), the topic mapping, and CURVE. */
class ZeroMqConfigTest {
    @TempDir
    Path dir;

    private static ZeroMqConfig zeromq(ServerConfig config) {
        return ZeroMqConfig.fromSettings(config.extensions().getOrDefault("zeromq", Map.of()));
    }

    @Test
    void offByDefaultAndSetFromTheYamlSectionAndTheEnvironment() throws Exception {
        assertThat(zeromq(ServerConfig.builder().build()).enabled()).isFalse();
        Path yaml = dir.resolve("c.yaml");
        Files.writeString(yaml, """
                zeromq:
                  port: 5555
                  exports: ["orders.>", "prices.*"]
                  services: calc.>
                  invalidTopics: replace
                  requestTimeout: 2s
                """);
        ZeroMqConfig z = zeromq(ServerConfig.load(yaml).applyEnvironment(Map.of("CONDUIT_ZEROMQ_HIGH_WATER_MARK", "77"))
                .build());
        assertThat(z.enabled()).isTrue();
        assertThat(z.port()).isEqualTo(5555);
        assertThat(z.exports()).containsExactly("orders.>", "prices.*");
        assertThat(z.services()).containsExactly("calc.>");
        assertThat(z.invalidTopics()).isEqualTo(ZeroMqConfig.InvalidTopics.REPLACE);
        assertThat(z.requestTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(z.highWaterMark()).isEqualTo(77);
        assertThat(z.toString()).doesNotContain("secret");
    }

    @Test
    void badValuesNameTheirSource() throws Exception {
        assertThatThrownBy(() -> ServerConfig.builder().set("zeromqPort", "65534", "--zmq-port"))
                .hasMessageContaining("--zmq-port").hasMessageContaining("65534");
        assertThatThrownBy(() -> ServerConfig.builder().set("zeromqExports", "a..b", "env"))
                .hasMessageContaining("a..b");
        assertThatThrownBy(() -> ServerConfig.builder().set("zeromqInvalidTopics", "keep", "env"))
                .hasMessageContaining("drop or replace");
        Path yaml = dir.resolve("bad.yaml");
        Files.writeString(yaml, "zeromq:\n  prot: 1\n");
        assertThatThrownBy(() -> ServerConfig.load(yaml)).hasMessageContaining("zeromq.prot");
    }

    @Test
    void invalidTopicsAreReplacedTokenByToken() throws Exception {
        assertThat(ZmqFrames.subject("a..b c".getBytes(UTF_8), ZeroMqConfig.InvalidTopics.REPLACE, 512))
                .isEqualTo("a._.b_c");
        assertThat(ZmqFrames.subject("x.>.*".getBytes(UTF_8), ZeroMqConfig.InvalidTopics.REPLACE, 512))
                .isEqualTo("x._._");
        assertThat(ZmqFrames.subject("ok.subject".getBytes(UTF_8), ZeroMqConfig.InvalidTopics.DROP, 512))
                .isEqualTo("ok.subject");
        assertThatThrownBy(() -> ZmqFrames.subject("a b".getBytes(UTF_8), ZeroMqConfig.InvalidTopics.DROP, 512))
                .isInstanceOf(ZmqFrames.Malformed.class);
        assertThatThrownBy(() -> ZmqFrames.subject(new byte[] {(byte) 0xc3}, ZeroMqConfig.InvalidTopics.REPLACE, 512))
                .hasMessageContaining("UTF-8");
        assertThat(ZmqFrames.headers("a: 1\nb: two words\n".getBytes(UTF_8)).first("b")).isEqualTo("two words");
        assertThatThrownBy(() -> ZmqFrames.headers("no colon".getBytes(UTF_8))).isInstanceOf(ZmqFrames.Malformed.class);
    }

    @Test
    void withCurveOnlyPeersKnowingTheServerKeyGetThrough() throws Exception {
        ZMQ.Curve.KeyPair server = ZMQ.Curve.generateKeyPair();
        ZMQ.Curve.KeyPair client = ZMQ.Curve.generateKeyPair();
        ServerConfig config = ServerConfig.builder().port(0).httpPort(-1).set("zeromqPort", "0", "test")
                .set("zeromqCurveSecretKey", server.secretKey, "test").build();
        try (Server s = Server.create(config).start();
             Client conduit = JeroMqPeers.local(s);
             JeroMqPeers zmq = new JeroMqPeers()) {
            conduit.subscribe("svc.echo", m -> m.reply(m.payload()));
            conduit.flush(Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS);
            String address = "tcp://127.0.0.1:" + JeroMqPeers.gateway(s).ports()[2];

            ZMQ.Socket curve = zmq.connect(SocketType.REQ, address, c -> {
                c.setReceiveTimeOut(30_000);
                c.setCurveServerKey(ZMQ.Curve.z85Decode(server.publicKey));
                c.setCurvePublicKey(ZMQ.Curve.z85Decode(client.publicKey));
                c.setCurveSecretKey(ZMQ.Curve.z85Decode(client.secretKey));
            });
            curve.sendMore("svc.echo");
            curve.send("sealed");
            assertThat(List.of(curve.recvStr(), curve.recvStr())).containsExactly("OK", "sealed");
            ZMQ.Socket plain = zmq.connect(SocketType.REQ, address, p -> {
                p.setReceiveTimeOut(300); // refused in the handshake: nothing ever comes back
            });
            plain.sendMore("svc.echo");
            plain.send("plain");
            assertThat(plain.recv()).isNull();

            assertThat(JeroMqPeers.gateway(s).meters().receivedCount("req")).isEqualTo(1);
        }
    }
}

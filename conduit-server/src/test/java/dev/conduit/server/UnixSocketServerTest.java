package dev.conduit.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Message;
import dev.conduit.transport.UnixSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server listening on a Unix domain socket beside its TCP port, and clients connecting by {@code unix://}. */
class UnixSocketServerTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    Path dir;

    @Test
    void publishSubscribeAndRequestReplyOverTheUnixSocket() throws Exception {
        Path file = dir.resolve("conduit.sock");
        ServerConfig config = ServerConfig.builder().port(0).httpPort(-1)
                .set("unixSocket", file.toString(), "test").set("unixSocketMode", "660", "test").build();
        try (Server server = Server.create(config).start()) {
            assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-rw----"));
            try (Client a = Client.connect(ClientOptions.builder().endpoints("unix://" + file).build());
                 Client b = Client.connect(ClientOptions.builder().endpoints("unix://" + file).build())) {
                BlockingQueue<Message> got = new LinkedBlockingQueue<>();
                b.subscribe("t.>", got::add);
                b.subscribe("svc.echo", m -> m.reply(m.payload()));
                b.flush(WAIT).get(30, TimeUnit.SECONDS);
                for (int i = 0; i < 1000; i++) {
                    a.publish("t." + i, ("m" + i).getBytes(UTF_8));
                }
                for (int i = 0; i < 1000; i++) {
                    Message m = got.poll(30, TimeUnit.SECONDS);
                    assertThat(m).isNotNull();
                    assertThat(m.subject()).isEqualTo("t." + i);
                    assertThat(new String(m.payload(), UTF_8)).isEqualTo("m" + i);
                }
                assertThat(new String(a.requestAndWait("svc.echo", "ping".getBytes(UTF_8), WAIT).payload(), UTF_8))
                        .isEqualTo("ping");
                assertThat(count(server, "unix")).isEqualTo(2);
            }
        }
        assertThat(file).as("removed on stop").doesNotExist();
    }

    private static double count(Server server, String transport) {
        return server.meterRegistry().get("conduit.connections").tag("transport", transport).gauge().value();
    }

    @Test
    void theSettingsComeFromYamlAndEnvironmentAndAreChecked() throws Exception {
        Path yaml = dir.resolve("conduit.yaml");
        Files.writeString(yaml, "unixSocket: run/c.sock\nunixSocketMode: \"0600\"\n");
        ServerConfig c = ServerConfig.load(yaml).applyEnvironment(Map.of("CONDUIT_UNIX_SOCKET_GROUP", "adm")).build();
        assertThat(c.unixSocket()).isEqualTo(new UnixSocket(dir.toAbsolutePath().resolve("run/c.sock"),
                PosixFilePermissions.fromString("rw-------"), null, "adm"));
        assertThat(ServerConfig.builder().build().unixSocket()).isNull();
        assertThatThrownBy(() -> ServerConfig.builder().set("unixSocketMode", "999", "--x"))
                .hasMessageContaining("--x").hasMessageContaining("999");
        assertThatThrownBy(() -> ServerConfig.builder().set("unixSocketMode", "600", "env").build())
                .hasMessageContaining("unixSocket is not");
    }

    @Test
    void aSocketThatCannotBeBoundFailsTheStartAndFreesThePorts() throws Exception {
        Path plain = dir.resolve("not-a-socket");
        Files.writeString(plain, "x");
        Server server = Server.create(ServerConfig.builder().port(0).httpPort(-1)
                .unixSocket(UnixSocket.at(plain)).build());
        assertThatThrownBy(server::start).hasMessageContaining("not a socket");
        assertThat(server.stop()).succeedsWithin(WAIT);
    }
}

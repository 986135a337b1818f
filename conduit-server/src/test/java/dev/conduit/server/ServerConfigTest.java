package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.transport.TransportOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {

    @Test
    void defaultsAreLocalAndSafe() {
        ServerConfig c = ServerConfig.builder().build();
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(7440);
        assertThat(c.limits()).isEqualTo(ProtocolLimits.DEFAULT);
        assertThat(c.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.transport().kind()).isEqualTo(TransportOptions.Kind.AUTO);
    }

    @Test
    void badValuesFailAtOnceWithTheValue() {
        assertThatThrownBy(() -> ServerConfig.builder().port(70000)).hasMessageContaining("70000");
        assertThatThrownBy(() -> ServerConfig.builder().ioThreads(0)).hasMessageContaining(": 0");
        assertThatThrownBy(() -> ServerConfig.builder().handshakeTimeout(Duration.ZERO)).hasMessageContaining("PT0S");
        assertThatThrownBy(() -> ServerConfig.builder().maxPayloadBytes(-5).build()).hasMessageContaining("-5");
        assertThatThrownBy(() -> ServerConfig.builder().maxPendingBytesPerSession(10).build())
                .hasMessageContaining("maxPendingBytesPerSession").hasMessageContaining(": 10");
    }

    @Test
    void layersFileThenEnvironmentThenCalls(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.yaml");
        Files.writeString(file, """
                port: 7000
                host: 0.0.0.0
                maxPayloadBytes: 2048
                handshakeTimeout: 250ms
                drainTimeout: PT3S
                transport: nio
                ioThreads: 3
                """);
        ServerConfig c = ServerConfig.load(file)
                .applyEnvironment(Map.of("CONDUIT_PORT", "7100", "CONDUIT_MAX_SUBJECT_BYTES", "100", "PATH", "/bin"))
                .port(7200)
                .build();
        assertThat(c.port()).isEqualTo(7200);
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.limits().maxPayloadBytes()).isEqualTo(2048);
        assertThat(c.limits().maxSubjectBytes()).isEqualTo(100);
        assertThat(c.handshakeTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.transport().kind()).isEqualTo(TransportOptions.Kind.NIO);
        assertThat(c.transport().ioThreads()).isEqualTo(3);
    }

    @Test
    void unknownOrBadSettingsNameTheirSource(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "prot: 7000\n");
        assertThatThrownBy(() -> ServerConfig.load(file)).hasMessageContaining("bad.yaml").hasMessageContaining("prot");
        Files.writeString(file, "port: lots\n");
        assertThatThrownBy(() -> ServerConfig.load(file)).hasMessageContaining("port").hasMessageContaining("lots");
        Files.writeString(file, "limits:\n  port: 1\n");
        assertThatThrownBy(() -> ServerConfig.load(file)).hasMessageContaining("plain value");
        assertThatThrownBy(() -> ServerConfig.builder().applyEnvironment(Map.of("CONDUIT_PROT", "1")))
                .hasMessageContaining("CONDUIT_PROT");
        assertThatThrownBy(() -> ServerConfig.builder().applyEnvironment(Map.of("CONDUIT_TRANSPORT", "carrier-pigeon")))
                .hasMessageContaining("carrier-pigeon").hasMessageContaining("io_uring");
        assertThatThrownBy(() -> ServerConfig.load(dir.resolve("missing.yaml"))).hasMessageContaining("missing.yaml");
    }

    @Test
    void durationsAndEnvironmentNames() {
        assertThat(ConfigSettings.duration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(ConfigSettings.duration("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(ConfigSettings.duration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(ConfigSettings.duration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(ConfigSettings.duration("PT5S")).isEqualTo(Duration.ofSeconds(5));
        for (String junk : new String[] {"soon", "", "5", "5d", "ms"}) {
            assertThatThrownBy(() -> ConfigSettings.duration(junk)).as(junk).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(ConfigSettings.keyForEnvironmentName("CONDUIT_MAX_PENDING_BYTES_PER_CONNECTION"))
                .isEqualTo("maxPendingBytesPerConnection");
    }
}

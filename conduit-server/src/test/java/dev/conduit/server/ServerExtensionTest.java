package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.client.Client;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server extensions (spi.ServerExtension) found with ServiceLoader: their settings from every
 * layer, their start and stop with the server, the connection limits and {@code $SYS.stats}
 * through their context, and a clear error for the settings of an extension that is absent.
 */
class ServerExtensionTest {
    @BeforeEach
    void clear() {
        RecordingExtension.EVENTS.clear();
    }

    @Test
    void settingsOfASectionReachItsExtensionFromYamlEnvironmentAndFlags(@TempDir Path dir) throws Exception {
        Path yaml = dir.resolve("conduit.yaml");
        Files.writeString(yaml, "port: 0\nrecorder:\n  mode: run\n");
        ServerConfig config = ServerConfig.load(yaml).applyEnvironment(Map.of("CONDUIT_RECORDER_PEERS", "3")).build();
        assertThat(config.extensions()).isEqualTo(Map.of("recorder", Map.of("mode", "run", "peers", "3")));
        assertThat(ServerConfig.builder().set("recorderMode", "fail", "--flag").build().extensions())
                .isEqualTo(Map.of("recorder", Map.of("mode", "fail")));
        assertThat(ServerConfig.builder().build().extensions()).isEmpty();
        // A secret among them is not printed with the config.
        ServerConfig withSecret = ServerConfig.builder().set("recorderMode", "run", "test").build();
        assertThat(new ExtensionSettings(Map.of("token", "s3cret", "mode", "run")).toString())
                .isEqualTo("{mode=run, token=(hidden)}");
        assertThat(withSecret.toString()).contains("recorder={mode=run}");
    }

    @Test
    void aBadValueOrUnknownKeyFailsWhenSetNamingItsSource(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ServerConfig.builder().set("recorderMode", "walk", "--flag"))
                .hasMessageContaining("--flag").hasMessageContaining("recorderMode").hasMessageContaining("expected run or fail");
        Path yaml = dir.resolve("conduit.yaml");
        Files.writeString(yaml, "recorder:\n  mood: run\n");
        assertThatThrownBy(() -> ServerConfig.load(yaml)).hasMessageContaining("recorder.mood")
                .hasMessageContaining("unknown setting");
    }

    @Test
    void zeromqSettingsWithoutTheModuleNameTheMissingModule(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> ServerConfig.builder().set("zeromqPort", "5555", "--zmq-port"))
                .hasMessageContaining("--zmq-port").hasMessageContaining("conduit-zeromq");
        assertThatThrownBy(() -> ServerConfig.builder().applyEnvironment(Map.of("CONDUIT_ZEROMQ_PORT", "5555")))
                .hasMessageContaining("conduit-zeromq");
        Path yaml = dir.resolve("conduit.yaml");
        Files.writeString(yaml, "zeromq:\n  port: 5555\n");
        assertThatThrownBy(() -> ServerConfig.load(yaml)).hasMessageContaining("conduit-zeromq");
    }

    @Test
    void anExtensionStartsWithTheServerAndStopsBeforeItCountingItsConnections() throws Exception {
        ServerConfig config = ServerConfig.builder().port(0).httpPort(-1).maxConnectionsPerAddress(2)
                .set("recorderMode", "run", "test").set("recorderPeers", "5", "test").build();
        RoutingServer server = RoutingServer.create(config);
        server.start();
        try {
            assertThat(RecordingExtension.EVENTS).containsExactly("start run");
            var context = RecordingExtension.lastContext;
            assertThat(context.serverId()).isEqualTo(server.serverId());
            assertThat(context.meterRegistry()).isSameAs(server.meterRegistry());
            // Its connections share the server's limits: two from one address, then refused.
            Runnable first = context.admitConnection("test peer", "10.0.0.1");
            Runnable second = context.admitConnection("test peer", "10.0.0.1");
            assertThat(first).isNotNull();
            assertThat(second).isNotNull();
            assertThat(context.admitConnection("test peer", "10.0.0.1")).isNull();
            assertThat(server.countedConnections()).isEqualTo(2);
            first.run();
            assertThat(server.countedConnections()).isEqualTo(1);
            second.run();
            // ... and show in $SYS.stats.
            assertThat(server.stats().snapshot(System.nanoTime()).path("connections").path("recorder").asInt())
                    .isEqualTo(5);
            // An in-process session through its connector.
            try (Client c = Client.connectLocal(context.localConnector())) {
                assertThat(c.flush(java.time.Duration.ofSeconds(10)).get()).isNull();
            }
        } finally {
            server.close();
        }
        assertThat(RecordingExtension.EVENTS).containsExactly("start run", "stop");
        assertThat(server.stats().snapshot(System.nanoTime()).path("connections").has("recorder")).isFalse();
    }

    @Test
    void anExtensionThatFailsToStartFailsTheServerStart() {
        ServerConfig config = ServerConfig.builder().port(0).httpPort(-1).set("recorderMode", "fail", "test").build();
        Server server = Server.create(config);
        assertThatThrownBy(server::start).hasMessageContaining("recorder refuses to start");
        assertThat(server.stop()).isCompleted();
        assertThat(RecordingExtension.EVENTS).containsExactly("start fail");
    }

    @Test
    void withoutItsSettingsAnExtensionDoesNotRun() {
        try (Server server = Server.create(ServerConfig.builder().port(0).httpPort(-1).build()).start()) {
            assertThat(RecordingExtension.EVENTS).isEmpty();
        }
    }
}

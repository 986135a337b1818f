package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.transport.TransportOptions;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link ServerConfig}: defaults, checks, and the layers file, environment and explicit calls. */
class ServerConfigLayeringTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws Exception {
        Path file = dir.resolve("conduit.yaml");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void defaults() {
        ServerConfig c = ServerConfig.builder().build();
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.port()).isEqualTo(7440);
        assertThat(c.limits()).isEqualTo(ProtocolLimits.DEFAULT);
        assertThat(c.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.drainTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.maxPendingBytesPerSession()).isEqualTo(64L << 20);
        assertThat(c.transport().kind()).isEqualTo(TransportOptions.Kind.AUTO);
        assertThat(c.transport().ioThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(c.transport().daemon()).isFalse();
    }

    @Test
    void theBuilderRejectsBadValuesWithTheValueInTheMessage() {
        assertThatThrownBy(() -> ServerConfig.builder().port(-1)).hasMessageContaining("-1");
        assertThatThrownBy(() -> ServerConfig.builder().port(65536)).hasMessageContaining("65536");
        assertThatThrownBy(() -> ServerConfig.builder().ioThreads(-3)).hasMessageContaining("-3");
        assertThatThrownBy(() -> ServerConfig.builder().handshakeTimeout(Duration.ofMillis(-5)))
                .hasMessageContaining("handshakeTimeout").hasMessageContaining("PT-0.005S");
        assertThatThrownBy(() -> ServerConfig.builder().drainTimeout(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("drainTimeout").hasMessageContaining("PT-1S");
        assertThatThrownBy(() -> ServerConfig.builder().maxPayloadBytes((64 << 20) + 1).build())
                .hasMessageContaining(String.valueOf((64 << 20) + 1));
        assertThatThrownBy(() -> ServerConfig.builder().maxHeaderBytes(-7).build()).hasMessageContaining("-7");
        assertThatThrownBy(() -> ServerConfig.builder().maxSubjectBytes(0).build())
                .hasMessageContaining("maxSubjectBytes").hasMessageContaining(": 0");
        assertThatThrownBy(() -> ServerConfig.builder().maxSubjectBytes(70_000).build()).hasMessageContaining("70000");
        assertThatThrownBy(() -> ServerConfig.builder().maxPendingBytesPerSession(4096).build())
                .hasMessageContaining("4096");
        assertThatThrownBy(() -> ServerConfig.builder().host(" ").build()).hasMessageContaining("host");
        assertThatThrownBy(() -> ServerConfig.builder().transport(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void theEdgesOfTheRangesAreAccepted() {
        ServerConfig c = ServerConfig.builder().port(0).maxPayloadBytes(0).maxHeaderBytes(0).maxSubjectBytes(1)
                .drainTimeout(Duration.ZERO).handshakeTimeout(Duration.ofNanos(1)).ioThreads(1)
                .maxPendingBytesPerSession(ProtocolLimits.MIN_FRAME_BYTES).build();
        assertThat(c.port()).isZero();
        assertThat(c.limits()).isEqualTo(new ProtocolLimits(0, 0, 1));
        assertThat(ServerConfig.builder().port(65535).build().port()).isEqualTo(65535);
    }

    @Test
    void aYamlFileSetsEveryKey() throws Exception {
        ServerConfig c = ServerConfig.load(yaml("""
                # every setting there is
                host: 0.0.0.0
                port: 7001
                maxPayloadBytes: 4096
                maxHeaderBytes: 1024
                maxSubjectBytes: 200
                handshakeTimeout: 1500ms
                drainTimeout: 2m
                maxPendingBytesPerSession: 1000000
                ioThreads: 3
                transport: io-uring
                """)).build();
        assertThat(c.host()).isEqualTo("0.0.0.0");
        assertThat(c.port()).isEqualTo(7001);
        assertThat(c.limits()).isEqualTo(new ProtocolLimits(4096, 1024, 200));
        assertThat(c.handshakeTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.drainTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.maxPendingBytesPerSession()).isEqualTo(1_000_000);
        assertThat(c.transport().ioThreads()).isEqualTo(3);
        assertThat(c.transport().kind()).isEqualTo(TransportOptions.Kind.IO_URING);
    }

    @Test
    void anEmptyFileLeavesTheDefaults() throws Exception {
        assertThat(ServerConfig.load(yaml("# nothing\n")).build()).isEqualTo(ServerConfig.builder().build());
    }

    @Test
    void anUnknownKeyInTheFileIsRejectedNamingTheFileAndKey() throws Exception {
        Path file = yaml("port: 7000\nmaxPayloadByte: 10\n");
        assertThatThrownBy(() -> ServerConfig.load(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("maxPayloadByte");
    }

    @Test
    void badFilesAreRejectedNamingTheFile() throws Exception {
        Path bad = yaml("port: seventy\n");
        assertThatThrownBy(() -> ServerConfig.load(bad)).hasMessageContaining(bad.toString())
                .hasMessageContaining("port").hasMessageContaining("seventy");
        Path nested = yaml("transport:\n  kind: nio\n");
        assertThatThrownBy(() -> ServerConfig.load(nested)).hasMessageContaining(nested.toString())
                .hasMessageContaining("transport");
        Path list = yaml("- port\n- 7000\n");
        assertThatThrownBy(() -> ServerConfig.load(list)).hasMessageContaining(list.toString());
        Path missing = dir.resolve("absent.yaml");
        assertThatThrownBy(() -> ServerConfig.load(missing)).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("absent.yaml");
    }

    @ParameterizedTest
    @ValueSource(strings = {"host:\n", "host: ~\n", "host: null\n"})
    void aSettingWithNoValueIsNotReadAsTheWordNull(String text) throws Exception {
        Path file = yaml(text);
        ServerConfig c;
        try {
            c = ServerConfig.load(file).build();
        } catch (IllegalArgumentException e) {
            assertThat(e).hasMessageContaining(file.toString()).hasMessageContaining("host");
            return;
        }
        assertThat(c.host()).isNotEqualTo("null");
    }

    @Test
    void outOfRangeValuesFromAFileOrTheEnvironmentNameTheirSource() throws Exception {
        Path file = yaml("maxPayloadBytes: -1\n");
        assertThatThrownBy(() -> ServerConfig.load(file).build()).hasMessageContaining(file.toString())
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> ServerConfig.builder().applyEnvironment(Map.of("CONDUIT_DRAIN_TIMEOUT", "-5s")).build())
                .hasMessageContaining("CONDUIT_DRAIN_TIMEOUT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"maxHeaderBytes: 2000000", "maxSubjectBytes: 0", "maxSubjectBytes: 65536",
            "maxPayloadBytes: 67108865", "host: ' '", "drainTimeout: -1s"})
    void everyRangeCheckedInBuildIsAlsoAttributedToTheFileAndKey(String line) throws Exception {
        Path file = yaml(line + "\n");
        String key = line.substring(0, line.indexOf(':'));
        assertThatThrownBy(() -> ServerConfig.load(file).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining(key);
    }

    @Test
    void pendingBytesBelowTheFrameSizeNamesWhereEachValueCameFrom() throws Exception {
        Path file = yaml("maxPendingBytesPerConnection: 100000\n");
        assertThatThrownBy(() -> ServerConfig.load(file)
                .applyEnvironment(Map.of("CONDUIT_MAX_PAYLOAD_BYTES", "200000")).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(file + " (as maxPendingBytesPerConnection): invalid maxPendingBytesPerSession")
                .hasMessageContaining("100000")
                .hasMessageContaining("maxPayloadBytes 200000 (from environment variable CONDUIT_MAX_PAYLOAD_BYTES)");
        assertThatThrownBy(() -> ServerConfig.builder().set("maxPendingBytesPerSession", "10", "--max-pending").build())
                .hasMessageStartingWith("--max-pending: invalid maxPendingBytesPerSession");
    }

    @Test
    void aValueSetByACallAfterASourcedOneIsNoLongerAttributedToThatSource() throws Exception {
        Path file = yaml("maxPendingBytesPerSession: 100000000\n");
        assertThatThrownBy(() -> ServerConfig.load(file).maxPendingBytesPerSession(10).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("maxPendingBytesPerSession must be at least")
                .hasMessageNotContaining(file.toString());
    }

    @Test
    void theMemoryBoundsComeFromAFileAndTheEnvironmentAndAreCheckedAgainstEachOther() throws Exception {
        Path file = yaml("""
                maxMemory: 100000000
                maxDetachedSessions: 50
                maxPongBacklogBytes: 4096
                """);
        ServerConfig c = ServerConfig.load(file).applyEnvironment(Map.of("CONDUIT_MAX_DETACHED_BYTES", "1000")).build();
        assertThat(c.memory()).isEqualTo(new MemoryLimits(100_000_000, 50, 1000, 4096));
        assertThat(ServerConfig.load(file).build().memory().maxDetachedBytes()).as("half of maxMemory by default")
                .isEqualTo(50_000_000);
        assertThat(ServerConfig.builder().build().memory().maxMemory())
                .isEqualTo(Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 4));
        assertThatThrownBy(() -> ServerConfig.load(file).maxDetachedBytes(200_000_000).build())
                .hasMessageContaining("maxDetachedBytes must be at most maxMemory (100000000 (from " + file + "))");
        assertThatThrownBy(() -> ServerConfig.builder().set("maxPongBacklogBytes", "10", "--flag"))
                .hasMessageStartingWith("--flag: invalid maxPongBacklogBytes '10'");
        assertThatThrownBy(() -> ServerConfig.builder().maxMemory(0)).hasMessageContaining("maxMemory must be > 0: 0");
    }

    @Test
    @SuppressWarnings("deprecation")
    void theFormerNameOfThePerSessionBoundIsStillAccepted() throws Exception {
        ServerConfig c = ServerConfig.load(yaml("maxPendingBytesPerConnection: 2000000\n")).build();
        assertThat(c.maxPendingBytesPerSession()).isEqualTo(2_000_000).isEqualTo(c.maxPendingBytesPerConnection());
        assertThat(ServerConfig.builder().maxPendingBytesPerConnection(3_000_000).build().maxPendingBytesPerSession())
                .isEqualTo(3_000_000);
        assertThat(ServerConfig.builder().applyEnvironment(Map.of("CONDUIT_MAX_PENDING_BYTES_PER_CONNECTION", "4000000"))
                .build().maxPendingBytesPerSession()).isEqualTo(4_000_000);
    }

    @Test
    void aNullValueThroughSetIsRejectedNamingTheSourceAndKey() {
        assertThatThrownBy(() -> ServerConfig.builder().set("host", null, "somewhere"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("somewhere").hasMessageContaining("host");
    }

    @Test
    void theEnvironmentMapsConduitVariablesToSettings() {
        ServerConfig c = ServerConfig.builder().applyEnvironment(Map.of(
                "CONDUIT_MAX_PAYLOAD_BYTES", "2048",
                "CONDUIT_MAX_HEADER_BYTES", "256",
                "CONDUIT_MAX_SUBJECT_BYTES", "99",
                "CONDUIT_HANDSHAKE_TIMEOUT", "3s",
                "CONDUIT_DRAIN_TIMEOUT", "PT0.5S",
                "CONDUIT_MAX_PENDING_BYTES_PER_SESSION", "70000",
                "CONDUIT_IO_THREADS", "2",
                "CONDUIT_TRANSPORT", "NIO",
                "CONDUIT_HOST", "::1",
                "CONDUIT_PORT", " 7002 ")).build();
        assertThat(c.limits()).isEqualTo(new ProtocolLimits(2048, 256, 99));
        assertThat(c.handshakeTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.drainTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.maxPendingBytesPerSession()).isEqualTo(70_000);
        assertThat(c.transport().ioThreads()).isEqualTo(2);
        assertThat(c.transport().kind()).isEqualTo(TransportOptions.Kind.NIO);
        assertThat(c.host()).isEqualTo("::1");
        assertThat(c.port()).isEqualTo(7002);
    }

    @Test
    void otherVariablesAreIgnored() {
        ServerConfig c = ServerConfig.builder()
                .applyEnvironment(Map.of("PATH", "/bin", "conduit_port", "1", "CONDUITPORT", "2", "XCONDUIT_PORT", "3"))
                .build();
        assertThat(c).isEqualTo(ServerConfig.builder().build());
    }

    @ParameterizedTest
    @ValueSource(strings = {"CONDUIT_PROT", "CONDUIT_MAXPAYLOADBYTES", "CONDUIT_", "CONDUIT_LIMITS"})
    void unknownConduitVariablesAreRejectedByName(String name) {
        assertThatThrownBy(() -> ServerConfig.builder().applyEnvironment(Map.of(name, "1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("environment variable " + name);
    }

    @Test
    void aBadValueInTheEnvironmentNamesTheVariableAndValue() {
        assertThatThrownBy(() -> ServerConfig.builder().applyEnvironment(Map.of("CONDUIT_IO_THREADS", "many")))
                .hasMessageContaining("CONDUIT_IO_THREADS").hasMessageContaining("many");
        assertThatThrownBy(() -> ServerConfig.builder().applyEnvironment(Map.of("CONDUIT_HANDSHAKE_TIMEOUT", "0s")))
                .hasMessageContaining("CONDUIT_HANDSHAKE_TIMEOUT").hasMessageContaining("0s");
    }

    @Test
    void layersFileThenEnvironmentThenExplicitCalls() throws Exception {
        Path file = yaml("""
                port: 7100
                ioThreads: 5
                maxSubjectBytes: 300
                handshakeTimeout: 4s
                """);
        ServerConfig c = ServerConfig.load(file)
                .applyEnvironment(Map.of("CONDUIT_PORT", "7200", "CONDUIT_IO_THREADS", "6", "CONDUIT_DRAIN_TIMEOUT", "9s"))
                .port(7300)
                .build();
        assertThat(c.port()).as("file, environment and call: the call wins").isEqualTo(7300);
        assertThat(c.transport().ioThreads()).as("file and environment: the environment wins").isEqualTo(6);
        assertThat(c.drainTimeout()).as("environment only").isEqualTo(Duration.ofSeconds(9));
        assertThat(c.limits().maxSubjectBytes()).as("file only").isEqualTo(300);
        assertThat(c.handshakeTimeout()).as("file only").isEqualTo(Duration.ofSeconds(4));
        assertThat(c.limits().maxPayloadBytes()).as("nowhere: default").isEqualTo(ProtocolLimits.DEFAULT.maxPayloadBytes());
    }

    @Test
    void durationsParseInEveryDocumentedForm() {
        assertThat(ConfigSettings.duration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(ConfigSettings.duration("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(ConfigSettings.duration("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(ConfigSettings.duration("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(ConfigSettings.duration("PT5S")).isEqualTo(Duration.ofSeconds(5));
        assertThat(ConfigSettings.duration("pt1m30s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(ConfigSettings.duration(" 10S ")).isEqualTo(Duration.ofSeconds(10));
        assertThat(ConfigSettings.duration("0ms")).isEqualTo(Duration.ZERO);
        assertThat(ServerConfig.parseDuration("750ms")).isEqualTo(Duration.ofMillis(750));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "10", "s", "ms", "ten s", "1.5s", "10d", "10 s", "PT", "PTxS", "5sec", "m5"})
    void junkDurationsAreRejected(String junk) {
        assertThatThrownBy(() -> ConfigSettings.duration(junk)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("500ms");
    }

    @Test
    void anOverflowingDurationIsRejectedLikeOtherJunk() {
        assertThatThrownBy(() -> ConfigSettings.duration("9223372036854775807h"))
                .isInstanceOf(IllegalArgumentException.class);
        for (String big : new String[] {"9223372036854775807h", "9223372036854775807m",
                "-9223372036854775808h"}) {
            assertThatThrownBy(() -> ConfigSettings.duration(big)).as(big)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(big);
        }
        assertThatThrownBy(() -> ServerConfig.builder().set("drainTimeout", "9223372036854775807m", "test"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("test");
    }
}

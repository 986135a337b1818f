package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peer-limit settings: defaults, layering from file and environment, and their checks. */
class PeerLimitsConfigTest {

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        PeerLimits l = ServerConfig.builder().build().peerLimits();
        assertThat(l).isEqualTo(PeerLimits.DEFAULT);
        assertThat(l.maxConnections()).isEqualTo(10_000);
        assertThat(l.maxConnectionsPerAddress()).isEqualTo(1_000);
        assertThat(l.maxSubscriptionsPerSession()).isEqualTo(10_000);
        assertThat(l.maxSubjectTokens()).isEqualTo(32);
        assertThat(l.maxMessagesPerSecond()).isZero();
        assertThat(l.maxBytesPerSecond()).isZero();
        assertThat(l.rateLimited()).isFalse();
    }

    @Test
    void everyKeyIsReadFromTheFileAndTheEnvironment(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("server.yaml");
        Files.writeString(file, """
                maxConnections: 500
                maxConnectionsPerAddress: 50
                maxSubscriptionsPerSession: 20
                maxSubjectTokens: 8
                maxMessagesPerSecond: 1000
                """);
        PeerLimits l = ServerConfig.load(file)
                .applyEnvironment(Map.of("CONDUIT_MAX_BYTES_PER_SECOND", "65536", "CONDUIT_MAX_SUBJECT_TOKENS", "9"))
                .build().peerLimits();
        assertThat(l).isEqualTo(new PeerLimits(500, 50, 20, 9, 1000, 65536));
        assertThat(l.rateLimited()).isTrue();
    }

    @Test
    void aBadValueIsRefusedNamingItsSourceAndTheBuilderKeepsTheOldOne() {
        ServerConfig.Builder b = ServerConfig.builder();
        assertThatThrownBy(() -> b.set("maxConnections", "0", "--flag"))
                .hasMessageContaining("--flag").hasMessageContaining("maxConnections").hasMessageContaining("0");
        assertThatThrownBy(() -> b.applyEnvironment(Map.of("CONDUIT_MAX_CONNECTIONS_PER_ADDRESS", "-1")))
                .hasMessageContaining("CONDUIT_MAX_CONNECTIONS_PER_ADDRESS").hasMessageContaining("-1");
        assertThatThrownBy(() -> b.maxSubjectTokens(70_000)).hasMessageContaining("65535");
        assertThatThrownBy(() -> b.maxSubscriptionsPerSession(0)).hasMessageContaining("maxSubscriptionsPerSession");
        assertThatThrownBy(() -> b.maxMessagesPerSecond(-1)).hasMessageContaining("maxMessagesPerSecond");
        assertThatThrownBy(() -> b.set("maxBytesPerSecond", "lots", "a.yaml")).hasMessageContaining("a.yaml");
        assertThat(b.build().peerLimits()).isEqualTo(PeerLimits.DEFAULT);
    }
}

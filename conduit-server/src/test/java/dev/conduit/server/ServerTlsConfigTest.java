package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.transport.ServerTls;
import dev.conduit.transport.TlsProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS settings of {@link ServerConfig}: the YAML section, the environment, and what they refuse. */
class ServerTlsConfigTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("conf"));
        Path file = folder.resolve("conduit.yaml");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void withoutTlsSettingsTheServerHasNoTls() {
        ServerConfig c = ServerConfig.builder().build();
        assertThat(c.tlsEnabled()).isFalse();
        assertThat(c.tls()).isNull();
    }

    @Test
    void theYamlSectionSetsEveryKeyAndFileNamesAreRelativeToTheFile() throws Exception {
        Path file = yaml("""
                tls:
                  cert: certs/server.pem
                  key: certs/server-key.pem
                  keyPassword: s3cret
                  clientAuth: require
                  clientCa: /etc/ca.pem
                  clientCrl: crl/clients.crl
                  protocols: [TLSv1.3, tlsv1.2]
                  provider: jdk
                  reloadInterval: 2s
                """);
        ServerTls tls = ServerConfig.load(file).build().tls();
        Path folder = file.toAbsolutePath().getParent();
        assertThat(tls.certificateChain()).isEqualTo(folder.resolve("certs/server.pem"));
        assertThat(tls.privateKey()).isEqualTo(folder.resolve("certs/server-key.pem"));
        assertThat(tls.privateKeyPassword()).isEqualTo("s3cret");
        assertThat(tls.clientAuth()).isEqualTo(ServerTls.ClientAuth.REQUIRE);
        assertThat(tls.clientCa()).isEqualTo(Path.of("/etc/ca.pem"));
        assertThat(tls.clientCrl()).isEqualTo(folder.resolve("crl/clients.crl"));
        assertThat(tls.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(tls.provider()).isEqualTo(TlsProvider.JDK);
        assertThat(tls.reloadInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(tls.toString()).doesNotContain("s3cret");
    }

    @Test
    void aRevocationListNeedsClientCertificates() {
        assertThatThrownBy(() -> ServerConfig.builder().set("tlsCert", "a.pem", "test").set("tlsKey", "b.pem", "test")
                .set("tlsClientCrl", "c.crl", "test").build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("clientCrl");
        assertThat(ServerConfig.builder().set("tlsCert", "a.pem", "test").set("tlsKey", "b.pem", "test")
                .set("tlsClientAuth", "require", "test").set("tlsClientCa", "ca.pem", "test")
                .set("tlsClientCrl", "c.crl", "test").build().tls().clientCrl()).isEqualTo(Path.of("c.crl"));
    }

    @Test
    void theDefaultsAreTls13OnlyNoClientCertificatesAndATenSecondReload() throws Exception {
        ServerTls tls = ServerConfig.builder().set("tlsCert", "a.pem", "test").set("tlsKey", "b.pem", "test").build().tls();
        assertThat(tls.protocols()).containsExactly("TLSv1.3");
        assertThat(tls.clientAuth()).isEqualTo(ServerTls.ClientAuth.NONE);
        assertThat(tls.provider()).isEqualTo(TlsProvider.AUTO);
        assertThat(tls.reloadInterval()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void environmentVariablesOverrideTheFileAndAreRelativeToTheWorkingDirectory() throws Exception {
        Path file = yaml("tls:\n  keyStore: server.p12\n  keyStorePassword: one\n");
        ServerTls tls = ServerConfig.load(file).applyEnvironment(Map.of("CONDUIT_TLS_KEY_STORE", "other.p12",
                "CONDUIT_TLS_KEY_STORE_PASSWORD", "two", "CONDUIT_TLS_PROVIDER", "openssl")).build().tls();
        assertThat(tls.keyStore()).isEqualTo(Path.of("other.p12"));
        assertThat(tls.keyStorePassword()).isEqualTo("two");
        assertThat(tls.provider()).isEqualTo(TlsProvider.OPENSSL);
    }

    @Test
    void oldProtocolVersionsAreRefusedNamingTheSource() throws Exception {
        Path file = yaml("tls:\n  cert: a.pem\n  key: b.pem\n  protocols: [TLSv1.1]\n");
        assertThatThrownBy(() -> ServerConfig.load(file)).hasMessageContaining("tls.protocols")
                .hasMessageContaining("unsupported TLS protocol version 'TLSv1.1'");
        assertThatThrownBy(() -> ServerConfig.builder().set("tlsProtocols", "SSLv3", "--flag"))
                .hasMessageContaining("--flag").hasMessageContaining("SSLv3");
    }

    @Test
    void incompleteOrContradictoryTlsSettingsAreRefused() throws Exception {
        assertThatThrownBy(() -> ServerConfig.builder().set("tlsClientAuth", "require", "env").build())
                .hasMessageContaining("tlsClientAuth is set, but TLS is not");
        assertThatThrownBy(() -> ServerConfig.builder().set("tlsCert", "a.pem", "env").build())
                .hasMessageContaining("certificate chain and a private key");
        assertThatThrownBy(() -> ServerConfig.builder().set("tlsCert", "a.pem", "env").set("tlsKey", "b.pem", "env")
                .set("tlsKeyStore", "c.p12", "env").build()).hasMessageContaining("not both");
        assertThatThrownBy(() -> ServerConfig.builder().set("tlsCert", "a.pem", "env").set("tlsKey", "b.pem", "env")
                .set("tlsClientAuth", "require", "env").build()).hasMessageContaining("certificate authorities");
        assertThatThrownBy(() -> ServerConfig.builder().set("tlsClientAuth", "sometimes", "env"))
                .hasMessageContaining("none, request, require");
        assertThatThrownBy(() -> ServerConfig.load(yaml("tls:\n  certificate: a.pem\n")))
                .hasMessageContaining("unknown setting 'tls.certificate'");
        assertThatThrownBy(() -> ServerConfig.load(yaml("tls: yes\n"))).hasMessageContaining("tls must be a mapping");
    }

    @Test
    void certificatePrincipalsNeedTlsThatAsksForCertificates() throws Exception {
        assertThatThrownBy(() -> ServerConfig.builder().set("mtlsPrincipalFrom", "subject-cn", "env").build())
                .hasMessageContaining("mtlsPrincipalFrom").hasMessageContaining("tlsClientAuth");
        assertThatThrownBy(() -> ServerConfig.builder().set("mtlsPrincipalFrom", "subject-cn", "env")
                .set("tlsCert", "a.pem", "env").set("tlsKey", "b.pem", "env").build())
                .hasMessageContaining("tlsClientAuth");
        ServerConfig ok = ServerConfig.builder().set("mtlsPrincipalFrom", "san-uri", "env")
                .tls(ServerTls.pem(Path.of("a.pem"), Path.of("b.pem")).clientAuth(ServerTls.ClientAuth.REQUEST,
                        Path.of("ca.pem")).build()).build();
        assertThat(ok.auth().mtls()).isEqualTo(CertificatePrincipal.SAN_URI);
    }

    @Test
    void anonymousAccessOnANonLoopbackHttpHostIsRefusedLikeOnTheTcpPort() {
        ServerConfig exposed = ServerConfig.builder().port(0).httpPort(0).httpHost("0.0.0.0").build();
        assertThatThrownBy(() -> Server.create(exposed).start()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refusing to start: the server binds 0.0.0.0");
        try (Server allowed = Server.create(ServerConfig.builder().port(0).httpPort(0).httpHost("0.0.0.0")
                .auth(AuthConfig.builder().allowAnonymous(true).build()).build()).start()) {
            assertThat(allowed.httpAddress().getPort()).isPositive();
        }
    }

    @Test
    void protocolNamesAreCheckedWhateverTheirCase() {
        assertThat(ServerTls.checkProtocols(List.of("tlsv1.3", "TLSV1.2", "TLSv1.3"))).containsExactly("TLSv1.3", "TLSv1.2");
        assertThatThrownBy(() -> ServerTls.checkProtocols(List.of())).hasMessageContaining("at least one");
    }
}

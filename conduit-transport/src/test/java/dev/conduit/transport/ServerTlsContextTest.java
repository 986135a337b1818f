package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.ssl.SslContext;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link ServerTlsContext}: the first load fails on bad files, a reload happens only when the files'
 * contents change, and files that do not make a context (a key that is not the certificate's)
 * leave the previous context in use. The checks are called directly: no reload thread, no waiting.
 */
class ServerTlsContextTest {
    @TempDir
    Path dir;

    private final Path cert = Path.of("server.pem");
    private final Path key = Path.of("server-key.pem");

    /** A server certificate for the host, issued by a CA of its own. */
    private static X509Bundle issue(String host, boolean rsa) throws Exception {
        X509Bundle ca = new CertificateBuilder().subject("CN=CA for " + host).setIsCertificateAuthority(true).ecp256()
                .buildSelfSigned();
        CertificateBuilder b = new CertificateBuilder().subject("CN=" + host).addSanDnsName(host);
        return (rsa ? b.rsa2048() : b.ecp256()).buildIssuedBy(ca);
    }

    private void write(X509Bundle bundle, boolean certificate, boolean privateKey) throws Exception {
        if (certificate) {
            Files.copy(bundle.toTempCertChainPem().toPath(), dir.resolve(cert), StandardCopyOption.REPLACE_EXISTING);
        }
        if (privateKey) {
            Files.copy(bundle.toTempPrivateKeyPem().toPath(), dir.resolve(key), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private ServerTlsContext context(TlsProvider provider) {
        return new ServerTlsContext(ServerTls.pem(dir.resolve(cert), dir.resolve(key)).provider(provider)
                .reloadInterval(Duration.ZERO).build());
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void aContextIsRebuiltOnlyWhenTheFilesChangeAndOnlyIntoOneThatWorks(TlsProvider provider) throws Exception {
        write(issue("first.test", false), true, true);
        try (ServerTlsContext tls = context(provider)) {
            SslContext first = tls.current();
            assertThat(tls.reloadIfChanged()).as("nothing changed").isFalse();
            assertThat(tls.current()).isSameAs(first);

            // Half a rotation: the new key beside the old certificate. Kept out, whatever the provider.
            X509Bundle second = issue("second.test", true);
            write(second, false, true);
            assertThat(tls.reloadIfChanged()).isFalse();
            assertThat(tls.current()).isSameAs(first);

            write(second, true, false);
            assertThat(tls.reloadIfChanged()).isTrue();
            assertThat(tls.current()).isNotSameAs(first);
            SslContext rotated = tls.current();
            assertThat(tls.reloadIfChanged()).as("the same files again").isFalse();
            assertThat(tls.current()).isSameAs(rotated);
        }
    }

    @Test
    void theFirstLoadFailsNamingTheFile() throws Exception {
        assertThatThrownBy(() -> context(TlsProvider.JDK)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(dir.resolve(cert).toString());
        write(issue("a.test", false), true, false);
        write(issue("b.test", false), false, true);
        assertThatThrownBy(() -> context(TlsProvider.JDK)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong to the certificate");
    }
}

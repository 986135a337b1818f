package dev.conduit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code conduit certs} run in-process, with its output captured. */
class CertsCommandTest {
    private static final List<String> FILES = List.of("ca.pem", "ca-key.pem", "server.pem", "server-key.pem",
            "server.p12", "client.pem", "client-key.pem", "client.p12");

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void writesTheFilesAndSaysHowToUseThem() throws Exception {
        Path out = dir.resolve("certs");
        Run run = run("certs", "--out", out.toString());

        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();
        for (String file : FILES) {
            assertThat(out.resolve(file)).isRegularFile();
            assertThat(run.out()).contains(out.toAbsolutePath().resolve(file).toString());
        }
        assertThat(run.out()).contains("localhost, 127.0.0.1, ::1").contains("CN=conduit-client");
        String hint = run.out().lines().filter(l -> l.startsWith("use:")).findFirst().orElseThrow();
        assertThat(hint).contains("tlsCert: " + out.toAbsolutePath().resolve("server.pem"))
                .contains("tlsKey: " + out.toAbsolutePath().resolve("server-key.pem"))
                .contains("tlsClientCa: " + out.toAbsolutePath().resolve("ca.pem"))
                .contains("--tls-ca " + out.toAbsolutePath().resolve("ca.pem"))
                .contains("--cert " + out.toAbsolutePath().resolve("client.pem"))
                .contains("--key " + out.toAbsolutePath().resolve("client-key.pem"));
        X509Certificate ca = PemFiles.certificate(out.resolve("ca.pem"));
        PemFiles.certificate(out.resolve("server.pem")).verify(ca.getPublicKey());
        KeyStore store = PemFiles.pkcs12(out.resolve("client.p12"), "changeit");
        assertThat(store.isKeyEntry("client")).isTrue();
    }

    @Test
    void refusesToOverwriteWithoutForce() throws Exception {
        assertThat(run("certs", "--out", dir.toString()).code()).isZero();
        byte[] ca = Files.readAllBytes(dir.resolve("ca.pem"));
        byte[] key = Files.readAllBytes(dir.resolve("server-key.pem"));

        Run again = run("certs", "--out", dir.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.out()).isEmpty();
        assertThat(again.err()).startsWith("conduit: refusing to overwrite ").contains("ca.pem").contains("--force");
        assertThat(again.err().lines()).hasSize(1);
        assertThat(dir.resolve("ca.pem")).hasBinaryContent(ca);
        assertThat(dir.resolve("server-key.pem")).hasBinaryContent(key);

        Run forced = run("certs", "--out", dir.toString(), "--force");
        assertThat(forced.code()).as(forced.err()).isZero();
        assertThat(Files.readAllBytes(dir.resolve("ca.pem"))).isNotEqualTo(ca);
        X509Certificate newCa = PemFiles.certificate(dir.resolve("ca.pem"));
        PemFiles.certificate(dir.resolve("server.pem")).verify(newCa.getPublicKey());
    }

    @Test
    void hostFlagsReplaceTheDefaults() throws Exception {
        Run run = run("certs", "--out", dir.toString(), "--host", "conduit.test", "--host", "10.0.0.7");
        assertThat(run.code()).as(run.err()).isZero();
        X509Certificate server = PemFiles.certificate(dir.resolve("server.pem"));
        assertThat(PemFiles.sans(server)).containsExactly(List.of(2, "conduit.test"), List.of(7, "10.0.0.7"));
    }

    @Test
    void clientNameSansDaysKeyTypeAndPassword() throws Exception {
        Run run = run("certs", "--out", dir.toString(), "--client", "alice", "--client-san", "uri:spiffe://dev/alice",
                "--client-san", "email:alice@conduit.dev", "--client-san", "dns:alice.test", "--days", "2",
                "--key-type", "rsa-2048", "--p12-password", "s3cret");
        assertThat(run.code()).as(run.err()).isZero();
        X509Certificate client = PemFiles.certificate(dir.resolve("client.pem"));
        assertThat(client.getSubjectX500Principal().getName()).isEqualTo("CN=alice");
        assertThat(PemFiles.sans(client)).containsExactlyInAnyOrder(List.of(6, "spiffe://dev/alice"),
                List.of(1, "alice@conduit.dev"), List.of(2, "alice.test"));
        assertThat(client.getPublicKey().getAlgorithm()).isEqualTo("RSA");
        Instant notAfter = client.getNotAfter().toInstant();
        assertThat(notAfter).isBetween(Instant.now().plus(Duration.ofDays(2)).minus(Duration.ofMinutes(5)),
                Instant.now().plus(Duration.ofDays(2)));
        assertThat(PemFiles.pkcs12(dir.resolve("server.p12"), "s3cret").isKeyEntry("server")).isTrue();
        assertThat(PemFiles.matches(PemFiles.privateKey(dir.resolve("client-key.pem"), "RSA"), client.getPublicKey()))
                .isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"--days=0", "--host=bad_host!", "--host=300.1.2.3", "--client-san=ip:1.2.3.4",
            "--client-san=uri:relative", "--key-type=dsa", "--client= ", "--days=x", "--bogus"})
    void badArgumentsExitTwoAndWriteNothing(String flag) throws Exception {
        Run run = run("certs", "--out", dir.resolve("out").toString(), flag);
        assertThat(run.code()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).startsWith("conduit: ");
        assertThat(run.err().lines()).hasSize(1);
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void outIsRequired() {
        Run run = run("certs");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("--out");
    }

    @Test
    void outThatIsAFileIsABadArgument() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        Run run = run("certs", "--out", file.toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).startsWith("conduit: --out is not a directory: ");
        assertThat(file).hasContent("x");
    }

    @Test
    void listedInHelp() {
        assertThat(run("--help").out()).contains("certs");
        assertThat(run("certs", "--help").out()).contains("--out").contains("--force").contains("--p12-password");
    }
}

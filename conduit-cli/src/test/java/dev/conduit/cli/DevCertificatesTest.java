package dev.conduit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The PKI DevCertificates writes, read back and checked with the JDK alone. */
class DevCertificatesTest {
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int SAN_EMAIL = 1;
    private static final int SAN_DNS = 2;
    private static final int SAN_URI = 6;
    private static final int SAN_IP = 7;

    @TempDir
    Path dir;

    @Test
    void writesEveryFileAsPemOrPkcs12() throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir, DevCertificates.Options.defaults());

        assertThat(written.files()).extracting(p -> p.getFileName().toString()).containsExactly(
                "ca.pem", "ca-key.pem", "server.pem", "server-key.pem", "server.p12",
                "client.pem", "client-key.pem", "client.p12");
        assertThat(written.files()).allSatisfy(p -> assertThat(p).isRegularFile().hasParent(dir.toAbsolutePath()));
        try (var listing = Files.list(dir)) {
            assertThat(listing).hasSize(8); // no temporary files left behind
        }
        for (Path key : List.of(written.caKey(), written.serverKey(), written.clientKey())) {
            assertThat(Files.readString(key)).startsWith(PemFiles.KEY_BEGIN);
        }
        for (Path cert : List.of(written.caCert(), written.serverCert(), written.clientCert())) {
            assertThat(Files.readString(cert)).startsWith("-----BEGIN CERTIFICATE-----");
            assertThat(Files.readString(cert)).containsOnlyOnce("BEGIN CERTIFICATE");
        }
        X509Certificate ca = PemFiles.certificate(written.caCert());
        X509Certificate server = PemFiles.certificate(written.serverCert());
        X509Certificate client = PemFiles.certificate(written.clientCert());
        assertThat(ca).isEqualTo(written.pki().ca().certificate());
        assertThat(server).isEqualTo(written.pki().server().certificate());
        assertThat(client).isEqualTo(written.pki().client().certificate());
        assertThat(ca.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(ca.getPublicKey().toString()).contains("secp256r1");
    }

    @Test
    void caIsASelfSignedCaThatOnlySigns() throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir, DevCertificates.Options.defaults());
        X509Certificate ca = PemFiles.certificate(written.caCert());

        ca.verify(ca.getPublicKey());
        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo("CN=Conduit dev CA (throw-away)");
        assertThat(ca.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(ca.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
        boolean[] usage = ca.getKeyUsage();
        assertThat(usage[5]).as("keyCertSign").isTrue();
        assertThat(usage[6]).as("cRLSign").isTrue();
        assertThat(usage[0]).as("digitalSignature").isFalse();
        assertThat(ca.getExtendedKeyUsage()).isNull();
        assertThat(ca.getSerialNumber()).isPositive();
    }

    @Test
    void serverCertificateNamesTheDefaultHostsAndIsForServerAuth() throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir, DevCertificates.Options.defaults());
        X509Certificate ca = PemFiles.certificate(written.caCert());
        X509Certificate server = PemFiles.certificate(written.serverCert());

        server.verify(ca.getPublicKey());
        assertThat(server.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
        assertThat(server.getSubjectX500Principal().getName()).isEqualTo("CN=Conduit dev server (throw-away)");
        assertThat(server.getBasicConstraints()).isEqualTo(-1);
        assertThat(server.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
        assertThat(server.getKeyUsage()[0]).as("digitalSignature").isTrue();
        assertThat(server.getKeyUsage()[5]).as("keyCertSign").isFalse();
        assertThat(PemFiles.sans(server)).containsExactly(
                List.of(SAN_DNS, "localhost"), List.of(SAN_IP, "127.0.0.1"), List.of(SAN_IP, "0:0:0:0:0:0:0:1"));
        assertThat(server.getSerialNumber()).isNotEqualTo(ca.getSerialNumber());
    }

    @Test
    void clientCertificateHasTheCommonNameAndSansGiven() throws Exception {
        DevCertificates.Options options = DevCertificates.Options.builder().clientName("alice")
                .clientUri("spiffe://conduit.dev/alice").clientEmail("alice@conduit.dev")
                .clientDnsName("alice.conduit.test").build();
        DevCertificates.Written written = DevCertificates.write(dir, options);
        X509Certificate ca = PemFiles.certificate(written.caCert());
        X509Certificate client = PemFiles.certificate(written.clientCert());

        client.verify(ca.getPublicKey());
        assertThat(client.getSubjectX500Principal().getName()).isEqualTo("CN=alice");
        assertThat(client.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
        assertThat(client.getKeyUsage()[0]).as("digitalSignature").isTrue();
        assertThat(client.getBasicConstraints()).isEqualTo(-1);
        assertThat(PemFiles.sans(client)).containsExactlyInAnyOrder(List.of(SAN_DNS, "alice.conduit.test"),
                List.of(SAN_URI, "spiffe://conduit.dev/alice"), List.of(SAN_EMAIL, "alice@conduit.dev"));
    }

    @Test
    void defaultClientIsConduitClientWithoutSans() throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir, DevCertificates.Options.defaults());
        X509Certificate client = PemFiles.certificate(written.clientCert());

        assertThat(client.getSubjectX500Principal().getName()).isEqualTo("CN=conduit-client");
        assertThat(client.getSubjectAlternativeNames()).isNull();
    }

    @Test
    void serverAndClientChainsPassPkixValidationWithTheCaAsAnchor() throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir, DevCertificates.Options.defaults());
        X509Certificate ca = PemFiles.certificate(written.caCert());

        pkixValidate(PemFiles.certificate(written.serverCert()), ca, new Date());
        pkixValidate(PemFiles.certificate(written.clientCert()), ca, new Date());
    }

    @Test
    void privateKeysMatchTheirCertificates() throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir, DevCertificates.Options.defaults());
        X509Certificate ca = PemFiles.certificate(written.caCert());
        X509Certificate server = PemFiles.certificate(written.serverCert());
        X509Certificate client = PemFiles.certificate(written.clientCert());

        assertThat(PemFiles.matches(PemFiles.privateKey(written.caKey(), "EC"), ca.getPublicKey())).isTrue();
        assertThat(PemFiles.matches(PemFiles.privateKey(written.serverKey(), "EC"), server.getPublicKey())).isTrue();
        assertThat(PemFiles.matches(PemFiles.privateKey(written.clientKey(), "EC"), client.getPublicKey())).isTrue();
        // and not each other's
        assertThat(PemFiles.matches(PemFiles.privateKey(written.serverKey(), "EC"), client.getPublicKey())).isFalse();
        assertThat(PemFiles.matches(PemFiles.privateKey(written.clientKey(), "EC"), ca.getPublicKey())).isFalse();
    }

    @Test
    void pkcs12StoresHoldTheKeyAndTheChain() throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir,
                DevCertificates.Options.builder().p12Password("s3cret").build());
        X509Certificate ca = PemFiles.certificate(written.caCert());

        for (var entry : List.of(List.of(written.serverP12(), "server", written.serverCert()),
                List.of(written.clientP12(), "client", written.clientCert()))) {
            KeyStore store = PemFiles.pkcs12((Path) entry.get(0), "s3cret");
            String alias = (String) entry.get(1);
            assertThat(store.aliases().asIterator()).toIterable().containsExactly(alias);
            assertThat(store.isKeyEntry(alias)).isTrue();
            PrivateKey key = (PrivateKey) store.getKey(alias, "s3cret".toCharArray());
            X509Certificate leaf = PemFiles.certificate((Path) entry.get(2));
            assertThat(store.getCertificateChain(alias)).containsExactly(leaf, ca);
            assertThat(PemFiles.matches(key, leaf.getPublicKey())).isTrue();
        }
        assertThatThrownBy(() -> PemFiles.pkcs12(written.serverP12(), "changeit")).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void privateKeysAndStoresAreOwnerOnly() throws Exception {
        assumeTrue(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX file system");
        DevCertificates.Written written = DevCertificates.write(dir, DevCertificates.Options.defaults());

        for (Path secret : List.of(written.caKey(), written.serverKey(), written.clientKey(), written.serverP12(),
                written.clientP12())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret))).as(secret.toString())
                    .isEqualTo("rw-------");
        }
        for (Path cert : List.of(written.caCert(), written.serverCert(), written.clientCert())) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cert))).as(cert.toString())
                    .isEqualTo("rw-r--r--");
        }
    }

    @Test
    void existingFileIsNotOverwrittenAndNothingElseIsWritten() throws Exception {
        Path existing = dir.resolve("server-key.pem");
        Files.writeString(existing, "keep me");

        assertThatThrownBy(() -> DevCertificates.write(dir, DevCertificates.Options.defaults()))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining("server-key.pem");
        assertThat(existing).hasContent("keep me");
        try (var listing = Files.list(dir)) {
            assertThat(listing).containsExactly(existing);
        }

        DevCertificates.Written written = DevCertificates.write(dir,
                DevCertificates.Options.builder().overwrite(true).build());
        assertThat(Files.readString(existing)).startsWith(PemFiles.KEY_BEGIN);
        assertThat(PemFiles.matches(PemFiles.privateKey(existing, "EC"),
                PemFiles.certificate(written.serverCert()).getPublicKey())).isTrue();
    }

    @Test
    void createsTheDirectoryWhenMissing() throws Exception {
        Path nested = dir.resolve("a/b");
        DevCertificates.write(nested, DevCertificates.Options.defaults());
        assertThat(nested.resolve("ca.pem")).isRegularFile();
    }

    @Test
    void aClockInThePastMakesExpiredCertificates() throws Exception {
        Instant now = Instant.now();
        Clock past = Clock.fixed(now.minus(Duration.ofDays(60)), ZoneOffset.UTC);
        DevCertificates.Written written = DevCertificates.write(dir,
                DevCertificates.Options.builder().clock(past).days(30).build());
        X509Certificate ca = PemFiles.certificate(written.caCert());
        X509Certificate server = PemFiles.certificate(written.serverCert());

        assertThat(server.getNotAfter().toInstant()).isBefore(now);
        assertThatThrownBy(server::checkValidity).isInstanceOf(CertificateExpiredException.class);
        assertThatThrownBy(() -> pkixValidate(server, ca, Date.from(now)))
                .isInstanceOf(CertPathValidatorException.class)
                .satisfies(e -> assertThat(((CertPathValidatorException) e).getReason())
                        .isEqualTo(CertPathValidatorException.BasicReason.EXPIRED));
        // valid back then
        pkixValidate(server, ca, Date.from(now.minus(Duration.ofDays(45))));
    }

    @Test
    void validityDefaultsToNowAndDaysAndCanBeSetExactly() throws Exception {
        Instant now = Instant.parse("2030-01-02T03:04:05Z");
        DevCertificates.Pki pki = DevCertificates.generate(DevCertificates.Options.builder()
                .clock(Clock.fixed(now, ZoneOffset.UTC)).days(7).build());
        for (X509Certificate cert : List.of(pki.ca().certificate(), pki.server().certificate(),
                pki.client().certificate())) {
            assertThat(cert.getNotBefore().toInstant()).isEqualTo(now.minus(DevCertificates.BACKDATE));
            assertThat(cert.getNotAfter().toInstant()).isEqualTo(now.plus(Duration.ofDays(7)));
        }

        Instant from = Instant.parse("2020-05-01T00:00:00Z");
        Instant until = Instant.parse("2020-05-02T00:00:00Z");
        DevCertificates.Pki exact = DevCertificates.generate(DevCertificates.Options.builder()
                .validity(from, until).build());
        assertThat(exact.server().certificate().getNotBefore().toInstant()).isEqualTo(from);
        assertThat(exact.server().certificate().getNotAfter().toInstant()).isEqualTo(until);
    }

    @Test
    void serialNumbersAreRandom() {
        DevCertificates.Pki a = DevCertificates.generate(DevCertificates.Options.defaults());
        DevCertificates.Pki b = DevCertificates.generate(DevCertificates.Options.defaults());
        assertThat(Set.of(a.ca().certificate().getSerialNumber(), a.server().certificate().getSerialNumber(),
                a.client().certificate().getSerialNumber(), b.ca().certificate().getSerialNumber(),
                b.server().certificate().getSerialNumber(), b.client().certificate().getSerialNumber())).hasSize(6);
        assertThat(a.ca().certificate().getSerialNumber().bitLength()).isLessThanOrEqualTo(159);
    }

    @ParameterizedTest
    @EnumSource(DevCertificates.KeyType.class)
    void everyKeyTypeMakesAValidChain(DevCertificates.KeyType type) throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir,
                DevCertificates.Options.builder().keyType(type).build());
        X509Certificate ca = PemFiles.certificate(written.caCert());
        X509Certificate server = PemFiles.certificate(written.serverCert());

        assertThat(server.getSigAlgName()).isEqualToIgnoringCase(type.signatureAlgorithm());
        pkixValidate(server, ca, new Date());
        String algorithm = ca.getPublicKey().getAlgorithm();
        assertThat(PemFiles.matches(PemFiles.privateKey(written.serverKey(), algorithm), server.getPublicKey()))
                .isTrue();
        handshake(written, "localhost", true);
    }

    @Test
    void hostsReplaceTheDefaultsAndAreNormalised() throws Exception {
        DevCertificates.Options options = DevCertificates.Options.builder()
                .hosts("Conduit.Test", "[fe80::1]", "10.1.2.3", "*.svc.local", "conduit.test").build();
        assertThat(options.hosts()).containsExactly("conduit.test", "fe80::1", "10.1.2.3", "*.svc.local");
        X509Certificate server = DevCertificates.generate(options).server().certificate();
        assertThat(PemFiles.sans(server)).containsExactly(List.of(SAN_DNS, "conduit.test"),
                List.of(SAN_IP, "fe80:0:0:0:0:0:0:1"), List.of(SAN_IP, "10.1.2.3"), List.of(SAN_DNS, "*.svc.local"));
    }

    @Test
    void badOptionsAreRefused() {
        var b = DevCertificates.Options.builder();
        assertThatThrownBy(() -> DevCertificates.Options.builder().hosts().build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one host");
        assertThatThrownBy(() -> DevCertificates.Options.builder().hosts("bad_host").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad_host");
        assertThatThrownBy(() -> DevCertificates.Options.builder().hosts("300.1.1.1").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IP address");
        assertThatThrownBy(() -> DevCertificates.Options.builder().hosts("::g").build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DevCertificates.Options.builder().clientName(" ").build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DevCertificates.Options.builder().clientUri("no-scheme").build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DevCertificates.Options.builder().clientEmail("nobody").build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.clientSan("ip:1.2.3.4")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DevCertificates.Options.builder().days(0).build())
                .isInstanceOf(IllegalArgumentException.class);
        Instant t = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        assertThatThrownBy(() -> DevCertificates.Options.builder().validity(t, t).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DevCertificates.KeyType.parse("dsa")).isInstanceOf(IllegalArgumentException.class);
        assertThat(DevCertificates.KeyType.parse("rsa-2048")).isEqualTo(DevCertificates.KeyType.RSA_2048);
        assertThat(DevCertificates.KeyType.parse("EC_P256")).isEqualTo(DevCertificates.KeyType.EC_P256);
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "127.0.0.1", "::1"})
    void tls13HandshakeWithHostNameVerificationSucceedsForEachDefaultHost(String host) throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir, DevCertificates.Options.defaults());
        handshake(written, host, false);
    }

    @Test
    void mutualTlsHandshakeAuthenticatesTheClient() throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir, DevCertificates.Options.defaults());
        SSLEngine server = handshake(written, "localhost", true);
        X509Certificate peer = (X509Certificate) server.getSession().getPeerCertificates()[0];
        assertThat(peer.getSubjectX500Principal().getName()).isEqualTo("CN=conduit-client");
    }

    @Test
    void hostNameVerificationRejectsAHostNotInTheCertificate() throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir, DevCertificates.Options.defaults());
        assertThatThrownBy(() -> handshake(written, "conduit.example", false))
                .isInstanceOf(SSLHandshakeException.class).hasMessageContaining("conduit.example");
    }

    @Test
    void aClientTrustingAnotherCaRejectsTheServer() throws Exception {
        DevCertificates.Written written = DevCertificates.write(dir, DevCertificates.Options.defaults());
        DevCertificates.Written other = DevCertificates.write(dir.resolve("other"), DevCertificates.Options.defaults());
        SSLEngine client = clientEngine(PemFiles.certificate(other.caCert()), null, "localhost");
        SSLEngine server = serverEngine(written, false);
        assertThatThrownBy(() -> exchange(client, server)).isInstanceOf(SSLHandshakeException.class)
                .hasMessageContaining("PKIX path");
    }

    private static void pkixValidate(X509Certificate leaf, X509Certificate ca, Date at) throws Exception {
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        parameters.setRevocationEnabled(false);
        parameters.setDate(at);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), parameters);
    }

    /**
     * A TLS 1.3 handshake in memory between a server using server.p12 and a client trusting ca.pem,
     * checking the host name as HTTPS does; with {@code mutual}, the client presents client.p12 and the
     * server requires it. Returns the server's engine once both sides have exchanged a message.
     */
    private static SSLEngine handshake(DevCertificates.Written written, String host, boolean mutual)
            throws Exception {
        X509Certificate ca = PemFiles.certificate(written.caCert());
        SSLEngine client = clientEngine(ca, mutual ? written.clientP12() : null, host);
        SSLEngine server = serverEngine(written, mutual);
        exchange(client, server);
        assertThat(client.getSession().getProtocol()).isEqualTo("TLSv1.3");
        assertThat(client.getSession().getPeerCertificates()[0])
                .isEqualTo(PemFiles.certificate(written.serverCert()));
        return server;
    }

    private static SSLEngine serverEngine(DevCertificates.Written written, boolean requireClientCert)
            throws Exception {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(PemFiles.pkcs12(written.serverP12(), "changeit"), "changeit".toCharArray());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(PemFiles.trusting(PemFiles.certificate(written.caCert())));
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        engine.setEnabledProtocols(new String[] {"TLSv1.3"});
        engine.setNeedClientAuth(requireClientCert);
        return engine;
    }

    private static SSLEngine clientEngine(X509Certificate trustedCa, Path clientP12, String host) throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(PemFiles.trusting(trustedCa));
        KeyManagerFactory keys = null;
        if (clientP12 != null) {
            keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(PemFiles.pkcs12(clientP12, "changeit"), "changeit".toCharArray());
        }
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
        SSLEngine engine = context.createSSLEngine(host, 7440);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.3"});
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(parameters);
        return engine;
    }

    /** Drives both engines until the handshake is done and each has received the other's message. */
    private static void exchange(SSLEngine client, SSLEngine server) throws SSLException {
        int packet = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
        int app = Math.max(client.getSession().getApplicationBufferSize(),
                server.getSession().getApplicationBufferSize());
        ByteBuffer clientToServer = ByteBuffer.allocate(4 * packet);
        ByteBuffer serverToClient = ByteBuffer.allocate(4 * packet);
        ByteBuffer clientIn = ByteBuffer.allocate(app);
        ByteBuffer serverIn = ByteBuffer.allocate(app);
        ByteBuffer ping = ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer pong = ByteBuffer.wrap("pong".getBytes(StandardCharsets.US_ASCII));
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 100; round++) {
            wrap(client, ping, clientToServer);
            wrap(server, pong, serverToClient);
            unwrap(server, clientToServer, serverIn);
            unwrap(client, serverToClient, clientIn);
            if (serverIn.position() == 4 && clientIn.position() == 4) {
                assertThat(new String(serverIn.array(), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("ping");
                assertThat(new String(clientIn.array(), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("pong");
                return;
            }
        }
        throw new AssertionError("no handshake after 100 rounds: client " + client.getHandshakeStatus()
                + ", server " + server.getHandshakeStatus());
    }

    private static void wrap(SSLEngine engine, ByteBuffer data, ByteBuffer net) throws SSLException {
        SSLEngineResult result = engine.wrap(data, net);
        runTasks(engine);
        assertThat(result.getStatus()).isIn(SSLEngineResult.Status.OK, SSLEngineResult.Status.CLOSED);
    }

    private static void unwrap(SSLEngine engine, ByteBuffer net, ByteBuffer data) throws SSLException {
        net.flip();
        try {
            while (net.hasRemaining()) {
                SSLEngineResult result = engine.unwrap(net, data);
                runTasks(engine);
                if (result.getStatus() != SSLEngineResult.Status.OK || result.bytesConsumed() == 0) {
                    break;
                }
            }
        } finally {
            net.compact();
        }
    }

    private static void runTasks(SSLEngine engine) {
        for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
            task.run();
        }
    }
}

package dev.conduit.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conduit.cli.DevCertificates;
import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.ConnectFailedException;
import dev.conduit.client.Message;
import dev.conduit.client.ServerErrorException;
import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.server.AuthConfig;
import dev.conduit.server.CertificatePrincipal;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import dev.conduit.server.spi.Permissions;
import dev.conduit.transport.ClientTls;
import dev.conduit.transport.ServerTls;
import dev.conduit.transport.TlsProvider;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TLS on real sockets: both providers, the protocol versions refused, plaintext on the TLS port, the
 * wrong certificate authority, a host name the certificate does not name, mutual TLS, and a
 * certificate rotated while the server runs. Certificates come from {@link DevCertificates}, the code
 * behind {@code conduit certs}.
 */
class TlsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private DevCertificates.Written pki(String name, String... hosts) throws IOException {
        DevCertificates.Options.Builder options = DevCertificates.Options.builder().clientName("alice");
        if (hosts.length > 0) {
            options.hosts(hosts);
        }
        return DevCertificates.write(dir.resolve(name), options.build());
    }

    private Server start(ServerTls tls, UnaryOperator<ServerConfig.Builder> more) {
        Server server = Server.create(more.apply(ServerConfig.builder().port(0).httpPort(-1).ioThreads(2).tls(tls))
                .build(), registry).start();
        open.add(server);
        return server;
    }

    private Client connect(String url, ClientTls tls, UnaryOperator<ClientOptions.Builder> more) {
        Client c = Client.connect(more.apply(ClientOptions.builder().endpoints(url).tls(tls)
                .initialConnectJitter(Duration.ZERO)).build());
        open.add(c);
        return c;
    }

    private static String tlsUrl(Server server, String host) {
        return "tls://" + host + ":" + server.address().getPort();
    }

    private double tlsHandshakeFailures() {
        Counter c = registry.find("conduit.handshake.failures").tag("reason", "tls").counter();
        return c == null ? 0 : c.count();
    }

    /** A publish, a delivery and a request with its reply, over the given clients. */
    private static void roundTrip(Client a, Client b) throws Exception {
        List<String> got = new CopyOnWriteArrayList<>();
        b.subscribe("tls.demo", m -> got.add(m.payloadAsString()));
        b.subscribe("tls.echo", m -> m.reply(("echo " + m.payloadAsString()).getBytes(UTF_8)));
        b.flush(WAIT).get();
        a.publish("tls.demo", "hello".getBytes(UTF_8));
        await().atMost(WAIT).until(() -> got.size() == 1);
        assertThat(got).containsExactly("hello");
        Message reply = a.requestAndWait("tls.echo", "ping".getBytes(UTF_8), WAIT);
        assertThat(reply.payloadAsString()).isEqualTo("echo ping");
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void clientsTalkOverTls13WithEitherProvider(TlsProvider provider) throws Exception {
        assertThat(TlsProvider.openSslAvailable()).as("netty-tcnative's BoringSSL loads here").isTrue();
        DevCertificates.Written pki = pki("a");
        Server server = start(ServerTls.pem(pki.serverCert(), pki.serverKey()).provider(provider).build(), b -> b);
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.caCert()).provider(provider).build();
        Client a = connect(tlsUrl(server, "localhost"), tls, b -> b);
        Client b = connect(tlsUrl(server, "127.0.0.1"), tls, o -> o);
        roundTrip(a, b);
        assertThat(registry.get("conduit.connections").tag("transport", "tls").gauge().value()).isEqualTo(2);

        try (SSLSocket s = jdkSocket(server, trusting(pki.caCert()), "TLSv1.3", "TLSv1.2")) {
            s.startHandshake();
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
            assertThat(s.getSession().getCipherSuite()).isIn("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                    "TLS_CHACHA20_POLY1305_SHA256");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void tls12IsRefusedUnlessConfiguredAndThenOnlyWithModernSuites(TlsProvider provider) throws Exception {
        DevCertificates.Written pki = pki("a");
        Server strict = start(ServerTls.pem(pki.serverCert(), pki.serverKey()).provider(provider).build(), b -> b);
        try (SSLSocket s = jdkSocket(strict, trusting(pki.caCert()), "TLSv1.2")) {
            assertThatThrownBy(s::startHandshake).isInstanceOf(SSLException.class);
        }
        await().atMost(WAIT).until(() -> tlsHandshakeFailures() == 1);

        Server lenient = start(ServerTls.pem(pki.serverCert(), pki.serverKey()).provider(provider)
                .protocols(List.of("TLSv1.3", "TLSv1.2")).build(), b -> b);
        try (SSLSocket s = jdkSocket(lenient, trusting(pki.caCert()), "TLSv1.2")) {
            s.startHandshake();
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.2");
            assertThat(s.getSession().getCipherSuite()).startsWith("TLS_ECDHE_").containsAnyOf("_GCM_", "_CHACHA20_");
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void aTls11HelloGetsNoServerHello(TlsProvider provider) throws Exception {
        DevCertificates.Written pki = pki("a");
        Server server = start(ServerTls.pem(pki.serverCert(), pki.serverKey()).provider(provider)
                .protocols(List.of("TLSv1.3", "TLSv1.2")).build(), b -> b);
        // A ClientHello that offers TLS 1.1 at most (a JDK client will not send one any more). The
        // answer must be an alert (content type 21) or nothing, never a ServerHello (22).
        byte[] answer = exchange(server.address(), tls11ClientHello());
        assertThat(answer.length == 0 || answer[0] == 21).as("answer %s", HexFormatting.hex(answer)).isTrue();
        await().atMost(WAIT).until(() -> tlsHandshakeFailures() == 1);
    }

    @Test
    void plaintextOnTheTlsPortIsClosedAndOthersKeepWorking() throws Exception {
        DevCertificates.Written pki = pki("a");
        Server server = start(ServerTls.pem(pki.serverCert(), pki.serverKey()).build(), b -> b);
        ByteBuffer hello = FrameCodec.encode(Frame.Hello.anonymous(1, "plain"));
        byte[] answer = exchange(server.address(), java.util.Arrays.copyOfRange(hello.array(), hello.arrayOffset(),
                hello.arrayOffset() + hello.remaining()));
        // No WELCOME, only (at most) a TLS alert before the close.
        assertThat(answer.length == 0 || answer[0] == 21).as("answer %s", HexFormatting.hex(answer)).isTrue();
        await().atMost(WAIT).until(() -> tlsHandshakeFailures() == 1);

        assertThatThrownBy(() -> connect("tcp://127.0.0.1:" + server.address().getPort(), ClientTls.DEFAULT,
                b -> b.connectTimeout(Duration.ofSeconds(5)))).isInstanceOf(ConnectFailedException.class);

        ClientTls tls = ClientTls.builder().trustedCertificates(pki.caCert()).build();
        roundTrip(connect(tlsUrl(server, "localhost"), tls, b -> b), connect(tlsUrl(server, "localhost"), tls, b -> b));
    }

    @Test
    void aServerCertificateFromAnotherAuthorityIsRefused() throws Exception {
        DevCertificates.Written served = pki("a");
        DevCertificates.Written other = pki("b");
        Server server = start(ServerTls.pem(served.serverCert(), served.serverKey()).build(), b -> b);
        assertThatThrownBy(() -> connect(tlsUrl(server, "localhost"),
                ClientTls.builder().trustedCertificates(other.caCert()).build(), b -> b))
                .isInstanceOf(ConnectFailedException.class)
                .hasMessageContaining("tls://localhost:" + server.address().getPort())
                .hasMessageContaining("TLS handshake failed").hasMessageContaining("trust anchors");
        // The JDK's own authorities do not know a throw-away CA either.
        assertThatThrownBy(() -> connect(tlsUrl(server, "localhost"), ClientTls.DEFAULT, b -> b))
                .isInstanceOf(ConnectFailedException.class);
        await().atMost(WAIT).until(() -> tlsHandshakeFailures() == 2);
    }

    @Test
    void aHostNameTheCertificateDoesNotNameIsRefusedUnlessVerificationIsOff() throws Exception {
        DevCertificates.Written pki = pki("a", "conduit.example");
        Server server = start(ServerTls.pem(pki.serverCert(), pki.serverKey()).build(), b -> b);
        ClientTls verifying = ClientTls.builder().trustedCertificates(pki.caCert()).build();
        assertThatThrownBy(() -> connect(tlsUrl(server, "localhost"), verifying, b -> b))
                .isInstanceOf(ConnectFailedException.class).hasMessageContaining("localhost");
        assertThatThrownBy(() -> connect(tlsUrl(server, "127.0.0.1"), verifying, b -> b))
                .isInstanceOf(ConnectFailedException.class);
        // The same certificate and authority, with the check off: so the host name was the reason.
        ClientTls unchecked = ClientTls.builder().trustedCertificates(pki.caCert()).verifyHostname(false).build();
        roundTrip(connect(tlsUrl(server, "localhost"), unchecked, b -> b), connect(tlsUrl(server, "localhost"), unchecked, b -> b));
    }

    @Test
    void requiredClientCertificatesNameThePrincipalAndTheirAbsenceIsRefused() throws Exception {
        DevCertificates.Written pki = pki("a");
        Permissions aliceOnly = new Permissions(List.of("alice.>", "tls.>"), List.of(), null, List.of(), true);
        Server server = start(ServerTls.pem(pki.serverCert(), pki.serverKey())
                .clientAuth(ServerTls.ClientAuth.REQUIRE, pki.caCert()).build(), b -> b.auth(AuthConfig.builder()
                .mtls(CertificatePrincipal.SUBJECT_CN).permissions("alice", aliceOnly)
                .permissions(AuthConfig.DEFAULT_PERMISSIONS, new Permissions(List.of(), List.of(), List.of(), List.of(), false))
                .build()));
        ClientTls noCertificate = ClientTls.builder().trustedCertificates(pki.caCert()).build();
        assertThatThrownBy(() -> connect(tlsUrl(server, "localhost"), noCertificate, b -> b))
                .isInstanceOf(ConnectFailedException.class);
        await().atMost(WAIT).until(() -> tlsHandshakeFailures() == 1);

        ClientTls alice = ClientTls.builder().trustedCertificates(pki.caCert())
                .certificate(pki.clientCert(), pki.clientKey(), null).build();
        List<ConduitException> errors = new CopyOnWriteArrayList<>();
        ClientListener listener = new ClientListener() {
            @Override
            public void onError(ConduitException error) {
                errors.add(error);
            }
        };
        Client a = connect(tlsUrl(server, "localhost"), alice, b -> b.listener(listener));
        Client b = connect(tlsUrl(server, "localhost"), alice, o -> o);
        roundTrip(a, b);
        // The principal is the certificate's CN, alice: what her permissions do not allow is denied.
        a.publish("bob.x", "no".getBytes(UTF_8));
        await().atMost(WAIT).until(() -> !errors.isEmpty());
        assertThat(errors.getFirst()).isInstanceOf(ServerErrorException.class).hasMessageContaining("bob.x");
        assertThat(((ServerErrorException) errors.getFirst()).code()).isEqualTo(403);
    }

    @Test
    void withRequestedCertificatesAClientWithoutOneOrWithoutThePartThatNamesThePrincipalIs401() throws Exception {
        DevCertificates.Written pki = pki("a"); // the client certificate has a CN but no URI
        Server server = start(ServerTls.pem(pki.serverCert(), pki.serverKey())
                .clientAuth(ServerTls.ClientAuth.REQUEST, pki.caCert()).build(),
                b -> b.auth(AuthConfig.builder().mtls(CertificatePrincipal.SAN_URI).build()));
        ClientTls noCertificate = ClientTls.builder().trustedCertificates(pki.caCert()).build();
        ClientTls noUri = ClientTls.builder().trustedCertificates(pki.caCert())
                .certificate(pki.clientCert(), pki.clientKey(), null).build();
        for (ClientTls tls : List.of(noCertificate, noUri)) {
            assertThatThrownBy(() -> connect(tlsUrl(server, "localhost"), tls, b -> b))
                    .isInstanceOf(ConnectFailedException.class).hasMessageContaining("401");
        }
        await().atMost(WAIT).until(() -> authFailures("no_credentials") == 1 && authFailures("bad_certificate") == 1);
        assertThat(tlsHandshakeFailures()).isZero();
    }

    private double authFailures(String reason) {
        Counter c = registry.find("conduit.auth.failures").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aSubjectAlternativeNameCanNameThePrincipal() throws Exception {
        DevCertificates.Written pki = DevCertificates.write(dir.resolve("uri"), DevCertificates.Options.builder()
                .clientName("ignored-cn").clientUri("spiffe://conduit.test/billing").build());
        Permissions billingOnly = new Permissions(List.of("billing.>", "tls.>"), List.of(), null, List.of(), true);
        Server server = start(ServerTls.pem(pki.serverCert(), pki.serverKey())
                .clientAuth(ServerTls.ClientAuth.REQUIRE, pki.caCert()).build(), b -> b.auth(AuthConfig.builder()
                .mtls(CertificatePrincipal.SAN_URI).permissions("spiffe://conduit.test/billing", billingOnly)
                .permissions(AuthConfig.DEFAULT_PERMISSIONS, new Permissions(List.of(), List.of(), List.of(), List.of(), false))
                .build()));
        ClientTls billing = ClientTls.builder().trustedCertificates(pki.caCert())
                .keyStore(pki.clientP12(), DevCertificates.Options.DEFAULT_P12_PASSWORD).build();
        // Only the entry of the URI principal allows tls.>: the default entry allows nothing.
        roundTrip(connect(tlsUrl(server, "localhost"), billing, b -> b), connect(tlsUrl(server, "localhost"), billing, b -> b));
    }

    @Test
    void aPkcs12KeyStoreOnTheServerAndAPkcs12TrustStoreOnTheClientWork() throws Exception {
        DevCertificates.Written pki = pki("a");
        Server server = start(ServerTls.pkcs12(pki.serverP12(), DevCertificates.Options.DEFAULT_P12_PASSWORD).build(), b -> b);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", pki.pki().ca().certificate());
        Path trustStore = dir.resolve("trust.p12");
        try (var out = Files.newOutputStream(trustStore)) {
            trust.store(out, "trust-pass".toCharArray());
        }
        ClientTls tls = ClientTls.builder().trustStore(trustStore, "trust-pass").build();
        roundTrip(connect(tlsUrl(server, "localhost"), tls, b -> b), connect(tlsUrl(server, "127.0.0.1"), tls, b -> b));
    }

    @Test
    void requestedClientCertificatesAreOptional() throws Exception {
        DevCertificates.Written pki = pki("a");
        Server server = start(ServerTls.pem(pki.serverCert(), pki.serverKey())
                .clientAuth(ServerTls.ClientAuth.REQUEST, pki.caCert()).build(), b -> b);
        ClientTls noCertificate = ClientTls.builder().trustedCertificates(pki.caCert()).build();
        ClientTls withCertificate = ClientTls.builder().trustedCertificates(pki.caCert())
                .keyStore(pki.clientP12(), DevCertificates.Options.DEFAULT_P12_PASSWORD).build();
        roundTrip(connect(tlsUrl(server, "localhost"), noCertificate, b -> b),
                connect(tlsUrl(server, "localhost"), withCertificate, b -> b));
    }

    @Test
    void aRotatedCertificateIsServedToNewConnectionsWithoutARestart() throws Exception {
        DevCertificates.Written first = pki("first");
        Path live = Files.createDirectories(dir.resolve("live"));
        Path cert = live.resolve("server.pem");
        Path key = live.resolve("server-key.pem");
        Files.copy(first.serverCert(), cert);
        Files.copy(first.serverKey(), key);
        Server server = start(ServerTls.pem(cert, key).reloadInterval(Duration.ofMillis(50)).build(), b -> b);
        ClientTls trustFirst = ClientTls.builder().trustedCertificates(first.caCert()).build();
        Client before = connect(tlsUrl(server, "localhost"), trustFirst, b -> b);
        assertThat(presentedSerial(server)).isEqualTo(first.pki().server().certificate().getSerialNumber());

        DevCertificates.Written second = pki("second");
        // The key first, then the certificate: in between, the pair does not match and is not used.
        Files.copy(second.serverKey(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(second.serverCert(), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        BigInteger rotated = second.pki().server().certificate().getSerialNumber();
        await().atMost(WAIT).until(() -> presentedSerial(server).equals(rotated));

        // New clients trust the new authority; the connection opened before keeps working.
        Client after = connect(tlsUrl(server, "localhost"),
                ClientTls.builder().trustedCertificates(second.caCert()).build(), b -> b);
        roundTrip(before, after);
        assertThatThrownBy(() -> connect(tlsUrl(server, "localhost"), trustFirst, b -> b))
                .isInstanceOf(ConnectFailedException.class);
    }

    @Test
    void wssClientsAndHttpsShareTheHttpPortWithTheSameCertificate() throws Exception {
        DevCertificates.Written pki = pki("a");
        Server server = start(ServerTls.pem(pki.serverCert(), pki.serverKey()).build(), b -> b.httpPort(0));
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.caCert()).build();
        Client overWss = connect("wss://localhost:" + server.httpAddress().getPort() + "/conduit", tls, b -> b);
        Client overTls = connect(tlsUrl(server, "localhost"), tls, b -> b);
        roundTrip(overWss, overTls);
        roundTrip(overTls, overWss);
        assertThat(registry.get("conduit.connections").tag("transport", "wss").gauge().value()).isEqualTo(1);

        HttpClient http = HttpClient.newBuilder().sslContext(sslContext(trusting(pki.caCert()))).build();
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                URI.create("https://localhost:" + server.httpAddress().getPort() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
    }

    @Test
    void connectionsThatNeverFinishTheTlsHandshakeAreClosedByTheHandshakeDeadline() throws Exception {
        DevCertificates.Written pki = pki("a");
        Server server = start(ServerTls.pem(pki.serverCert(), pki.serverKey()).build(),
                b -> b.handshakeTimeout(Duration.ofMillis(500)).drainTimeout(Duration.ofMillis(200)));
        byte[] hello = tls11ClientHello();
        List<Socket> stalled = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Socket s = new Socket(server.address().getAddress(), server.address().getPort());
            open.add(s);
            s.setSoTimeout((int) WAIT.toMillis());
            if (i % 2 == 1) {
                s.getOutputStream().write(hello, 0, 7); // half a record header and a bit: then nothing
                s.getOutputStream().flush();
            }
            stalled.add(s);
        }
        ClientTls tls = ClientTls.builder().trustedCertificates(pki.caCert()).build();
        roundTrip(connect(tlsUrl(server, "localhost"), tls, b -> b), connect(tlsUrl(server, "localhost"), tls, b -> b));
        for (Socket s : stalled) {
            assertThat(readUntilClosed(s)).as("bytes before the close").isLessThan(4096);
        }
        Counter timeouts = registry.find("conduit.handshake.failures").tag("reason", "timeout").counter();
        assertThat(timeouts).isNotNull();
        assertThat(timeouts.count()).isEqualTo(100);
    }

    /** Reads until the peer closes (or resets); returns how many bytes came. */
    private static int readUntilClosed(Socket s) throws IOException {
        int total = 0;
        byte[] buf = new byte[1024];
        try {
            for (int n = s.getInputStream().read(buf); n >= 0; n = s.getInputStream().read(buf)) {
                total += n;
            }
        } catch (java.net.SocketException reset) {
            // closed by a reset: closed all the same
        }
        return total;
    }

    @Test
    void badTlsFilesFailTheStartNamingTheFile() {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> start(ServerTls.pem(missing, missing).build(), b -> b))
                .hasMessageContaining(missing.toString());
    }

    // ---- helpers

    private static X509TrustManager trusting(Path caPem) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return (X509TrustManager) tmf.getTrustManagers()[0];
    }

    private static SSLContext sslContext(TrustManager trust) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {trust}, null);
        return context;
    }

    private static SSLSocket jdkSocket(Server server, TrustManager trust, String... protocols) throws Exception {
        SSLSocket s = (SSLSocket) sslContext(trust).getSocketFactory().createSocket("127.0.0.1", server.address().getPort());
        s.setSoTimeout((int) WAIT.toMillis());
        s.setEnabledProtocols(protocols);
        return s;
    }

    /** The serial number of the certificate the server presents to a new connection. */
    private static BigInteger presentedSerial(Server server) throws Exception {
        X509TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try (SSLSocket s = jdkSocket(server, trustAll, "TLSv1.3")) {
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    /** Sends the bytes and reads what comes back until the server closes (or 64 KiB). */
    private static byte[] exchange(InetSocketAddress address, byte[] bytes) throws IOException {
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout((int) WAIT.toMillis());
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int n;
            try {
                while (got.size() < 65536 && (n = s.getInputStream().read(buf)) >= 0) {
                    got.write(buf, 0, n);
                }
            } catch (java.net.SocketException reset) {
                // A reset after the alert is a close too.
            }
            return got.toByteArray();
        }
    }

    /**
     * A TLS 1.1 ClientHello: record version 3.1, client version 3.2 (TLS 1.1), CBC suites of that
     * era, no extensions (so no supported_versions: TLS 1.1 is the most it offers).
     */
    private static byte[] tls11ClientHello() {
        ByteBuffer body = ByteBuffer.allocate(128);
        body.put((byte) 0x03).put((byte) 0x02);           // client version TLS 1.1
        body.put(new byte[32]);                            // random
        body.put((byte) 0);                                // session id: none
        body.putShort((short) 4).putShort((short) 0xC013).putShort((short) 0x002F); // ECDHE_RSA/RSA AES128-CBC-SHA
        body.put((byte) 1).put((byte) 0);                  // compression: null
        body.flip();
        ByteBuffer record = ByteBuffer.allocate(9 + body.remaining());
        record.put((byte) 22).put((byte) 3).put((byte) 1).putShort((short) (4 + body.remaining()));
        record.put((byte) 1).put((byte) 0).putShort((short) body.remaining()); // handshake: client_hello, 24-bit length
        record.put(body);
        return record.array();
    }

    /** Hex for assertion messages. */
    private static final class HexFormatting {
        static String hex(byte[] bytes) {
            return java.util.HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 32));
        }
    }
}

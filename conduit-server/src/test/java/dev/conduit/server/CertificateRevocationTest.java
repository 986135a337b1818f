package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.protocol.ProtocolVersion;
import dev.conduit.testkit.ManualClock;
import dev.conduit.testkit.RawFrameClient;
import dev.conduit.transport.ServerTls;
import dev.conduit.transport.TlsProvider;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.RevocationServer;
import io.netty.pkitesting.X509Bundle;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A client certificate revoked while its connection is open ({@code tls.clientCrl} replaced on
 * disk): within one reload interval of the server's clock, its live session gets a fatal {@code 401}
 * naming the revocation, an audit line {@code closed ... reason=revoked}, and is ended rather than
 * kept for resumption; on the binary TLS port (both providers) and on a WSS link. Other clients stay.
 * Time is a {@link ManualClock}: advancing it by the reload interval runs the check on the TLS reload
 * thread, which the test waits for by its effect, never by sleeping.
 */
class CertificateRevocationTest {
    private static final Duration RELOAD = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final ManualClock clock = ManualClock.create();
    private final List<String> audit = new CopyOnWriteArrayList<>();
    private RoutingServer server;
    private RevocationServer revocations;
    private X509Bundle serverCa;
    private X509Bundle clientCa;
    private X509Bundle alice;
    private X509Bundle bob;
    private Path crl;

    @BeforeEach
    void pki() throws Exception {
        serverCa = new CertificateBuilder().subject("CN=server CA").setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        // A client CA of its own per test: what the JVM-wide revocation server revoked stays revoked.
        clientCa = new CertificateBuilder().subject("CN=client CA").setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        alice = new CertificateBuilder().subject("CN=alice").addExtendedKeyUsageClientAuth().ecp256().buildIssuedBy(clientCa);
        bob = new CertificateBuilder().subject("CN=bob").addExtendedKeyUsageClientAuth().ecp256().buildIssuedBy(clientCa);
        revocations = RevocationServer.getInstance();
        revocations.register(clientCa);
        crl = publishCrl();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /**
     * Long enough that an idle kept-alive HTTPS connection is closed by the revocation, not by the
     * HTTP port's deadline (which runs on real time) within the test's 20 s read timeout.
     */
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(60);

    private void start(TlsProvider provider, int httpPort) throws Exception {
        X509Bundle cert = new CertificateBuilder().subject("CN=localhost").addSanDnsName("localhost")
                .addSanIpAddress("127.0.0.1").ecp256().buildIssuedBy(serverCa);
        ServerTls tls = ServerTls.pem(write("server.pem", cert.getCertificatePathPEM()), write("server-key.pem",
                        cert.getPrivateKeyPEM()))
                .clientAuth(ServerTls.ClientAuth.REQUIRE, write("client-ca.pem", clientCa.getCertificatePEM()))
                .clientCrl(crl).provider(provider).reloadInterval(RELOAD).build();
        server = RoutingServer.create(ServerConfig.builder().host("127.0.0.1").port(0).ioThreads(2).httpPort(httpPort)
                .clock(clock).heartbeatInterval(Duration.ZERO).drainTimeout(Duration.ofSeconds(1)).tls(tls)
                .handshakeTimeout(HANDSHAKE_TIMEOUT)
                .auth(AuthConfig.builder().failedAuthDelay(Duration.ZERO).mtls(CertificatePrincipal.SUBJECT_CN).build())
                .build());
        server.audit().tap(audit::add);
        server.start();
    }

    private Path write(String name, String pem) throws Exception {
        return Files.writeString(dir.resolve(name), pem);
    }

    /** Writes the CRL the revocation server now serves for the client CA into {@code crl.der}, in one step. */
    private Path publishCrl() throws Exception {
        URI uri = revocations.getCrlUri(clientCa);
        assertThat(uri.getHost()).isIn("127.0.0.1", "localhost");
        java.net.URLConnection http = uri.toURL().openConnection();
        http.setConnectTimeout(10_000);
        http.setReadTimeout(10_000);
        try (InputStream in = http.getInputStream()) {
            Path tmp = Files.write(dir.resolve("crl.tmp"), in.readAllBytes());
            return Files.move(tmp, dir.resolve("crl.der"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private SSLContext tlsAs(X509Bundle client) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(client.toKeyManagerFactory().getKeyManagers(), new TrustManager[] {serverCa.toTrustManager()}, null);
        return ctx;
    }

    private static Frame.Hello hello() {
        // No scheme, no credentials: the client certificate authenticates.
        return new Frame.Hello(ProtocolVersion.MIN, ProtocolVersion.MAX, "revocation-test", "", new byte[0],
                new byte[0], 0);
    }

    /** A session on the binary TLS port, authenticated by {@code client}'s certificate. */
    private RawFrameClient welcomed(X509Bundle client) throws Exception {
        SSLSocket socket = (SSLSocket) tlsAs(client).getSocketFactory().createSocket("127.0.0.1", server.address().getPort());
        RawFrameClient c = new RawFrameClient(socket);
        c.send(hello());
        assertThat(c.next()).isInstanceOf(Frame.Welcome.class);
        return c;
    }

    /** Replaces the CRL with one that revokes {@code who}, then lets one reload interval pass. */
    private void revokeAndReload(X509Bundle who) throws Exception {
        revocations.revoke(who, Instant.now().minusSeconds(1));
        publishCrl();
        clock.advance(RELOAD);
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void aRevokedCertificatesLiveSessionGets401AndIsEndedWithinOneReloadInterval(TlsProvider provider) throws Exception {
        start(provider, -1);
        try (RawFrameClient a = welcomed(alice); RawFrameClient b = welcomed(bob)) {
            assertThat(server.sessionCount()).isEqualTo(2);

            revokeAndReload(alice);
            List<Frame> frames = a.readUntilClosed();
            assertThat(frames).hasSize(1);
            Frame.Error error = (Frame.Error) frames.getFirst();
            assertThat(error.errorCode()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
            assertThat(error.fatal()).isTrue();
            assertThat(error.message()).contains("CN=alice").contains("revoked");
            // Ended, not detached: nothing is left to resume.
            await().atMost(Duration.ofSeconds(10)).until(() -> server.sessionCount() == 1);
            assertThat(audit).filteredOn(l -> l.startsWith("closed ")).singleElement().asString()
                    .contains("principal=alice").contains("scheme=mtls").contains("reason=revoked");

            assertThat(b.sync()).as("bob's session goes on").isEmpty();
        }
    }

    @Test
    void aRevokedCertificatesWssLinkGets401AndItsKeptAliveHttpsConnectionIsClosed() throws Exception {
        start(TlsProvider.AUTO, 0);
        BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        HttpClient http = HttpClient.newBuilder().sslContext(tlsAs(alice)).connectTimeout(Duration.ofSeconds(10)).build();
        try {
            URI uri = URI.create("wss://localhost:" + server.httpAddress().getPort() + server.config().webSocketPath());
            WebSocket ws = http.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() {
                private final FrameCodec codec = new FrameCodec(ProtocolLimits.DEFAULT);

                @Override
                public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
                    for (Frame f = codec.decode(data); f != null; f = codec.decode(data)) {
                        received.add(f);
                    }
                    socket.request(1);
                    return null;
                }

                @Override
                public CompletionStage<?> onClose(WebSocket socket, int status, String reason) {
                    received.add("closed " + status);
                    return null;
                }

                @Override
                public void onError(WebSocket socket, Throwable error) {
                    received.add(error);
                }
            }).get(10, TimeUnit.SECONDS);
            ws.sendBinary(FrameCodec.encode(hello()), true).get(10, TimeUnit.SECONDS);
            // And a kept-alive HTTPS connection with the same certificate, idle after one request.
            SSLSocket https = (SSLSocket) tlsAs(alice).getSocketFactory().createSocket("127.0.0.1",
                    server.httpAddress().getPort());
            https.setSoTimeout(20_000);
            https.getOutputStream().write(("GET /healthz HTTP/1.1\r\nHost: localhost:" + server.httpAddress().getPort()
                    + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            https.getOutputStream().flush();
            byte[] head = https.getInputStream().readNBytes(12);
            assertThat(new String(head, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            assertThat(received.poll(10, TimeUnit.SECONDS)).isInstanceOf(Frame.Welcome.class);
            assertThat(server.sessionCount()).isEqualTo(1);

            revokeAndReload(alice);
            Object first = received.poll(10, TimeUnit.SECONDS);
            assertThat(first).isInstanceOf(Frame.Error.class);
            Frame.Error error = (Frame.Error) first;
            assertThat(error.errorCode()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
            assertThat(error.message()).contains("CN=alice").contains("revoked");
            assertThat(received.poll(10, TimeUnit.SECONDS)).asString().startsWith("closed");
            await().atMost(Duration.ofSeconds(10)).until(() -> server.sessionCount() == 0);
            assertThat(audit).filteredOn(l -> l.startsWith("closed ")).singleElement().asString()
                    .contains("principal=alice").contains("reason=revoked");
            // The HTTPS connection carries no session: it is just closed (the rest of the answer, then the end),
            // long before the HTTP port's deadline; a read timeout here would mean it was left open.
            try (https) {
                https.getInputStream().readAllBytes();
            } catch (javax.net.ssl.SSLException | java.net.SocketException closedHard) {
                // a close that the TLS layer reports as an error is a close all the same
            }
        } finally {
            http.shutdownNow();
        }
    }
}

package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolLimits;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.RevocationServer;
import io.netty.pkitesting.X509Bundle;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Client certificates on a real TLS listener ({@link ClientCertificateTrust}), with a JDK client: a
 * certificate from an unknown authority gets the alert {@code unknown_ca} from the OpenSSL provider;
 * a certificate on the revocation list ({@link ServerTls#clientCrl()}) fails its handshake, and a
 * list changed on disk takes effect for the next handshake once the files are checked again (the
 * check is called directly: no reload thread, no waiting), and ends the open connections of the
 * certificates it now revokes, through their handler, leaving the others open.
 */
class ClientCertificateTrustTest {
    @TempDir
    Path dir;

    private static Transport transport;
    private static X509Bundle serverCa;
    private static X509Bundle server;
    /** Made for each test: the revocation server is one per JVM, and what it revoked stays revoked. */
    private X509Bundle clientCa;
    private X509Bundle alice;
    private X509Bundle bob;
    private X509Bundle stranger;

    @BeforeAll
    static void pki() throws Exception {
        transport = Transport.create(TransportOptions.builder().ioThreads(1).daemon(true).build());
        serverCa = new CertificateBuilder().subject("CN=server CA").setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        server = new CertificateBuilder().subject("CN=localhost").addSanDnsName("localhost").addSanIpAddress("127.0.0.1")
                .ecp256().buildIssuedBy(serverCa);
    }

    @BeforeEach
    void clients() throws Exception {
        clientCa = new CertificateBuilder().subject("CN=client CA").setIsCertificateAuthority(true).ecp256().buildSelfSigned();
        alice = new CertificateBuilder().subject("CN=alice").addExtendedKeyUsageClientAuth().ecp256().buildIssuedBy(clientCa);
        bob = new CertificateBuilder().subject("CN=bob").addExtendedKeyUsageClientAuth().ecp256().buildIssuedBy(clientCa);
        X509Bundle otherCa = new CertificateBuilder().subject("CN=client CA").setIsCertificateAuthority(true).ecp256()
                .buildSelfSigned(); // the same name as the real one, another key
        stranger = new CertificateBuilder().subject("CN=mallory").addExtendedKeyUsageClientAuth().ecp256()
                .buildIssuedBy(otherCa);
    }

    @AfterAll
    static void close() throws Exception {
        transport.close();
    }

    private Path write(String name, String pem) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, pem);
        return p;
    }

    /** The CRL the revocation server serves for the client CA now, in DER, written to {@code crl.der}. */
    private Path fetchCrl(RevocationServer revocations) throws Exception {
        URI uri = revocations.getCrlUri(clientCa);
        assertThat(uri.getHost()).isIn("127.0.0.1", "localhost");
        java.net.URLConnection http = uri.toURL().openConnection();
        http.setConnectTimeout(10_000);
        http.setReadTimeout(10_000);
        try (InputStream in = http.getInputStream()) {
            byte[] der = in.readAllBytes();
            Path tmp = dir.resolve("crl.tmp");
            Files.write(tmp, der);
            return Files.move(tmp, dir.resolve("crl.der"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** A listener whose connections report the client's certificate once the first frame is read. */
    private record Server(Listener listener, AtomicReference<CompletableFuture<List<X509Certificate>>> next) {
        /** What the last connection accepted reported. */
        CompletableFuture<List<X509Certificate>> peer() {
            return next.get();
        }
    }

    private Server start(ServerTls tls) {
        return start(new ServerTlsContext(tls));
    }

    private Server start(ServerTlsContext tls) {
        AtomicReference<CompletableFuture<List<X509Certificate>>> next = new AtomicReference<>(new CompletableFuture<>());
        Listener listener = ((NettyTransport) transport).listen(new InetSocketAddress("127.0.0.1", 0), ProtocolLimits.DEFAULT, tls,
                c -> {
                    CompletableFuture<List<X509Certificate>> peer = next.get();
                    return new FrameHandler() {
                    @Override
                    public void onFrame(Frame frame) {
                        peer.complete(c.peerCertificates());
                    }

                    @Override
                    public void onProtocolError(ProtocolException error, boolean inSync) {
                        peer.completeExceptionally(error);
                    }

                    @Override
                    public void onClosed(Throwable cause) {
                    }
                };
                });
        return new Server(listener, next);
    }

    /**
     * Connects with {@code client}'s certificate, sends a PING and reads: returns once the server read
     * the PING, or throws what the client got instead (the server's alert).
     */
    private static void handshake(Server s, X509Bundle client) throws Exception {
        s.next().set(new CompletableFuture<>());
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(client.toKeyManagerFactory().getKeyManagers(), new TrustManager[] {serverCa.toTrustManager()}, null);
        try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1",
                s.listener().address().getPort())) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            ByteBuffer ping = FrameCodec.encode(new Frame.Ping(7));
            byte[] bytes = new byte[ping.remaining()];
            ping.get(bytes);
            out.write(bytes);
            out.flush();
            CompletableFuture<Object> read = CompletableFuture.supplyAsync(() -> {
                try {
                    InputStream in = socket.getInputStream();
                    return in.read();
                } catch (Exception e) {
                    return e;
                }
            });
            // Either the server read the PING (accepted) or the client reads the server's alert (refused).
            Object first = CompletableFuture.anyOf(s.peer(), read).get(10, TimeUnit.SECONDS);
            if (first instanceof Exception e) {
                throw e;
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void aCertificateFromAnUnknownAuthorityIsRefusedWithUnknownCa(TlsProvider provider) throws Exception {
        ServerTls tls = ServerTls.pem(write("server.pem", server.getCertificatePathPEM()),
                        write("server-key.pem", server.getPrivateKeyPEM()))
                .clientAuth(ServerTls.ClientAuth.REQUIRE, write("client-ca.pem", clientCa.getCertificatePEM()))
                .provider(provider).reloadInterval(Duration.ZERO).build();
        Server s = start(tls);
        try {
            // SunJSSE sends certificate_unknown for every refused client certificate: it lets no trust manager choose.
            String alert = provider == TlsProvider.OPENSSL ? "unknown_ca" : "certificate_unknown";
            assertThatThrownBy(() -> handshake(s, stranger)).isInstanceOf(SSLException.class)
                    .hasMessageContaining(alert).hasMessageNotContaining("internal_error");
            handshake(s, alice);
        } finally {
            s.listener().close().get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * The handshake fails: with OpenSSL on the alert {@code certificate_revoked}; the JDK's alert
     * ({@code certificate_unknown}) may be lost to the connection's reset.
     */
    private static void refused(TlsProvider provider, org.assertj.core.api.ThrowableAssert.ThrowingCallable handshake) {
        if (provider == TlsProvider.OPENSSL) {
            assertThatThrownBy(handshake).isInstanceOf(SSLException.class).hasMessageContaining("certificate_revoked");
        } else {
            assertThatThrownBy(handshake).isInstanceOf(java.io.IOException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void aRevokedCertificateFailsItsHandshakeAndARevocationTakesEffectOnReload(TlsProvider provider) throws Exception {
        RevocationServer revocations = RevocationServer.getInstance();
        revocations.register(clientCa);
        revocations.revoke(bob, Instant.now().minusSeconds(60));
        Path crl = fetchCrl(revocations);
        ServerTls tls = ServerTls.pem(write("server.pem", server.getCertificatePathPEM()),
                        write("server-key.pem", server.getPrivateKeyPEM()))
                .clientAuth(ServerTls.ClientAuth.REQUIRE, write("client-ca.pem", clientCa.getCertificatePEM()))
                .clientCrl(crl).provider(provider).reloadInterval(Duration.ZERO).build();
        ServerTlsContext context = new ServerTlsContext(tls);
        Server s = start(context); // the listener closes the context
        try {
            refused(provider, () -> handshake(s, bob));
            handshake(s, alice);
            assertThat(s.peer().get(10, TimeUnit.SECONDS).getFirst().getSubjectX500Principal().getName())
                    .isEqualTo("CN=alice");

            // Alice is revoked too: the file changes, and the next check gives the running listener a
            // context that refuses her.
            assertThat(context.reloadIfChanged()).as("nothing changed yet").isFalse();
            revocations.revoke(alice, Instant.now().minusSeconds(1));
            fetchCrl(revocations);
            assertThat(context.reloadIfChanged()).isTrue();
            refused(provider, () -> handshake(s, alice));
        } finally {
            s.listener().close().get(10, TimeUnit.SECONDS);
        }
    }

    /** A TLS client kept open: its socket, and what the server's handler saw of its connection. */
    private record Live(SSLSocket socket, BlockingQueue<Object> seen) implements AutoCloseable {
        void ping(long token) throws Exception {
            ByteBuffer ping = FrameCodec.encode(new Frame.Ping(token));
            byte[] bytes = new byte[ping.remaining()];
            ping.get(bytes);
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        }

        /** Everything the server sends until it closes the connection, decoded. */
        List<Frame> readUntilClosed() throws Exception {
            byte[] all = socket.getInputStream().readAllBytes(); // throws SocketTimeoutException if never closed
            ByteBuffer in = ByteBuffer.wrap(all);
            FrameCodec codec = new FrameCodec(ProtocolLimits.DEFAULT);
            List<Frame> frames = new ArrayList<>();
            for (Frame f = codec.decode(in); f != null; f = codec.decode(in)) {
                frames.add(f);
            }
            return frames;
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = TlsProvider.class, names = {"OPENSSL", "JDK"})
    void aNewRevocationListEndsTheOpenConnectionsOfTheCertificatesItRevokesAndNoOthers(TlsProvider provider)
            throws Exception {
        RevocationServer revocations = RevocationServer.getInstance();
        revocations.register(clientCa);
        Path crl = fetchCrl(revocations); // revokes nothing yet
        ServerTls tls = ServerTls.pem(write("server.pem", server.getCertificatePathPEM()),
                        write("server-key.pem", server.getPrivateKeyPEM()))
                .clientAuth(ServerTls.ClientAuth.REQUIRE, write("client-ca.pem", clientCa.getCertificatePEM()))
                .clientCrl(crl).provider(provider).reloadInterval(Duration.ZERO).build();
        ServerTlsContext context = new ServerTlsContext(tls);
        // Each connection's handler reports its frames, the revocation it is told of, and its close.
        BlockingQueue<BlockingQueue<Object>> accepted = new LinkedBlockingQueue<>();
        Listener listener = ((NettyTransport) transport).listen(new InetSocketAddress("127.0.0.1", 0),
                ProtocolLimits.DEFAULT, context, c -> {
                    BlockingQueue<Object> seen = new LinkedBlockingQueue<>();
                    accepted.add(seen);
                    return new FrameHandler() {
                        @Override
                        public void onFrame(Frame frame) {
                            seen.add(frame);
                        }

                        @Override
                        public void onPeerCertificateRevoked(String reason) {
                            seen.add("revoked: " + reason);
                            c.send(new Frame.Error(401, true, reason));
                        }

                        @Override
                        public void onProtocolError(ProtocolException error, boolean inSync) {
                            seen.add(error);
                        }

                        @Override
                        public void onClosed(Throwable cause) {
                            seen.add("closed");
                        }
                    };
                });
        try (Live a = open(listener, alice, accepted); Live b = open(listener, bob, accepted)) {
            assertThat(context.reloadIfChanged()).as("nothing changed yet").isFalse();

            revocations.revoke(alice, Instant.now().minusSeconds(1));
            fetchCrl(revocations);
            assertThat(context.reloadIfChanged()).isTrue();

            // Alice's open connection is told why and closed; the client reads the ERROR, then the end.
            assertThat(a.seen().poll(10, TimeUnit.SECONDS)).asString().startsWith("revoked: ")
                    .contains("CN=alice").contains("revoked since").contains("CN=client CA");
            List<Frame> frames = a.readUntilClosed();
            assertThat(frames).hasSize(1);
            Frame.Error error = (Frame.Error) frames.getFirst();
            assertThat(error.code()).isEqualTo(401);
            assertThat(error.message()).contains("CN=alice").contains("revoked");
            assertThat(a.seen().poll(10, TimeUnit.SECONDS)).isEqualTo("closed");

            // Bob's stays open and is served.
            b.ping(2);
            assertThat(b.seen().poll(10, TimeUnit.SECONDS)).isEqualTo(new Frame.Ping(2));
            // A second check of the same list ends nothing more.
            assertThat(context.reloadIfChanged()).isFalse();
            b.ping(3);
            assertThat(b.seen().poll(10, TimeUnit.SECONDS)).isEqualTo(new Frame.Ping(3));
        } finally {
            listener.close().get(10, TimeUnit.SECONDS);
        }
    }

    /** Connects with {@code client}'s certificate and waits until the server has read its first PING. */
    private static Live open(Listener listener, X509Bundle client, BlockingQueue<BlockingQueue<Object>> accepted)
            throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(client.toKeyManagerFactory().getKeyManagers(), new TrustManager[] {serverCa.toTrustManager()}, null);
        SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", listener.address().getPort());
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        BlockingQueue<Object> seen = accepted.poll(10, TimeUnit.SECONDS);
        assertThat(seen).as("the server accepted the connection").isNotNull();
        Live live = new Live(socket, seen);
        live.ping(1);
        assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo(new Frame.Ping(1));
        return live;
    }
}

package dev.conduit.benchmarks;

import dev.conduit.transport.ClientTls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * W1-TLS and W3-TLS (issue 12): W1 (pub/sub 1 -> 1, 16 B and 1 KiB) and W3 (request/reply, 16 B, one
 * in flight) over TLS 1.3, a Conduit server ({@link ServerMain} with a certificate) against
 * nats-server with {@code --tls}. A throwaway certificate authority and a server certificate for
 * 127.0.0.1 are made with openssl in a temporary folder at the start and deleted at the end; both
 * servers use the same EC P-256 key and both clients trust that authority.
 *
 * <p>TLS 1.3 on both sides: Conduit's server and client speak only TLS 1.3 by default; jnats uses
 * the JDK's TLS, held to TLS 1.3 by {@code jdk.tls.client.protocols} (set by {@link Compare#main}
 * before any TLS class loads), so a nats-server that would not speak 1.3 fails the handshake rather
 * than being measured on 1.2.
 */
final class TlsWorkloads {
    private final Compare compare;
    private final String nats;

    TlsWorkloads(Compare compare, String nats) {
        this.compare = compare;
        this.nats = nats;
    }

    void run(BenchConfig c) {
        Path dir;
        Certificates certs;
        try {
            dir = Files.createTempDirectory("bench-tls");
        } catch (IOException e) {
            compare.note("W1-TLS, W3-TLS: not run, no temporary folder: " + e.getMessage());
            return;
        }
        try {
            certs = Certificates.make(dir);
        } catch (Exception e) {
            Runs.log("W1-TLS, W3-TLS: not run: %s", e.getMessage());
            compare.note("W1-TLS, W3-TLS: not run, the certificates could not be made with openssl: " + e.getMessage());
            ServerProcess.delete(dir);
            return;
        }
        try {
            runWith(c, certs);
        } finally {
            ServerProcess.delete(dir);
        }
    }

    private void runWith(BenchConfig c, Certificates certs) {
        ClientTls clientTls = ClientTls.builder().trustedCertificates(certs.ca()).build();
        SSLContext natsTls;
        try {
            natsTls = certs.sslContext();
        } catch (Exception e) {
            compare.note("W1-TLS, W3-TLS: not run, the CA could not be loaded: " + e);
            return;
        }
        String[] sizes = {"16 B", "1 KiB"};
        int[] bytes = {BenchConfig.SMALL, BenchConfig.LARGE};
        String[] natsFlags = {"--tls", "--tlscert", certs.cert().toString(), "--tlskey", certs.key().toString()};
        if (compare.wanted("W1-TLS")) {
            for (int i = 0; i < bytes.length; i++) {
                int size = bytes[i];
                String name = "W1-TLS " + sizes[i];
                Runs.log("%s pub/sub 1 -> 1 over TLS 1.3, %,d messages", name, c.messages());
                Series conduit = compare.rate(name, "Conduit", conduit(certs, 3, b -> Runs.repeat(name + " conduit", c, 3,
                        (k, d) -> b.stream(k.messages(), size, 1, null, d)), clientTls), c.messages());
                Series peer = compare.rate(name, "NATS", natsTls(natsFlags, natsTls, 3, n -> Runs.repeat(name + " nats",
                        c, 3, (k, d) -> n.stream(k.messages(), size, 1, null, d))), c.messages());
                compare.add(compare.streamRow("W1-TLS pub/sub 1->1 " + sizes[i] + " TLS 1.3", "delivered", conduit,
                        "NATS TLS", peer));
            }
        }
        if (compare.wanted("W3-TLS")) {
            Runs.log("W3-TLS request/reply over TLS 1.3, 1 in flight, %,d requests", c.requests());
            List<Series> conduit = conduit(certs, 3, b -> Runs.repeat("W3-TLS conduit", c, 3,
                    (k, d) -> b.pingPong(k.requests(), BenchConfig.SMALL, d)), clientTls);
            List<Series> peer = natsTls(natsFlags, natsTls, 3, n -> Runs.repeat("W3-TLS nats", c, 3,
                    (k, d) -> n.pingPong(k.requests(), BenchConfig.SMALL, d)));
            String[] p = {"p50", "p99", "p99.9"};
            for (int i = 0; i < 3; i++) {
                compare.add(new Row("W3-TLS request/reply 16 B TLS 1.3", p[i] + " round trip", "us", false,
                        conduit.get(i), "NATS TLS", peer.get(i)));
            }
        }
    }

    private List<Series> conduit(Certificates certs, int metrics, Compare.ConduitPart part, ClientTls tls) {
        try (ServerProcess server = ServerProcess.java(ServerMain.class, Long.toString(Compare.SERVER_MAX_PENDING),
                certs.cert().toString(), certs.key().toString())) {
            String url = "tls://127.0.0.1:" + server.port();
            return part.run(new ConduitBench(url, url, tls));
        } catch (Exception e) {
            return Compare.failed(metrics, "FAILED: " + e);
        }
    }

    private List<Series> natsTls(String[] flags, SSLContext tls, int metrics, Compare.NatsPart part) {
        try (ServerProcess server = ServerProcess.nats(nats, Compare.SERVER_MAX_PENDING, flags)) {
            String url = "tls://127.0.0.1:" + server.port();
            return part.run(new NatsBench(url, url, tls));
        } catch (Exception e) {
            return Compare.failed(metrics, "FAILED: " + e);
        }
    }

    /** A throwaway CA and a server certificate for 127.0.0.1 (and localhost) signed by it, PEM files. */
    record Certificates(Path ca, Path cert, Path key) {

        static Certificates make(Path dir) throws Exception {
            Path caKey = dir.resolve("ca.key");
            Path ca = dir.resolve("ca.pem");
            Path key = dir.resolve("server.key");
            Path csr = dir.resolve("server.csr");
            Path cert = dir.resolve("server.pem");
            Path ext = dir.resolve("server.ext");
            Files.writeString(ext, """
                    basicConstraints=critical,CA:FALSE
                    keyUsage=critical,digitalSignature
                    extendedKeyUsage=serverAuth
                    subjectAltName=IP:127.0.0.1,DNS:localhost
                    """);
            openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", caKey.toString(), "-out", ca.toString(), "-days", "2", "-subj", "/CN=conduit-bench-ca",
                    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
            // OpenSSL 3 writes the key unencrypted as PKCS#8 PEM ("BEGIN PRIVATE KEY"), which both servers read
            openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key.toString(), "-out", csr.toString(), "-subj", "/CN=127.0.0.1");
            openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(),
                    "-CAcreateserial", "-out", cert.toString(), "-days", "2", "-extfile", ext.toString());
            return new Certificates(ca, cert, key);
        }

        private static void openssl(Path dir, String... args) throws Exception {
            List<String> cmd = new ArrayList<>();
            cmd.add("openssl");
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("openssl " + args[0] + " failed: " + out.strip());
            }
        }

        /** A JDK TLS context trusting only the CA, for jnats. */
        SSLContext sslContext() throws Exception {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(ca)) {
                Certificate certificate = CertificateFactory.getInstance("X.509").generateCertificate(in);
                trust.setCertificateEntry("conduit-bench-ca", certificate);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        }
    }
}

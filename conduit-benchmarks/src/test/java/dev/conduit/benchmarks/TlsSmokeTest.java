package dev.conduit.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import dev.conduit.transport.ClientTls;
import dev.conduit.transport.ServerTls;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * W1-TLS and W3-TLS with tiny counts: the certificates made with openssl, a TLS Conduit server in
 * this JVM and, if nats-server is on PATH, nats-server with --tls; each client trusts only the
 * throwaway authority, so a certificate that did not chain to it would fail the runs.
 */
@Timeout(60)
class TlsSmokeTest {
    private static final BenchConfig TINY = BenchConfig.tiny();

    private static void assertDelivers(Runs.Run stream, Runs.Run pingPong) {
        List<Series> w1 = Runs.repeat("tls stream", TINY, 3, stream);
        assertThat(w1.get(0).ok()).as(String.valueOf(w1.get(0).failure())).isTrue();
        assertThat(w1.get(1).median()).isEqualTo(TINY.messages());
        List<Series> w3 = Runs.repeat("tls request/reply", TINY, 3, pingPong);
        assertThat(w3.get(0).ok()).as(String.valueOf(w3.get(0).failure())).isTrue();
        assertThat(w3.get(0).median()).isPositive().isLessThanOrEqualTo(w3.get(1).median());
    }

    @Test
    void conduitAndNatsOverTls(@TempDir Path dir) throws Exception {
        assumeTrue(CrossNodeSmokeTest.onPath("openssl").isPresent(), "openssl is not on PATH");
        TlsWorkloads.Certificates certs = TlsWorkloads.Certificates.make(dir);
        try (Server server = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).httpPort(-1)
                .tls(ServerTls.pem(certs.cert(), certs.key()).build()).build()).start()) {
            String url = "tls://127.0.0.1:" + server.address().getPort();
            ConduitBench bench = new ConduitBench(url, url, ClientTls.builder().trustedCertificates(certs.ca()).build());
            assertDelivers((k, d) -> bench.stream(k.messages(), BenchConfig.LARGE, 1, null, d),
                    (k, d) -> bench.pingPong(k.requests(), BenchConfig.SMALL, d));
        }
        Optional<Path> nats = NatsSmokeTest.natsServer();
        assumeTrue(nats.isPresent(), "nats-server is not on PATH");
        try (ServerProcess server = ServerProcess.nats(nats.get().toString(), Compare.SERVER_MAX_PENDING, "--tls",
                "--tlscert", certs.cert().toString(), "--tlskey", certs.key().toString())) {
            String url = "tls://127.0.0.1:" + server.port();
            NatsBench bench = new NatsBench(url, url, certs.sslContext());
            assertDelivers((k, d) -> bench.stream(k.messages(), BenchConfig.LARGE, 1, null, d),
                    (k, d) -> bench.pingPong(k.requests(), BenchConfig.SMALL, d));
        }
    }
}

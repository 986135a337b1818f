package dev.conduit.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The NATS part of the harness with tiny counts; skipped when nats-server is not on PATH. */
@Timeout(60)
class NatsSmokeTest {
    private static final BenchConfig TINY = BenchConfig.tiny();

    static Optional<Path> natsServer() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, "nats-server")).filter(Files::isExecutable).findFirst();
    }

    @Test
    void natsWorkloadsDeliverEverything() throws Exception {
        Optional<Path> nats = natsServer();
        assumeTrue(nats.isPresent(), "nats-server is not on PATH");
        try (ServerProcess server = ServerProcess.nats(nats.get().toString(), Compare.SERVER_MAX_PENDING)) {
            NatsBench bench = new NatsBench(server.port());
            List<Series> w1 = Runs.repeat("nats", TINY, 3,
                    (k, d) -> bench.stream(k.messages(), BenchConfig.SMALL, 1, null, d));
            assertThat(w1.get(0).ok()).as(String.valueOf(w1.get(0).failure())).isTrue();
            assertThat(w1.get(1).median()).isEqualTo(TINY.messages());
            List<Series> w5 = Runs.repeat("nats", TINY, 3,
                    (k, d) -> bench.stream(k.queueMessages(), BenchConfig.SMALL, 4, "workers", d));
            assertThat(w5.get(1).median()).isEqualTo(TINY.queueMessages());
            List<Series> w3 = Runs.repeat("nats", TINY, 3, (k, d) -> bench.pingPong(k.requests(), BenchConfig.SMALL, d));
            assertThat(w3.get(0).ok()).as(String.valueOf(w3.get(0).failure())).isTrue();
            assertThat(w3.get(0).median()).isPositive().isLessThanOrEqualTo(w3.get(1).median());
            List<Series> w4 = Runs.repeat("nats", TINY, 2,
                    (k, d) -> bench.pipelined(k.inflightTotal(), k.inflight(), BenchConfig.SMALL, d));
            assertThat(w4.get(0).ok()).as(String.valueOf(w4.get(0).failure())).isTrue();
            assertThat(w4.get(0).median()).isPositive();
            // W9 and W10: fixed-rate latency, and the nats-server process's CPU per million delivered
            double[] w9 = bench.fixedRate(2_000, 20_000, Deadline.in(java.time.Duration.ofSeconds(20)));
            assertThat(w9[0]).isPositive().isLessThanOrEqualTo(w9[1]);
            assertThat(w9[3]).isZero();
            double[] w10 = Compare.cpuPerMillion(server,
                    (k, d) -> bench.stream(k.messages(), BenchConfig.SMALL, 1, null, d), TINY,
                    Deadline.in(java.time.Duration.ofSeconds(20)));
            assertThat(w10[0]).isNotNegative();
            assertThat(w10[1]).isZero();
        }
    }
}

package dev.conduit.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.conduit.server.ClusterConfig;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import dev.conduit.transport.ClientTls;
import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cross-node runs of C1 and C2 with tiny counts: publisher and requester on one server of a
 * cluster, subscriber and responder on another; two Conduit nodes on one redis-server (in this JVM,
 * as docs/cluster.md's embedded form), and two nats-servers joined by routes. Each part is skipped
 * when its server is not on PATH.
 */
@Timeout(90)
class CrossNodeSmokeTest {
    private static final BenchConfig TINY = BenchConfig.tiny();

    static Optional<Path> onPath(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, name)).filter(Files::isExecutable).findFirst();
    }

    private static void assertCrossNode(Runs.Run stream, Runs.Run pingPong) {
        List<Series> c1 = Runs.repeat("cross-node stream", TINY, 3, stream);
        assertThat(c1.get(0).ok()).as(String.valueOf(c1.get(0).failure())).isTrue();
        assertThat(c1.get(1).median()).isEqualTo(TINY.messages());
        assertThat(c1.get(2).median()).isZero();
        assertThat(c1.get(0).median()).isPositive();
        List<Series> c2 = Runs.repeat("cross-node request/reply", TINY, 3, pingPong);
        assertThat(c2.get(0).ok()).as(String.valueOf(c2.get(0).failure())).isTrue();
        assertThat(c2.get(0).median()).isPositive().isLessThanOrEqualTo(c2.get(1).median());
    }

    @Test
    void conduitNodesOnRedis() throws Exception {
        Optional<Path> redis = onPath("redis-server");
        assumeTrue(redis.isPresent(), "redis-server is not on PATH");
        Path dir = Files.createTempDirectory("bench-redis");
        int port = ServerProcess.freePort();
        List<Server> nodes = new ArrayList<>();
        try (ServerProcess r = ServerProcess.external("redis-server", List.of(redis.get().toString(), "--port",
                Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                dir.toString()), Map.of(), "Ready to accept connections", port, dir)) {
            try {
                for (int i = 1; i <= 2; i++) {
                    nodes.add(Server.create(ServerConfig.builder().host("127.0.0.1").port(0).httpPort(-1)
                            .maxPendingBytesPerSession(Compare.SERVER_MAX_PENDING)
                            .cluster(new ClusterConfig(URI.create("redis://127.0.0.1:" + r.port()), "n" + i, null))
                            .build()).start());
                }
                ConduitBench bench = new ConduitBench("tcp://127.0.0.1:" + nodes.get(0).address().getPort(),
                        "tcp://127.0.0.1:" + nodes.get(1).address().getPort(), ClientTls.DEFAULT);
                assertCrossNode((k, d) -> bench.stream(k.messages(), BenchConfig.SMALL, 1, null, d),
                        (k, d) -> bench.pingPong(k.requests(), BenchConfig.SMALL, d));
            } finally {
                // the nodes leave the cluster while Redis still answers
                nodes.forEach(Server::close);
            }
        }
    }

    @Test
    void natsServersWithRoutes() throws Exception {
        Optional<Path> nats = onPath("nats-server");
        assumeTrue(nats.isPresent(), "nats-server is not on PATH");
        int route1 = ServerProcess.freePort();
        int route2 = ServerProcess.freePort();
        try (ServerProcess s1 = ServerProcess.nats(nats.get().toString(), Compare.SERVER_MAX_PENDING,
                "--cluster_name", "bench", "-cluster", "nats://127.0.0.1:" + route1, "-routes", "nats://127.0.0.1:" + route2);
             ServerProcess s2 = ServerProcess.nats(nats.get().toString(), Compare.SERVER_MAX_PENDING,
                "--cluster_name", "bench", "-cluster", "nats://127.0.0.1:" + route2, "-routes", "nats://127.0.0.1:" + route1)) {
            NatsBench bench = new NatsBench("nats://127.0.0.1:" + s1.port(), "nats://127.0.0.1:" + s2.port(), null);
            assertCrossNode((k, d) -> bench.stream(k.messages(), BenchConfig.SMALL, 1, null, d),
                    (k, d) -> bench.pingPong(k.requests(), BenchConfig.SMALL, d));
        }
    }

    @Test
    void aStreamThatStallsCountsTheRestAsLost() throws Exception {
        Arrivals arrivals = new Arrivals(10);
        for (int i = 0; i < 7; i++) {
            arrivals.arrived();
        }
        // nothing more comes: the 3 missing are lost, reported once nothing arrived for the stall time
        assertThat(arrivals.awaitOrStall(Deadline.in(java.time.Duration.ofSeconds(20)), "test",
                java.time.Duration.ofMillis(200))).isEqualTo(3);
        assertThat(arrivals.delivered()).isEqualTo(7);
        Arrivals complete = new Arrivals(2);
        complete.arrived();
        complete.skipped(1);
        assertThat(complete.awaitOrStall(Deadline.in(java.time.Duration.ofSeconds(20)), "test",
                java.time.Duration.ofSeconds(10))).isZero();
    }
}

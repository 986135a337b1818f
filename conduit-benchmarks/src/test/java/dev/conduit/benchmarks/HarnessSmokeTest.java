package dev.conduit.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Conduit, raw-Netty and JeroMQ parts of the harness with tiny counts, servers in this process:
 * everything delivered, rates positive, percentiles ordered, and the report written.
 */
@Timeout(60)
class HarnessSmokeTest {
    private static final BenchConfig TINY = BenchConfig.tiny();
    private static Server server;
    private static ConduitBench conduit;

    @BeforeAll
    static void startServer() {
        server = Server.create(ServerConfig.builder().host("127.0.0.1").port(0)
                .maxPendingBytesPerSession(Compare.SERVER_MAX_PENDING).build()).start();
        conduit = new ConduitBench(server.address().getPort());
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    /** Runs a stream workload (warm-up and one repeat) and checks every message arrived. */
    private static double stream(Runs.Run run, long expected) {
        List<Series> s = Runs.repeat("smoke", TINY, 3, run);
        assertThat(s).allSatisfy(x -> assertThat(x.ok()).as(String.valueOf(x.failure())).isTrue());
        assertThat(s.get(1).median()).isEqualTo(expected);
        assertThat(s.get(2).median()).isZero();
        assertThat(s.get(0).median()).isPositive();
        return s.get(0).median();
    }

    private static void assertOrderedPercentiles(List<Series> s) {
        assertThat(s).allSatisfy(x -> assertThat(x.ok()).as(String.valueOf(x.failure())).isTrue());
        assertThat(s.get(0).median()).isPositive();
        assertThat(s.get(0).median()).isLessThanOrEqualTo(s.get(1).median());
        assertThat(s.get(1).median()).isLessThanOrEqualTo(s.get(2).median());
    }

    @Test
    void conduitPubSubFanOutAndQueueGroupDeliverEverything() {
        stream((k, d) -> conduit.stream(k.messages(), BenchConfig.SMALL, 1, null, d), TINY.messages());
        stream((k, d) -> conduit.stream(k.messages(), BenchConfig.LARGE, 1, null, d), TINY.messages());
        stream((k, d) -> conduit.stream(k.fanoutMessages(), BenchConfig.SMALL, 4, null, d), 4L * TINY.fanoutMessages());
        stream((k, d) -> conduit.stream(k.queueMessages(), BenchConfig.SMALL, 4, "workers", d), TINY.queueMessages());
    }

    @Test
    void conduitRequestReply() {
        assertOrderedPercentiles(Runs.repeat("smoke", TINY, 3,
                (k, d) -> conduit.pingPong(k.requests(), BenchConfig.SMALL, d)));
        List<Series> w4 = Runs.repeat("smoke", TINY, 2,
                (k, d) -> conduit.pipelined(k.inflightTotal(), k.inflight(), BenchConfig.SMALL, d));
        assertThat(w4.get(0).ok()).as(String.valueOf(w4.get(0).failure())).isTrue();
        assertThat(w4.get(0).median()).isPositive();
        assertThat(w4.get(1).median()).isPositive();
    }

    @Test
    void conduitFixedRateLatency() throws Exception {
        // W9's Conduit side: 2,000 messages at 20,000 a second, each timed from its due time
        double[] r = conduit.fixedRate(2_000, 20_000, Deadline.in(java.time.Duration.ofSeconds(20)));
        assertThat(r[0]).isPositive().isLessThanOrEqualTo(r[1]);
        assertThat(r[1]).isLessThanOrEqualTo(r[2]);
        assertThat(r[3]).isZero();
    }

    @Test
    void nettyEchoBaseline() throws Exception {
        try (NettyEcho echo = NettyEcho.start(0, 1)) {
            stream((k, d) -> {
                try (NettyEcho.Client client = new NettyEcho.Client(echo.port())) {
                    double[] r = client.stream(k.messages(), BenchConfig.LARGE, d);
                    return new double[] {r[0], r[1], 0};
                }
            }, TINY.messages());
            assertOrderedPercentiles(Runs.repeat("smoke", TINY, 3, (k, d) -> {
                try (NettyEcho.Client client = new NettyEcho.Client(echo.port())) {
                    return client.pingPong(k.requests(), BenchConfig.SMALL, d);
                }
            }));
        }
    }

    @Test
    void jeromqPeer() {
        ZmqBench zmq = new ZmqBench();
        stream((k, d) -> {
            double[] r = zmq.pushPull(k.queueMessages(), BenchConfig.SMALL, d);
            return new double[] {r[0], r[1], 0};
        }, TINY.queueMessages());
        assertOrderedPercentiles(Runs.repeat("smoke", TINY, 3, (k, d) -> zmq.reqRep(k.requests(), BenchConfig.SMALL, d)));
    }

    @Test
    void idleSessionsAreCounted() {
        ConnectionScale.Target inProcess = new ConnectionScale.Target() {
            @Override
            public int port() {
                return server.address().getPort();
            }

            @Override
            public long pid() {
                return ProcessHandle.current().pid();
            }

            @Override
            public long heapAfterGc() {
                return ServerMain.usedHeapAfterGc();
            }

            @Override
            public long sessions() {
                return server.sessionCount();
            }
        };
        List<Series> s = Runs.repeat("smoke", TINY, 5,
                (k, d) -> ConnectionScale.run(inProcess, k.sessions(), k.idle(), d));
        assertThat(s.get(3).ok()).as(String.valueOf(s.get(3).failure())).isTrue();
        assertThat(s.get(3).median()).isEqualTo(TINY.sessions());
        assertThat(s.get(0).median()).isFinite();
        assertThat(s.get(2).median()).isNotNegative();
    }

    @Test
    void reportKeepsTheJmhSectionAndDrawsTheChart(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("benchmarks.md"), "# old\n\nold table\n\n## JMH\n\njmh figures\n\n## more\nkept\n");
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("W1", "delivered", "msg/s", true, Series.of(List.of(2.0, 3.0, 4.0)), "NATS",
                Series.of(List.of(1.0, 1.0, 2.0))));
        rows.add(new Row("W3", "p50 round trip", "us", false, Series.of(List.of(10.0)), "NATS",
                Series.of(List.of(20.0))));
        rows.add(new Row("W4", "replies", "msg/s", true, Series.failed("TIMEOUT: x"), "NATS", Series.of(List.of(1.0))));
        rows.add(new Row("W8", "heap", "KiB", false, Series.of(List.of(5.0)), null, null, -1, -1));
        rows.add(new Row("W1 1 KiB", "delivered", "msg/s", true, Series.of(List.of(2.0)), "NATS",
                Series.of(List.of(1.0)), 12_345, 0));
        Report.write(dir, rows, "# Benchmarks\n", List.of("a note"));
        String md = Files.readString(dir.resolve("benchmarks.md"));
        assertThat(md).startsWith("# Benchmarks\n").doesNotContain("old table")
                .contains("| 3 (2 - 4) |", "| 3.00 |", "| 0.50 | 2.00 |", "TIMEOUT: x", "- a note", "| n/a / - |",
                        "| 12,345 / 0 | not comparable (skipped) | not comparable (skipped) |")
                .endsWith("## JMH\n\njmh figures\n\n## more\nkept\n");
        assertThat(Files.size(dir.resolve("benchmarks.png"))).isPositive();
    }
}

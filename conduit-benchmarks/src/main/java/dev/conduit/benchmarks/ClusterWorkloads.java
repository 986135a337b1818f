package dev.conduit.benchmarks;

import dev.conduit.transport.ClientTls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * C1 and C2 (issue 14): pub/sub throughput (1 -> 1, 16 B) and request/reply latency (one in flight,
 * 16 B) across the nodes of a cluster, the sending side (publisher, requester) on node 1 and the
 * receiving side (subscriber, responder) on node 2, for three systems in one invocation:
 *
 * <ul>
 *   <li>three {@code conduit server --cluster redis://...} processes (the launcher's jar) and one
 *       redis-server (free port, {@code --save '' --appendonly no}, in a temporary folder deleted
 *       after);
 *   <li>one {@code conduit server} process with no cluster, both sides on it (the single-node
 *       baseline: the same launcher and settings, so the ratio is what the hop between nodes costs);
 *   <li>three nats-servers joined by routes ({@code -cluster nats://127.0.0.1:P -routes ...});
 *   <li>one nats-server, so that the notes can give NATS's own cross-node / single-server ratio
 *       beside Conduit's (no row: the rows put Conduit against a peer).
 * </ul>
 *
 * <p>Each system is started once for both workloads. Interest crosses nodes asynchronously in both
 * clusters, so every cross-node run first sends probes until one gets through ({@link
 * ConduitBench#awaitInterest}); a cross-node stream whose receiver sees nothing for {@link
 * Arrivals#STALL} counts the rest as lost (a cluster drop is counted on the sending node, not told
 * to the subscriber) and the row is then marked not comparable.
 */
final class ClusterWorkloads {
    /** Conduit's targets for the cluster (issue 14): cross-node rate at least half, p50 at most twice single-node. */
    static final double RATE_TARGET = 0.5;
    static final double P50_TARGET = 2.0;
    /**
     * C1's warm-up runs of a whole run's count, for every system alike. After one, the cross-node
     * runs were still getting faster run by run (about 0.95 to 1.8 million msg/s over ten runs, the
     * single node 1.6 to 2.8 million; docs/cluster.md, "Trimming what was read"): four processes
     * on two cores leave each node's JIT compiler little time.
     */
    static final int C1_WARMUPS = 5;

    private final Compare compare;
    private final String nats;
    private final String redis;
    private final String conduitJar;

    ClusterWorkloads(Compare compare, String nats, String redis, String conduitJar) {
        this.compare = compare;
        this.nats = nats;
        this.redis = redis;
        this.conduitJar = conduitJar;
    }

    /** What one system measured: C1's rate, delivered, skipped; C2's p50, p99, p99.9. */
    private record Figures(List<Series> c1, List<Series> c2) {
    }

    void run(BenchConfig c) {
        if (redis == null || conduitJar == null) {
            String why = "C1, C2: not run, " + (redis == null ? "redis-server is not installed (Debian: apt-get "
                    + "install redis-server)" : "no conduit.jar (bench/compare.sh builds it)");
            Runs.log("%s", why);
            compare.note(why);
            return;
        }
        boolean c1 = compare.wanted("C1");
        boolean c2 = compare.wanted("C2");
        Runs.log("C1/C2 single Conduit node");
        Figures single = measure(c, "single node", c1, c2, this::singleNode);
        Runs.log("C1/C2 three Conduit nodes and Redis, node 1 -> node 2");
        Figures cross = measure(c, "cross-node", c1, c2, this::conduitCluster);
        Runs.log("C1/C2 three nats-servers with routes, server 1 -> server 2");
        Figures natsCluster = measure(c, "nats cluster", c1, c2, this::natsCluster);
        Runs.log("C1/C2 one nats-server (for NATS's own cross-node / single-node, in the notes)");
        Figures natsSingle = measure(c, "nats single server", c1, c2, this::natsSingle);

        if (c1) {
            String w = "C1 cross-node pub/sub 1->1 16 B";
            Series conduit = compare.rate(w, "Conduit", cross.c1(), c.messages());
            compare.add(compare.streamRow(w, "delivered", conduit, "Conduit single node",
                    compare.rate(w + " (single node)", "Conduit", single.c1(), c.messages())));
            compare.add(compare.streamRow(w, "delivered", conduit, "NATS 3-node cluster",
                    compare.rate(w, "NATS", natsCluster.c1(), c.messages())));
            target(w + " rate", conduit, single.c1().get(0), true, RATE_TARGET);
            reference(w + " rate", natsCluster.c1().get(0), natsSingle.c1().get(0));
        }
        if (c2) {
            String w = "C2 cross-node request/reply 16 B";
            String[] p = {"p50", "p99", "p99.9"};
            for (int i = 0; i < 2; i++) {
                compare.add(new Row(w, p[i] + " round trip", "us", false, cross.c2().get(i), "Conduit single node",
                        single.c2().get(i)));
                compare.add(new Row(w, p[i] + " round trip", "us", false, cross.c2().get(i), "NATS 3-node cluster",
                        natsCluster.c2().get(i)));
            }
            target(w + " p50", cross.c2().get(0), single.c2().get(0), false, P50_TARGET);
            reference(w + " p50", natsCluster.c2().get(0), natsSingle.c2().get(0));
        }
    }

    /** Notes whether cross-node over single-node met its target. */
    private void target(String what, Series cross, Series single, boolean rate, double target) {
        if (!cross.ok() || !single.ok()) {
            return;
        }
        double ratio = cross.median() / single.median();
        boolean met = rate ? ratio >= target : ratio <= target;
        compare.note(String.format(Locale.ROOT, "%s: cross-node / single-node %.2f (target: %s %.1f): %s", what,
                ratio, rate ? "at least" : "at most", target, met ? "met" : "NOT met"));
    }

    /** Notes NATS's own cross-node over single-server ratio, to read Conduit's against. */
    private void reference(String what, Series cross, Series single) {
        if (cross.ok() && single.ok()) {
            compare.note(String.format(Locale.ROOT, "%s, NATS for reference: cross-node / single server %.2f "
                    + "(median %s against %s)", what, cross.median() / single.median(),
                    Report.number(cross.median(), ""), Report.number(single.median(), "")));
        }
    }

    private Figures measure(BenchConfig c, String name, boolean c1, boolean c2, Setup setup) {
        List<Series> notRun = List.of(Series.failed("not run"), Series.failed("not run"), Series.failed("not run"));
        List<Series> rates = notRun;
        List<Series> latencies = notRun;
        Running running;
        try {
            running = setup.start();
        } catch (Exception e) {
            Runs.log("  %s: the servers did not start: %s", name, e);
            return new Figures(Compare.failed(3, "FAILED: " + e), Compare.failed(3, "FAILED: " + e));
        }
        // Whole runs to warm up (C2 one, C1 C1_WARMUPS), for every system alike: after a tenth, the
        // cluster's first measured C2 runs were still getting faster run by run (docs/benchmarks.md).
        BenchConfig warm = c.wholeWarmup();
        try (running) {
            if (c1) {
                rates = Runs.repeat("C1 " + name, warm, 3, C1_WARMUPS, (k, d) -> running.stream(k.messages(), d));
            }
            if (c2) {
                latencies = Runs.repeat("C2 " + name, warm, 3, (k, d) -> running.pingPong(k.requests(), d));
            }
        }
        return new Figures(rates, latencies);
    }

    /** Starts one system's servers. */
    @FunctionalInterface
    private interface Setup {
        Running start() throws Exception;
    }

    /** A system's servers, running, and the runs against them; closing stops them all. */
    static final class Running implements AutoCloseable {
        private final List<ServerProcess> processes = new ArrayList<>();
        private ConduitBench conduit;
        private NatsBench nats;

        /** The processes, in the order started (for a Conduit cluster: redis-server, then nodes 1 to 3). */
        List<ServerProcess> processes() {
            return processes;
        }

        double[] stream(int count, Deadline d) throws Exception {
            return conduit != null ? conduit.stream(count, BenchConfig.SMALL, 1, null, d)
                    : nats.stream(count, BenchConfig.SMALL, 1, null, d);
        }

        double[] pingPong(int count, Deadline d) throws Exception {
            return conduit != null ? conduit.pingPong(count, BenchConfig.SMALL, d)
                    : nats.pingPong(count, BenchConfig.SMALL, d);
        }

        @Override
        public void close() {
            for (int i = processes.size() - 1; i >= 0; i--) {
                processes.get(i).close();
            }
        }
    }

    private Running singleNode() throws Exception {
        Running r = new Running();
        try {
            ServerProcess node = conduitNode(null, null);
            r.processes.add(node);
            String url = "tcp://127.0.0.1:" + node.port();
            r.conduit = new ConduitBench(url, url, ClientTls.DEFAULT);
            return r;
        } catch (Exception e) {
            r.close();
            throw e;
        }
    }

    Running conduitCluster() throws Exception {
        Running r = new Running();
        try {
            Path dir = Files.createTempDirectory("bench-redis");
            int redisPort = ServerProcess.freePort();
            r.processes.add(ServerProcess.external("redis-server", List.of(redis, "--port", Integer.toString(redisPort),
                    "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString()), Map.of(),
                    "Ready to accept connections", redisPort, dir));
            List<ServerProcess> nodes = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                ServerProcess node = conduitNode("redis://127.0.0.1:" + redisPort, "n" + i);
                r.processes.add(node);
                nodes.add(node);
            }
            r.conduit = new ConduitBench("tcp://127.0.0.1:" + nodes.get(0).port(),
                    "tcp://127.0.0.1:" + nodes.get(1).port(), ClientTls.DEFAULT);
            return r;
        } catch (Exception e) {
            r.close();
            throw e;
        }
    }

    /** {@code conduit server} on a free port, no HTTP port, the harness's slow-consumer bound; a cluster node if {@code redisUri}. */
    private ServerProcess conduitNode(String redisUri, String nodeId) throws Exception {
        int port = ServerProcess.freePort();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "--enable-native-access=ALL-UNNAMED", "-Xms256m", "-jar", conduitJar, "server",
                "--port", Integer.toString(port), "--http-port", "-1"));
        if (Runtime.version().feature() >= 23) {
            cmd.add(2, "--sun-misc-unsafe-memory-access=allow"); // as the conduit launcher does
        }
        if (redisUri != null) {
            cmd.add("--cluster");
            cmd.add(redisUri);
        }
        Map<String, String> env = new java.util.HashMap<>();
        env.put("CONDUIT_MAX_PENDING_BYTES_PER_SESSION", Long.toString(Compare.SERVER_MAX_PENDING));
        if (nodeId != null) {
            env.put("CONDUIT_CLUSTER_NODE_ID", nodeId);
        }
        if (redisUri != null && "true".equals(System.getenv("BENCH_DURABLE_SESSIONS"))) {
            env.put("CONDUIT_CLUSTER_DURABLE_SESSIONS", "true"); // the cost of durable sessions (docs/cluster.md)
        }
        return ServerProcess.external("conduit server", cmd, env, "listening on tcp://", port, null);
    }

    private Running natsSingle() throws Exception {
        Running r = new Running();
        ServerProcess s = ServerProcess.nats(nats, Compare.SERVER_MAX_PENDING);
        r.processes.add(s);
        String url = "nats://127.0.0.1:" + s.port();
        r.nats = new NatsBench(url, url, null);
        return r;
    }

    private Running natsCluster() throws Exception {
        Running r = new Running();
        try {
            int[] routePorts = {ServerProcess.freePort(), ServerProcess.freePort(), ServerProcess.freePort()};
            List<ServerProcess> servers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                List<String> routes = new ArrayList<>();
                for (int j = 0; j < 3; j++) {
                    if (j != i) {
                        routes.add("nats://127.0.0.1:" + routePorts[j]);
                    }
                }
                ServerProcess s = ServerProcess.nats(nats, Compare.SERVER_MAX_PENDING, "--cluster_name", "bench",
                        "-cluster", "nats://127.0.0.1:" + routePorts[i], "-routes", String.join(",", routes));
                r.processes.add(s);
                servers.add(s);
            }
            r.nats = new NatsBench("nats://127.0.0.1:" + servers.get(0).port(),
                    "nats://127.0.0.1:" + servers.get(1).port(), null);
            return r;
        } catch (Exception e) {
            r.close();
            throw e;
        }
    }
}

package dev.conduit.benchmarks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The side-by-side harness that {@code bench/compare.sh} runs: W1-W10 against Conduit servers, a
 * nats-server, JeroMQ and a raw Netty echo server, each server in its own process on 127.0.0.1;
 * W1-TLS and W3-TLS ({@link TlsWorkloads}); C1 and C2 across the nodes of a cluster ({@link
 * ClusterWorkloads}).
 *
 * <p>Arguments: {@code [--quick] [--only W1,W3,C1,W1-TLS,...] [--docs DIR] [--nats PATH] [--redis PATH]
 * [--conduit-jar PATH] [--command TEXT]}.
 * Counts come from {@link BenchConfig} and may be overridden by {@code BENCH_*} environment
 * variables. Prints the table; with {@code --docs} also writes benchmarks.md and benchmarks.png there.
 */
public final class Compare {
    /** The Conduit server's slow-consumer bound, raised from the 64 MiB default for the stream workloads. */
    static final long SERVER_MAX_PENDING = 256L << 20;

    private final BenchConfig config;
    private final String nats;
    private final Set<String> only;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    /** Messages skipped over the measured runs, by the rate series {@link #rate} returned. */
    private final java.util.Map<Series, Long> skipped = new java.util.IdentityHashMap<>();

    /** redis-server and the launcher's conduit.jar for the cluster workloads (C1, C2); null if absent. */
    private final String redis;
    private final String conduitJar;

    private Compare(BenchConfig config, String nats, Set<String> only, String redis, String conduitJar) {
        this.config = config;
        this.nats = nats;
        this.only = only;
        this.redis = redis;
        this.conduitJar = conduitJar;
    }

    /** The 1-minute load average when the harness started, to tell a quiet machine from a busy one. */
    private static final String LOAD_AT_START = loadAverage();

    public static void main(String[] args) throws Exception {
        // jnats speaks the JDK's TLS: held to TLS 1.3 for the TLS rows (read when the JDK's TLS
        // classes load, so before any TLS is used)
        if (System.getProperty("jdk.tls.client.protocols") == null) {
            System.setProperty("jdk.tls.client.protocols", "TLSv1.3");
        }
        boolean quick = false;
        String redis = null;
        String conduitJar = null;
        String docs = null;
        String nats = "nats-server";
        String command = "bench/compare.sh";
        Set<String> only = new LinkedHashSet<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--docs" -> docs = args[++i];
                case "--nats" -> nats = args[++i];
                case "--command" -> command = args[++i];
                case "--redis" -> redis = args[++i];
                case "--conduit-jar" -> conduitJar = args[++i];
                case "--only" -> only.addAll(Arrays.asList(args[++i].toUpperCase(Locale.ROOT).split(",")));
                default -> {
                    System.err.println("usage: Compare [--quick] [--only W1,W2,...] [--docs DIR] [--nats PATH]"
                            + " [--redis PATH] [--conduit-jar PATH] [--command TEXT]; counts from BENCH_* environment"
                            + " variables");
                    System.exit(2);
                }
            }
        }
        BenchConfig config = (quick ? BenchConfig.quick() : BenchConfig.full()).withEnvironment(System.getenv());
        Runs.log("config: %s", config);
        Compare compare = new Compare(config, nats, only, redis, conduitJar);
        long t0 = System.nanoTime();
        compare.runAll();
        double minutes = (System.nanoTime() - t0) / 60e9;
        Runs.log("all workloads: %.1f min", minutes);
        String table = Report.table(compare.rows);
        System.out.println();
        System.out.println(table);
        compare.notes.forEach(n -> System.out.println("- " + n));
        if (docs != null) {
            Report.write(Path.of(docs), compare.rows, compare.header(command, minutes), compare.notes);
            Runs.log("wrote %s/benchmarks.md and benchmarks.png", docs);
        }
        boolean failed = compare.rows.stream().anyMatch(r -> !r.conduit().ok()
                || (r.peerSeries() != null && !r.peerSeries().ok()));
        System.exit(failed ? 1 : 0);
    }

    boolean wanted(String workload) {
        return only.isEmpty() || only.contains(workload);
    }

    void add(Row row) {
        rows.add(row);
    }

    void note(String note) {
        notes.add(note);
    }

    interface ConduitPart {
        List<Series> run(ConduitBench bench) throws Exception;
    }

    interface NatsPart {
        List<Series> run(NatsBench bench) throws Exception;
    }

    /** Runs {@code part} against a fresh Conduit server process. */
    private List<Series> conduit(String name, int metrics, ConduitPart part) {
        try (ServerProcess server = ServerProcess.java(ServerMain.class, Long.toString(SERVER_MAX_PENDING))) {
            return part.run(new ConduitBench(server.port()));
        } catch (Exception e) {
            return failed(metrics, "FAILED: " + e);
        }
    }

    interface ProcessPart {
        List<Series> run(ServerProcess server) throws Exception;
    }

    /** Runs {@code part} with a fresh Conduit server process, when it needs the process (its CPU time). */
    private List<Series> conduitProcess(int metrics, ProcessPart part) {
        try (ServerProcess server = ServerProcess.java(ServerMain.class, Long.toString(SERVER_MAX_PENDING))) {
            return part.run(server);
        } catch (Exception e) {
            return failed(metrics, "FAILED: " + e);
        }
    }

    /** Runs {@code part} with a fresh nats-server, when it needs the process. */
    private List<Series> natsProcess(int metrics, ProcessPart part) {
        try (ServerProcess server = ServerProcess.nats(nats, SERVER_MAX_PENDING)) {
            return part.run(server);
        } catch (Exception e) {
            return failed(metrics, "FAILED: " + e);
        }
    }

    /**
     * W10: the server process's CPU time (utime + stime from /proc, all its threads) per million
     * messages delivered, over one stream run; returns that and the messages skipped.
     */
    static double[] cpuPerMillion(ServerProcess server, Runs.Run stream, BenchConfig k, Deadline d) throws Exception {
        long before = ConnectionScale.cpuTicks(server.pid());
        double[] r = stream.run(k, d); // rate, delivered, skipped
        long ticks = ConnectionScale.cpuTicks(server.pid()) - before;
        double ms = ticks * 1000.0 / ConnectionScale.CLOCK_TICKS;
        return new double[] {ms / Math.max(1, r[1]) * 1e6, r[2]};
    }

    /** Sums a skipped series over the measured runs. */
    private static long total(Series s) {
        return s.ok() ? (long) s.values().stream().mapToDouble(Double::doubleValue).sum() : 0;
    }

    /** Runs {@code part} against a fresh nats-server. */
    private List<Series> nats(int metrics, NatsPart part) {
        try (ServerProcess server = ServerProcess.nats(nats, SERVER_MAX_PENDING)) {
            return part.run(new NatsBench(server.port()));
        } catch (Exception e) {
            return failed(metrics, "FAILED: " + e);
        }
    }

    /**
     * The rate series of a stream workload's result (rate, delivered, skipped); notes the measured
     * runs in which the system skipped messages.
     */
    Series rate(String workload, String system, List<Series> result, long expected) {
        Series skipped = result.get(2);
        this.skipped.put(result.get(0), skipped.ok()
                ? (long) skipped.values().stream().mapToDouble(Double::doubleValue).sum() : 0L);
        if (skipped.ok()) {
            long runs = skipped.values().stream().filter(v -> v > 0).count();
            if (runs > 0) {
                notes.add(String.format(Locale.ROOT, "%s: %s skipped messages in %d of %d measured runs (at most "
                        + "%,.0f of %,d; %s); the rate counts delivered messages only", workload, system, runs,
                        skipped.values().size(), skipped.max(), expected,
                        workload.startsWith("C") ? "a GAP, a dispatcher drop, or never arrived from the other node "
                                + "(counted once nothing arrived for " + Arrivals.STALL.toSeconds() + " s)"
                                : system.equals("Conduit") ? "the server's slow-consumer bound, reported with GAP"
                                : "dropped by the client's dispatcher"));
            }
        }
        return result.get(0);
    }

    /** A row of a stream workload: each side's skipped messages from {@link #rate} (0 for a peer that has none). */
    Row streamRow(String workload, String metric, Series conduit, String peer, Series peerSeries) {
        return new Row(workload, metric, "msg/s", true, conduit, peer, peerSeries,
                skipped.getOrDefault(conduit, 0L), skipped.getOrDefault(peerSeries, 0L));
    }

    static List<Series> failed(int metrics, String why) {
        Runs.log("  %s", why);
        List<Series> out = new ArrayList<>();
        for (int i = 0; i < metrics; i++) {
            out.add(Series.failed(why));
        }
        return out;
    }

    /** The highest NATS W1 16 B rate of this invocation (W9's rate is half of it); NaN until measured. */
    private double natsW1Max = Double.NaN;

    private void runAll() throws Exception {
        BenchConfig c = config;
        String[] sizes = {"16 B", "1 KiB"};
        int[] bytes = {BenchConfig.SMALL, BenchConfig.LARGE};
        List<Series> w1 = new ArrayList<>();
        List<Series> w3 = null;

        if (wanted("W1") || wanted("W7")) {
            for (int i = 0; i < bytes.length; i++) {
                int size = bytes[i];
                String name = "W1 " + sizes[i];
                Runs.log("%s pub/sub 1 -> 1, %,d messages", name, c.messages());
                Series conduit = rate(name, "Conduit", conduit(name, 3, b -> Runs.repeat(name + " conduit", c, 3,
                        (k, d) -> b.stream(k.messages(), size, 1, null, d))), c.messages());
                w1.add(conduit);
                if (wanted("W1")) {
                    Series peer = rate(name, "NATS", nats(3, n -> Runs.repeat(name + " nats", c, 3,
                            (k, d) -> n.stream(k.messages(), size, 1, null, d))), c.messages());
                    if (size == BenchConfig.SMALL && peer.ok()) {
                        natsW1Max = peer.max();
                    }
                    rows.add(streamRow("W1 pub/sub 1->1 " + sizes[i], "delivered", conduit, "NATS", peer));
                }
            }
        }
        if (wanted("W2")) {
            Runs.log("W2 fan-out 1 -> %d, %,d messages", c.fanout(), c.fanoutMessages());
            long deliveries = (long) c.fanoutMessages() * c.fanout();
            Series conduit = rate("W2", "Conduit", conduit("W2", 3, b -> Runs.repeat("W2 conduit", c, 3,
                    (k, d) -> b.stream(k.fanoutMessages(), BenchConfig.SMALL, k.fanout(), null, d))), deliveries);
            Series peer = rate("W2", "NATS", nats(3, n -> Runs.repeat("W2 nats", c, 3,
                    (k, d) -> n.stream(k.fanoutMessages(), BenchConfig.SMALL, k.fanout(), null, d))), deliveries);
            rows.add(streamRow("W2 fan-out 1->" + c.fanout() + " 16 B", "deliveries", conduit, "NATS", peer));
        }
        if (wanted("W3") || wanted("W6") || wanted("W7")) {
            Runs.log("W3 request/reply, 1 in flight, %,d requests", c.requests());
            w3 = conduit("W3", 3, b -> Runs.repeat("W3 conduit", c, 3,
                    (k, d) -> b.pingPong(k.requests(), BenchConfig.SMALL, d)));
            if (wanted("W3")) {
                List<Series> peer = nats(3, n -> Runs.repeat("W3 nats", c, 3,
                        (k, d) -> n.pingPong(k.requests(), BenchConfig.SMALL, d)));
                String[] p = {"p50", "p99", "p99.9"};
                for (int i = 0; i < 3; i++) {
                    rows.add(new Row("W3 request/reply 16 B", p[i] + " round trip", "us", false, w3.get(i), "NATS",
                            peer.get(i)));
                }
            }
        }
        if (wanted("W4")) {
            Runs.log("W4 request/reply, %d in flight, %,d requests", c.inflight(), c.inflightTotal());
            List<Series> conduit = conduit("W4", 2, b -> Runs.repeat("W4 conduit", c, 2,
                    (k, d) -> b.pipelined(k.inflightTotal(), k.inflight(), BenchConfig.SMALL, d)));
            List<Series> peer = nats(2, n -> Runs.repeat("W4 nats", c, 2,
                    (k, d) -> n.pipelined(k.inflightTotal(), k.inflight(), BenchConfig.SMALL, d)));
            String w = "W4 request/reply " + c.inflight() + " in flight";
            rows.add(new Row(w, "replies", "msg/s", true, conduit.get(0), "NATS", peer.get(0)));
            rows.add(new Row(w, "p99 round trip", "us", false, conduit.get(1), "NATS", peer.get(1)));
        }
        if (wanted("W5")) {
            Runs.log("W5 queue group 1 -> %d workers, %,d messages", c.workers(), c.queueMessages());
            Series conduit = rate("W5", "Conduit", conduit("W5", 3, b -> Runs.repeat("W5 conduit", c, 3,
                    (k, d) -> b.stream(k.queueMessages(), BenchConfig.SMALL, k.workers(), "workers", d))),
                    c.queueMessages());
            Series peer = rate("W5", "NATS", nats(3, n -> Runs.repeat("W5 nats", c, 3,
                    (k, d) -> n.stream(k.queueMessages(), BenchConfig.SMALL, k.workers(), "workers", d))),
                    c.queueMessages());
            rows.add(streamRow("W5 queue group 1->" + c.workers() + " 16 B", "delivered", conduit, "NATS", peer));
        }
        if (wanted("W6")) {
            Runs.log("W6 vs JeroMQ: %,d messages to 1 worker; %,d requests", c.queueMessages(), c.requests());
            Series conduit = rate("W6", "Conduit", conduit("W6", 3, b -> Runs.repeat("W6 conduit queue 1 worker", c, 3,
                    (k, d) -> b.stream(k.queueMessages(), BenchConfig.SMALL, 1, "workers", d))), c.queueMessages());
            ZmqBench zmq = new ZmqBench();
            Series push = Runs.repeat("W6 jeromq push/pull", c, 2,
                    (k, d) -> zmq.pushPull(k.queueMessages(), BenchConfig.SMALL, d)).get(0);
            rows.add(streamRow("W6 queue 1 worker / PUSH-PULL 16 B", "delivered", conduit, "JeroMQ", push));
            List<Series> rr = Runs.repeat("W6 jeromq req/rep", c, 3,
                    (k, d) -> zmq.reqRep(k.requests(), BenchConfig.SMALL, d));
            rows.add(new Row("W6 request / REQ-REP 16 B", "p50 round trip", "us", false, w3.get(0), "JeroMQ", rr.get(0)));
            rows.add(new Row("W6 request / REQ-REP 16 B", "p99 round trip", "us", false, w3.get(1), "JeroMQ", rr.get(1)));
        }
        if (wanted("W7")) {
            Runs.log("W7 vs raw Netty echo: %,d frames; %,d round trips", c.messages(), c.requests());
            try (ServerProcess echo = ServerProcess.java(NettyEcho.class)) {
                for (int i = 0; i < bytes.length; i++) {
                    int size = bytes[i];
                    Series netty = Runs.repeat("W7 netty stream " + sizes[i], c, 2, (k, d) -> {
                        try (NettyEcho.Client client = new NettyEcho.Client(echo.port())) {
                            return client.stream(k.messages(), size, d);
                        }
                    }).get(0);
                    rows.add(streamRow("W7 stream (as W1) " + sizes[i], "delivered", w1.get(i), "Netty echo", netty));
                }
                List<Series> netty = Runs.repeat("W7 netty ping-pong", c, 3, (k, d) -> {
                    try (NettyEcho.Client client = new NettyEcho.Client(echo.port())) {
                        return client.pingPong(k.requests(), BenchConfig.SMALL, d);
                    }
                });
                rows.add(new Row("W7 ping-pong (as W3) 16 B", "p50 round trip", "us", false, w3.get(0), "Netty echo",
                        netty.get(0)));
                rows.add(new Row("W7 ping-pong (as W3) 16 B", "p99 round trip", "us", false, w3.get(1), "Netty echo",
                        netty.get(1)));
            }
        }
        if (wanted("W8")) {
            Runs.log("W8 %,d idle sessions, %s idle", c.sessions(), c.idle());
            List<Series> scale;
            try (ServerProcess server = ServerProcess.java(ServerMain.class)) {
                long freshRss = ConnectionScale.rssKiB(server.pid());
                scale = Runs.repeat("W8 sessions", c, 5, (k, d) ->
                        ConnectionScale.run(ConnectionScale.of(server), k.sessions(), k.idle(), d, freshRss));
            } catch (Exception e) {
                scale = failed(5, "FAILED: " + e);
            }
            String w = "W8 " + c.sessions() + " idle sessions";
            rows.add(new Row(w, "server heap per session", "KiB", false, scale.get(0), null, null, -1, -1));
            rows.add(new Row(w, "server RSS growth per session", "KiB", false, scale.get(1), null, null, -1, -1));
            rows.add(new Row(w, "server idle CPU, whole process", "% of a core", false, scale.get(2), null, null, -1, -1));
            rows.add(new Row(w, "server idle CPU, conduit-* threads", "% of a core", false, scale.get(4), null, null, -1,
                    -1));
        }
        if (wanted("W9")) {
            runLatencyUnderLoad(c);
        }
        if (wanted("W10")) {
            runCpuPerMessage(c);
        }
        if (wanted("W1-TLS") || wanted("W3-TLS")) {
            new TlsWorkloads(this, nats).run(c);
        }
        if (wanted("C1") || wanted("C2")) {
            new ClusterWorkloads(this, nats, redis, conduitJar).run(c);
        }
    }

    /** W9: publish-to-delivery latency at half NATS's W1 16 B maximum, 1 -> 1, Conduit and NATS at the same rate. */
    private void runLatencyUnderLoad(BenchConfig c) {
        if (Double.isNaN(natsW1Max)) {
            Runs.log("W9: measuring NATS's W1 16 B maximum first");
            List<Series> w1 = nats(3, n -> Runs.repeat("W9 nats W1 16 B", c, 3,
                    (k, d) -> n.stream(k.messages(), BenchConfig.SMALL, 1, null, d)));
            natsW1Max = w1.get(0).ok() ? w1.get(0).max() : Double.NaN;
        }
        if (Double.isNaN(natsW1Max)) {
            notes.add("W9: not run, NATS's W1 16 B maximum could not be measured");
            return;
        }
        double rate = natsW1Max / 2;
        int seconds = c.latencySeconds();
        Runs.log("W9 latency at %,.0f msg/s (half NATS's W1 16 B maximum of %,.0f), %d s a run", rate, natsW1Max, seconds);
        // the warm-up configuration has a tenth of the counts: a tenth of the time too
        List<Series> conduit = conduit("W9", 4, b -> Runs.repeat("W9 conduit", c, 4,
                (k, d) -> b.fixedRate(count(k, c, rate, seconds), rate, d)));
        List<Series> peer = nats(4, n -> Runs.repeat("W9 nats", c, 4,
                (k, d) -> n.fixedRate(count(k, c, rate, seconds), rate, d)));
        String w = String.format(Locale.ROOT, "W9 latency at %,.0f msg/s 16 B", rate);
        String[] p = {"p50", "p99", "p99.9"};
        for (int i = 0; i < 3; i++) {
            rows.add(new Row(w, p[i] + " publish to delivery", "us", false, conduit.get(i), "NATS", peer.get(i),
                    total(conduit.get(3)), total(peer.get(3))));
        }
    }

    private static int count(BenchConfig k, BenchConfig c, double rate, int seconds) {
        return (int) Math.max(1, rate * seconds * k.messages() / (double) c.messages());
    }

    /** W10: server CPU time per million messages delivered, W1 16 B and W2, Conduit and nats-server. */
    private void runCpuPerMessage(BenchConfig c) {
        Runs.log("W10 server CPU per million delivered: W1 16 B (%,d messages), W2 (%,d x %d)", c.messages(),
                c.fanoutMessages(), c.fanout());
        for (String workload : new String[] {"W1", "W2"}) {
            boolean w1 = workload.equals("W1");
            List<Series> conduit = conduitProcess(2, server -> {
                ConduitBench b = new ConduitBench(server.port());
                return Runs.repeat("W10 " + workload + " conduit", c, 2, (k, d) -> cpuPerMillion(server, (kk, dd) -> w1
                        ? b.stream(kk.messages(), BenchConfig.SMALL, 1, null, dd)
                        : b.stream(kk.fanoutMessages(), BenchConfig.SMALL, kk.fanout(), null, dd), k, d));
            });
            List<Series> peer = natsProcess(2, server -> {
                NatsBench n = new NatsBench(server.port());
                return Runs.repeat("W10 " + workload + " nats", c, 2, (k, d) -> cpuPerMillion(server, (kk, dd) -> w1
                        ? n.stream(kk.messages(), BenchConfig.SMALL, 1, null, dd)
                        : n.stream(kk.fanoutMessages(), BenchConfig.SMALL, kk.fanout(), null, dd), k, d));
            });
            String w = w1 ? "W10 cost, as W1 16 B" : "W10 cost, as W2 fan-out 1->" + c.fanout();
            rows.add(new Row(w, "server CPU per million delivered", "ms", false, conduit.get(0), "nats-server",
                    peer.get(0), total(conduit.get(1)), total(peer.get(1))));
        }
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private String header(String command, double minutes) {
        BenchConfig c = config;
        StringBuilder sb = new StringBuilder();
        sb.append("# Benchmarks\n\n");
        sb.append("Side-by-side figures from `bench/compare.sh` (").append(Report.today())
                .append(", ").append(String.format(Locale.ROOT, "%.0f", minutes)).append(" min). ")
                .append("Conduit against nats-server with jnats, JeroMQ, and a raw Netty echo server as an upper ")
                .append("bound. Every workload ran once with a tenth of its counts to warm up (C2 once with its whole ")
                .append("counts, C1 ").append(ClusterWorkloads.C1_WARMUPS).append(" times), then ")
                .append(c.repeats()).append(c.repeats() == 1 ? " time" : " times").append("; each cell is the median with the spread (min - max) of those ")
                .append("runs. Each run had ").append(c.runTimeout().toSeconds())
                .append(" s; a run past it is reported as a failure.\n\n");
        sb.append("Load average (1 minute) when the run started: ").append(LOAD_AT_START).append("; when it ended: ")
                .append(loadAverage()).append(" (on ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores; a figure well above 1 at the start means something else was running). ")
                .append("These machines are shared cloud VMs: absolute figures drift from run to run, and the ")
                .append("ratios within one run are what to compare.\n\n");
        sb.append("## Machine\n\n");
        Report.machine().forEach(l -> sb.append(l).append('\n'));
        sb.append("- peers: ").append(natsVersion()).append(", jnats 2.21.1, JeroMQ 0.6.0, Netty ")
                .append(io.netty.util.Version.identify().values().stream().findFirst()
                        .map(v -> v.artifactVersion()).orElse("?"))
                .append(io.netty.channel.epoll.Epoll.isAvailable() ? " (native epoll)" : " (NIO)").append('\n');
        sb.append("\n## How it was run\n\n```sh\n").append(command).append("\n```\n\n");
        sb.append("Counts: W1 ").append(String.format(Locale.ROOT, "%,d", c.messages()))
                .append(" messages per run and payload size; W2 ")
                .append(String.format(Locale.ROOT, "%,d", c.fanoutMessages())).append(" messages to ")
                .append(c.fanout()).append(" subscribers; W3 ").append(String.format(Locale.ROOT, "%,d", c.requests()))
                .append(" requests; W4 ").append(String.format(Locale.ROOT, "%,d", c.inflightTotal()))
                .append(" requests, ").append(c.inflight()).append(" in flight; W5 and W6 ")
                .append(String.format(Locale.ROOT, "%,d", c.queueMessages())).append(" messages; W8 ")
                .append(String.format(Locale.ROOT, "%,d", c.sessions())).append(" sessions, idle CPU over ")
                .append(c.idle().toSeconds()).append(" s; W1-TLS and C1 as W1 16 B, W3-TLS and C2 as W3.\n\n");
        sb.append("""
                Setup:

                - Every server runs in its own process on 127.0.0.1 (a fresh one per workload): a JVM running \
                `dev.conduit.benchmarks.ServerMain` (Conduit's defaults, 2 I/O threads), `nats-server` (its \
                defaults), a JVM running `dev.conduit.benchmarks.NettyEcho`. The clients all run in the harness JVM, \
                each publisher, subscriber, requester and responder on its own connection. JeroMQ is brokerless: \
                its PUSH/PULL and REQ/REP ends connect directly, with no server hop in between.
                - Both brokers' per-connection slow-consumer bound is raised from 64 MiB to 256 MiB for the \
                stream workloads (Conduit `maxPendingBytesPerSession`, nats-server `max_pending`); \
                nats-server's write deadline is 10 s. A message a broker skips is not counted as delivered.
                - Rates are measured at the receiving side from the first to the last message; round trips \
                with HdrHistogram, one request at a time (W3) or 64 in flight (W4).
                - W6 compares Conduit's queue group with one worker to PUSH/PULL, and W3's request to REQ/REP.
                - W7 runs W1 (a pipelined one-way stream, through the echo server back to the sending \
                connection) and W3 (ping-pong) against a length-prefixed echo server on raw Netty: the column \
                "Conduit relative" is the fraction of that upper bound Conduit reaches.
                - W8 holds idle Conduit sessions (heartbeats every 5 s both ways, the default) open to one \
                server process, the clients sharing one I/O thread; measured 3 s after the last session opened; heap is the server's used heap after \
                System.gc() (asked over its stdin) minus the same before the sessions opened, RSS growth is VmRSS \
                from /proc minus VmRSS of the freshly started server (divided by the sessions), CPU is \
                utime+stime from /proc over the idle window, of the whole server process (JIT compiler and GC \
                threads included) and of its own threads only (named conduit-*: the I/O event loops, which \
                run the heartbeat timers, and the clock, which runs the stats tick); the warm-up and the repeats use one server, each run starting \
                once the sessions of the one before are gone.
                - W9 publishes 16 B messages 1 -> 1 at a fixed rate, half the highest NATS W1 16 B rate of the \
                same invocation, to Conduit and to NATS; each payload carries the time it was due to be sent, and \
                the subscriber (same JVM) records arrival minus that time, so a publisher held up counts against \
                the system (no coordinated omission).
                - W10 is the server process's CPU time (utime + stime from /proc, all its threads, JIT and GC \
                included) over one W1 16 B or W2 run, per million messages delivered.
                - W1-TLS and W3-TLS run W1 and W3 over TLS 1.3: `ServerMain` with a certificate (Conduit's \
                default TLS: 1.3 only, OpenSSL through netty-tcnative when it loads) against `nats-server --tls \
                --tlscert --tlskey` (which sends its INFO in plain text, then upgrades). A throwaway certificate \
                authority and an EC P-256 certificate for 127.0.0.1, made with openssl in a temporary folder at \
                the start, serve both; both clients trust that authority; jnats uses the JDK's TLS, held to TLS \
                1.3 by `jdk.tls.client.protocols`.
                - C1 (pub/sub 1->1 16 B, as W1) and C2 (request/reply 16 B, one in flight, as W3) cross the nodes \
                of a cluster: publisher or requester on node 1, subscriber or responder on node 2. Three systems \
                in the same invocation, each started once for both: three `conduit server --cluster redis://...` \
                processes (the launcher's jar, one redis-server with `--save '' --appendonly no` in a temporary \
                folder; docs/cluster.md), one `conduit server` alone (both sides on it: the single-node \
                baseline), and three nats-servers joined by routes (`-cluster`, `-routes`); a single \
                nats-server too, for NATS's own cross-node / single-server ratio in the notes. Interest crosses \
                nodes asynchronously in both clusters, so each cross-node run first sends probes until one gets \
                through. Each C row is cross-node Conduit against one peer: "Conduit single node" (the ratio \
                is the cost of the hop; targets: rate at least 0.5, p50 at most 2) or "NATS 3-node cluster". A \
                cross-node stream whose subscriber receives nothing for 5 s counts the rest as lost (a drop \
                between nodes is counted on the sending node, not told to the subscriber). Each system warms \
                up with whole runs, C1 with several: four processes share the two cores, and after one \
                warm-up the cross-node runs were still getting faster run by run (docs/cluster.md, \
                "Trimming what was read"). They need redis-server, and are skipped with a note without it.
                - "skipped" is the messages the system skipped over the measured runs (a Conduit GAP or \
                slow-consumer drop, a jnats dispatcher drop; in C1 also what never arrived from the other node); a \
                row where either side skipped any is marked not \
                comparable and has no ratio. Request/reply rows skip none (a lost reply fails the run).
                - "Conduit / peer" is the ratio of the medians; "Conduit relative" turns it so that higher \
                is better for Conduit (peer / Conduit for latencies). The chart shows that column.
                """);
        return sb.toString();
    }

    private String natsVersion() {
        try {
            Process p = new ProcessBuilder(nats, "--version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return v;
        } catch (Exception e) {
            return "nats-server (version unknown: " + e.getMessage() + ")";
        }
    }
}

package dev.conduit.benchmarks;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where C2's cross-node round trip goes (bench/cluster-profile.sh): the C2 workload of {@link
 * ClusterWorkloads} (request/reply, one in flight, 16 B, requester on node 1, responder on node 2 of
 * three {@code conduit server --cluster} processes and one redis-server), with, over the measured
 * run, the wake-ups (voluntary context switches) per request of every process by thread ({@link
 * ThreadActivity}: each node, redis-server, and this JVM, which holds both clients) and the Redis
 * commands per request and the microseconds Redis spent in each per request ({@code redis-cli info
 * commandstats} before and after: {@code xadd 0.0020; xadd us 0.0171} is one XADD per 500 messages,
 * 0.0171 us of Redis's time per message). Not recorded: the
 * figures are counts, steadier than the latency on a shared machine. With {@code c1}, the same for
 * C1 (16 B messages from node 1 to a subscriber on node 2, after a whole run to warm up), per message.
 */
final class ClusterProfile {
    private static final long SAMPLE_MILLIS = 100;

    private ClusterProfile() {
    }

    /** What is profiled: C2's round trips (the default) or C1's stream ({@code c1}). */
    private enum Workload {
        C2("request", "node 1 (requester's)", "node 2 (responder's)") {
            @Override
            double[] run(ClusterWorkloads.Running r, int count, Deadline d) throws Exception {
                return r.pingPong(count, d);
            }

            @Override
            int warmUpCount(int count) {
                return Math.max(1, count / 5);
            }

            @Override
            String result(double[] v, int count) {
                return String.format(Locale.ROOT, "C2 cross-node 16 B: p50 %.1f us, p99 %.1f us, p99.9 %.1f us over %,d"
                        + " requests", v[0], v[1], v[2], count);
            }
        },
        C1("message", "node 1 (publisher's)", "node 2 (subscriber's)") {
            @Override
            double[] run(ClusterWorkloads.Running r, int count, Deadline d) throws Exception {
                return r.stream(count, d);
            }

            @Override
            int warmUpCount(int count) {
                return count; // a whole run (compare.sh warms C1 up with ClusterWorkloads.C1_WARMUPS)
            }

            @Override
            String result(double[] v, int count) {
                return String.format(Locale.ROOT, "C1 cross-node 16 B: %.0f msg/s over %,d messages", v[0], count);
            }
        };

        final String unit;
        final String node1;
        final String node2;

        Workload(String unit, String node1, String node2) {
            this.unit = unit;
            this.node1 = node1;
            this.node2 = node2;
        }

        abstract double[] run(ClusterWorkloads.Running r, int count, Deadline d) throws Exception;

        abstract int warmUpCount(int count);

        abstract String result(double[] v, int count);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 && !(args.length == 4 && args[3].equals("c1"))) {
            System.err.println("usage: ClusterProfile REDIS-SERVER CONDUIT-JAR COUNT [c1]");
            System.exit(2);
        }
        int count = Integer.parseInt(args[2]);
        Workload w = args.length == 4 ? Workload.C1 : Workload.C2;
        String redisCli = java.nio.file.Path.of(args[0]).resolveSibling("redis-cli").toString();
        Deadline deadline = Deadline.in(Duration.ofMinutes(10));
        try (ClusterWorkloads.Running r = new ClusterWorkloads(null, null, args[0], args[1]).conduitCluster()) {
            List<ServerProcess> p = r.processes();
            ServerProcess redis = p.get(0);
            w.run(r, w.warmUpCount(count), deadline);
            Map<String, Long> before = commandStats(redisCli, redis.port());
            String[] names = {"redis-server", w.node1, w.node2, "node 3", "clients"};
            ThreadActivity[] threads = new ThreadActivity[names.length];
            for (int i = 0; i < 4; i++) {
                threads[i] = new ThreadActivity(p.get(i).pid());
            }
            threads[4] = new ThreadActivity(ProcessHandle.current().pid());
            double[] result;
            try (var sampler = new ThreadActivity.Sampler(SAMPLE_MILLIS, threads)) {
                result = w.run(r, count, deadline);
            }
            Map<String, Long> after = commandStats(redisCli, redis.port());
            System.out.printf(Locale.ROOT, "%s; load average %s%n", w.result(result, count), loadAverage());
            StringBuilder sb = new StringBuilder("Redis commands per " + w.unit + ":");
            after.forEach((cmd, calls) -> {
                long d = calls - before.getOrDefault(cmd, 0L);
                if (d > 0) {
                    sb.append(String.format(Locale.ROOT, " %s %.4f;", cmd, (double) d / count));
                }
            });
            System.out.println(sb);
            for (int i = 0; i < names.length; i++) {
                System.out.println(threads[i].describe(names[i], count, w.unit, 12));
            }
        }
    }

    /** {@code calls} of each command from {@code INFO commandstats}, and its {@code usec} under "COMMAND us". */
    private static Map<String, Long> commandStats(String redisCli, int port) throws Exception {
        Process p = new ProcessBuilder(redisCli, "-p", Integer.toString(port), "info", "commandstats")
                .redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("redis-cli failed: " + out);
        }
        Map<String, Long> calls = new TreeMap<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\r?\n")) {
            // cmdstat_xadd:calls=12,usec=...
            if (line.startsWith("cmdstat_")) {
                String cmd = line.substring("cmdstat_".length(), line.indexOf(':'));
                int at = line.indexOf("calls=") + "calls=".length();
                int end = line.indexOf(',', at);
                calls.put(cmd, Long.parseLong(line.substring(at, end)));
                int u = line.indexOf("usec=") + "usec=".length();
                calls.put(cmd + " us", Long.parseLong(line.substring(u, line.indexOf(',', u))));
            }
        }
        return calls;
    }

    private static String loadAverage() throws Exception {
        String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }
}

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
 * commands per request ({@code redis-cli info commandstats} before and after). Not recorded: the
 * figures are counts, steadier than the latency on a shared machine. With {@code c1}, the same for
 * C1 (16 B messages from node 1 to a subscriber on node 2, after a whole run to warm up), per message.
 */
final class ClusterProfile {
    private static final long SAMPLE_MILLIS = 100;

    private ClusterProfile() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 && !(args.length == 4 && args[3].equals("c1"))) {
            System.err.println("usage: ClusterProfile REDIS-SERVER CONDUIT-JAR COUNT [c1]");
            System.exit(2);
        }
        int count = Integer.parseInt(args[2]);
        boolean c1 = args.length == 4;
        String redisCli = java.nio.file.Path.of(args[0]).resolveSibling("redis-cli").toString();
        Deadline deadline = Deadline.in(Duration.ofMinutes(10));
        try (ClusterWorkloads.Running r = new ClusterWorkloads(null, null, args[0], args[1]).conduitCluster()) {
            List<ServerProcess> p = r.processes();
            ServerProcess redis = p.get(0);
            if (c1) {
                r.stream(count, deadline); // warm up with a whole run, as compare.sh does
            } else {
                r.pingPong(Math.max(1, count / 5), deadline); // warm up
            }
            Map<String, Long> before = commandStats(redisCli, redis.port());
            String[] names = c1 ? new String[] {"redis-server", "node 1 (publisher's)", "node 2 (subscriber's)", "node 3",
                    "clients"} : new String[] {"redis-server", "node 1 (requester's)", "node 2 (responder's)", "node 3",
                    "clients"};
            ThreadActivity[] threads = new ThreadActivity[names.length];
            for (int i = 0; i < 4; i++) {
                threads[i] = new ThreadActivity(p.get(i).pid());
            }
            threads[4] = new ThreadActivity(ProcessHandle.current().pid());
            double[] result;
            try (var sampler = new ThreadActivity.Sampler(SAMPLE_MILLIS, threads)) {
                result = c1 ? r.stream(count, deadline) : r.pingPong(count, deadline);
            }
            if (c1) {
                System.out.printf(Locale.ROOT, "C1 cross-node 16 B: %.0f msg/s over %,d messages; load average %s%n",
                        result[0], count, loadAverage());
            }
            Map<String, Long> after = commandStats(redisCli, redis.port());
            if (!c1) {
                System.out.printf(Locale.ROOT, "C2 cross-node 16 B: p50 %.1f us, p99 %.1f us, p99.9 %.1f us over %,d"
                        + " requests; load average %s%n", result[0], result[1], result[2], count, loadAverage());
            }
            String unit = c1 ? "message" : "request";
            StringBuilder sb = new StringBuilder("Redis commands per " + unit + ":");
            after.forEach((cmd, calls) -> {
                long d = calls - before.getOrDefault(cmd, 0L);
                if (d > 0) {
                    sb.append(String.format(Locale.ROOT, " %s %.4f;", cmd, (double) d / count));
                }
            });
            System.out.println(sb);
            for (int i = 0; i < names.length; i++) {
                System.out.println(threads[i].describe(names[i], count, unit, 12));
            }
        }
    }

    /** {@code calls} of each command from {@code INFO commandstats}. */
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
            }
        }
        return calls;
    }

    private static String loadAverage() throws Exception {
        String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }
}

package dev.conduit.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * JDK Flight Recorder profiles of one Conduit workload, as {@code bench/profile.sh} runs them:
 * {@code Profile W1|W2|W3|W4|W5 COUNT DIR}, each of the shape {@code bench/compare.sh} gives it
 * ({@link BenchConfig#full()}: W1 16 B pub/sub 1 -> 1; W2 fan-out 1 -> 4; W3 request/reply, one in
 * flight; W4 64 requests in flight; W5 a queue group of 4 workers), run by {@link ConduitBench}'s
 * code. Starts a {@link ServerMain} process, warms both sides up with a fifth of the count, then
 * records the measured run only, in both processes at once, with the JDK's {@code profile} settings
 * (allocation samples) and a CPU sample every millisecond: {@code DIR/w1-server.jfr} and {@code
 * DIR/w1-client.jfr} (the client JVM holds the publisher and the subscribers, or the requester and
 * the responder). Prints the run's figure and, for each process, over the measured run: CPU time
 * (utime + stime from /proc) per million messages or requests, bytes allocated on the heap per
 * message or request (exact, from the JVM's per-thread counters, not the JFR samples), and context
 * switches per message or request from /proc, in all and by thread ({@link ThreadActivity}). A
 * message is one published (W2 delivers each to 4 subscribers), a request one answered. With {@code
 * --nats PATH}, then runs the same workload against that nats-server with jnats, unrecorded, and
 * prints the same figures (the client's allocation only) for comparison; with {@code --echo}, for W1
 * and W3, the same against compare.sh's raw Netty echo server (its W7).
 */
public final class Profile {
    private static final List<String> WORKLOADS = List.of("W1", "W2", "W3", "W4", "W5");
    /**
     * How often the threads' context switches are read: a thread's last figures before it ends (the
     * clients' I/O threads end when the run closes them) are those of the last reading, so up to this
     * much of their activity is not counted; reading more often costs the client process more CPU.
     */
    private static final long SAMPLE_MILLIS = 250;

    private Profile() {
    }

    public static void main(String[] args) throws Exception {
        if (!usable(args)) {
            System.err.println("usage: Profile W1|W2|W3|W4|W5 COUNT DIR [--nats NATS-SERVER] [--echo]");
            System.exit(2);
        }
        String workload = args[0].toUpperCase(Locale.ROOT);
        int count = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]).toAbsolutePath();
        Files.createDirectories(dir);
        String name = workload.toLowerCase(Locale.ROOT);
        String unit = workload.equals("W3") || workload.equals("W4") ? "request" : "message";
        long self = ProcessHandle.current().pid();
        try (ServerProcess server = ServerProcess.java(ServerMain.class, Long.toString(Compare.SERVER_MAX_PENDING))) {
            ConduitBench bench = new ConduitBench(server.port());
            run(bench, workload, Math.max(1, count / 5));
            server.ask("record " + dir.resolve(name + "-server.jfr"), "RECORDING");
            Recorder.start(dir.resolve(name + "-client.jfr"));
            double[] result;
            long serverTicks = ConnectionScale.cpuTicks(server.pid());
            long clientTicks = ConnectionScale.cpuTicks(self);
            long serverBytes = server.ask("allocated", "ALLOCATED");
            long clientBytes = ServerMain.allocatedBytes();
            ThreadActivity serverThreads = new ThreadActivity(server.pid());
            ThreadActivity clientThreads = new ThreadActivity(self);
            try (var sampler = new ThreadActivity.Sampler(SAMPLE_MILLIS, serverThreads, clientThreads)) {
                result = run(bench, workload, count);
            } finally {
                serverTicks = ConnectionScale.cpuTicks(server.pid()) - serverTicks;
                clientTicks = ConnectionScale.cpuTicks(self) - clientTicks;
                clientBytes = ServerMain.allocatedBytes() - clientBytes;
                serverBytes = server.ask("allocated", "ALLOCATED") - serverBytes;
                Recorder.stop();
                server.ask("stop", "RECORDED");
            }
            // CPU time (utime + stime, whole process, JIT and GC included) per million messages or requests
            double perMillion = 1e6 / count * 1000.0 / ConnectionScale.CLOCK_TICKS;
            System.out.printf(Locale.ROOT, "CPU per million: server %.0f ms, client %.0f ms (with recording on)%n",
                    serverTicks * perMillion, clientTicks * perMillion);
            System.out.println(figure(workload, result, count));
            System.out.printf(Locale.ROOT, "Allocated per %s: server %,.0f B, client %,.0f B (recording on;"
                    + " all threads, JFR's own included)%n", unit, (double) serverBytes / count,
                    (double) clientBytes / count);
            System.out.println(serverThreads.describe("server", count, unit));
            System.out.println(clientThreads.describe("client", count, unit));
        }
        for (int i = 3; i < args.length; i++) {
            if (args[i].equals("--nats")) {
                nats(args[++i], workload, count, unit);
            } else {
                echo(workload, count, unit);
            }
        }
    }

    /** One run of a peer's side of the workload with {@code count} messages or requests. */
    @FunctionalInterface
    private interface PeerRun {
        double[] run(int count) throws Exception;
    }

    /**
     * The same workload against nats-server with jnats in this JVM, unrecorded: its figure, CPU per
     * million, the client's allocation and both processes' context switches, for comparison.
     */
    private static void nats(String natsServer, String workload, int count, String unit) throws Exception {
        try (ServerProcess server = ServerProcess.nats(natsServer, Compare.SERVER_MAX_PENDING)) {
            NatsBench bench = new NatsBench(server.port());
            double[] result = peer(server, count, unit, "nats-server", "jnats client", n -> run(bench, workload, n),
                    String.format(Locale.ROOT, "%nNATS, the same workload (%s, jnats in this JVM; not recorded)",
                            natsServer));
            System.out.println(figure(workload, result, count));
        }
    }

    /**
     * W1 or W3 against the raw Netty echo server of compare.sh's W7 ({@link NettyEcho}, in its own
     * process; its client in this JVM), unrecorded, as {@link #nats}: the floor of a stream or a
     * round trip through one more process on this machine.
     */
    private static void echo(String workload, int count, String unit) throws Exception {
        if (!workload.equals("W1") && !workload.equals("W3")) {
            System.out.printf("%nNetty echo: only for W1 and W3 (compare.sh's W7), not %s%n", workload);
            return;
        }
        try (ServerProcess server = ServerProcess.java(NettyEcho.class)) {
            Deadline deadline = Deadline.in(Duration.ofMinutes(5));
            PeerRun run = n -> {
                try (NettyEcho.Client client = new NettyEcho.Client(server.port())) {
                    return workload.equals("W1") ? client.stream(n, BenchConfig.SMALL, deadline)
                            : client.pingPong(n, BenchConfig.SMALL, deadline);
                }
            };
            double[] r = peer(server, count, unit, "echo server", "echo client", run,
                    "\nNetty echo (compare.sh's W7), the same count (echo server in its own process; not recorded)");
            System.out.println(workload.equals("W1")
                    ? String.format(Locale.ROOT, "echo stream 16 B: %,.0f frames/s echoed of %,d", r[0], count)
                    : String.format(Locale.ROOT, "echo ping-pong 16 B: p50 %.1f us, p99 %.1f us, p99.9 %.1f us over %,d"
                            + " round trips", r[0], r[1], r[2], count));
        }
    }

    /**
     * Warms up with a fifth of {@code count}, then measures one run: prints {@code title}, both
     * processes' CPU per million, the client's allocation and both processes' context switches;
     * returns the run's figures.
     */
    private static double[] peer(ServerProcess server, int count, String unit, String serverName, String clientName,
                                 PeerRun run, String title) throws Exception {
        run.run(Math.max(1, count / 5));
        long self = ProcessHandle.current().pid();
        long serverTicks = ConnectionScale.cpuTicks(server.pid());
        long clientTicks = ConnectionScale.cpuTicks(self);
        long clientBytes = ServerMain.allocatedBytes();
        ThreadActivity serverThreads = new ThreadActivity(server.pid());
        ThreadActivity clientThreads = new ThreadActivity(self);
        double[] result;
        try (var sampler = new ThreadActivity.Sampler(SAMPLE_MILLIS, serverThreads, clientThreads)) {
            result = run.run(count);
        }
        serverTicks = ConnectionScale.cpuTicks(server.pid()) - serverTicks;
        clientTicks = ConnectionScale.cpuTicks(self) - clientTicks;
        clientBytes = ServerMain.allocatedBytes() - clientBytes;
        double perMillion = 1e6 / count * 1000.0 / ConnectionScale.CLOCK_TICKS;
        System.out.println(title);
        System.out.printf(Locale.ROOT, "CPU per million: %s %.0f ms, %s %.0f ms%n",
                serverName, serverTicks * perMillion, clientName, clientTicks * perMillion);
        System.out.printf(Locale.ROOT, "Allocated per %s: %s %,.0f B%n", unit, clientName,
                (double) clientBytes / count);
        System.out.println(serverThreads.describe(serverName, count, unit));
        System.out.println(clientThreads.describe(clientName, count, unit));
        return result;
    }

    private static boolean usable(String[] args) {
        if (args.length < 3 || !WORKLOADS.contains(args[0].toUpperCase(Locale.ROOT))) {
            return false;
        }
        for (int i = 3; i < args.length; i++) {
            if (args[i].equals("--nats") && i + 1 < args.length) {
                i++;
            } else if (!args[i].equals("--echo")) {
                return false;
            }
        }
        return true;
    }

    private static String figure(String workload, double[] r, int count) {
        BenchConfig shape = BenchConfig.full();
        return switch (workload) {
            case "W1" -> String.format(Locale.ROOT, "W1 16 B: %,.0f msg/s delivered, %,.0f skipped of %,d",
                    r[0], r[2], count);
            case "W2" -> String.format(Locale.ROOT, "W2 16 B 1 -> %d: %,.0f deliveries/s, %,.0f skipped of %,d",
                    shape.fanout(), r[0], r[2], (long) count * shape.fanout());
            case "W5" -> String.format(Locale.ROOT, "W5 16 B queue group of %d: %,.0f msg/s delivered,"
                    + " %,.0f skipped of %,d", shape.workers(), r[0], r[2], count);
            case "W4" -> String.format(Locale.ROOT, "W4 16 B, %d in flight: %,.0f replies/s, p99 %.1f us over %,d"
                    + " requests", shape.inflight(), r[0], r[1], count);
            default -> String.format(Locale.ROOT, "W3 16 B: p50 %.1f us, p99 %.1f us, p99.9 %.1f us over %,d"
                    + " requests", r[0], r[1], r[2], count);
        };
    }

    /** The workload as {@code Compare} runs it, with {@code count} messages or requests, by either client. */
    private static double[] run(Workloads bench, String workload, int count) throws Exception {
        BenchConfig shape = BenchConfig.full();
        Deadline deadline = Deadline.in(Duration.ofMinutes(5));
        return switch (workload) {
            case "W1" -> bench.stream(count, BenchConfig.SMALL, 1, null, deadline);
            case "W2" -> bench.stream(count, BenchConfig.SMALL, shape.fanout(), null, deadline);
            case "W3" -> bench.pingPong(count, BenchConfig.SMALL, deadline);
            case "W4" -> bench.pipelined(count, shape.inflight(), BenchConfig.SMALL, deadline);
            case "W5" -> bench.stream(count, BenchConfig.SMALL, shape.workers(), "workers", deadline);
            default -> throw new IllegalArgumentException("unknown workload " + workload);
        };
    }

    /** The one recording of this process (the harness's or a {@link ServerMain}'s), started and stopped on command. */
    static final class Recorder {
        private static Recording recording;
        private static Path file;

        private Recorder() {
        }

        static synchronized void start(Path to) {
            if (recording != null) {
                throw new IllegalStateException("already recording to " + file);
            }
            try {
                // The profile settings, with CPU samples every millisecond instead of every 10 (20 for
                // native code): a run of a few seconds then gives thousands of samples, not a hundred.
                java.util.Map<String, String> settings =
                        new java.util.HashMap<>(Configuration.getConfiguration("profile").getSettings());
                settings.put("jdk.ExecutionSample#period", "1 ms");
                settings.put("jdk.NativeMethodSample#period", "1 ms");
                recording = new Recording(settings);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (ParseException e) {
                throw new IllegalStateException(e);
            }
            file = to;
            recording.start();
        }

        static synchronized void stop() {
            if (recording == null) {
                return;
            }
            try {
                recording.stop();
                recording.dump(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                recording.close();
                recording = null;
            }
        }
    }
}

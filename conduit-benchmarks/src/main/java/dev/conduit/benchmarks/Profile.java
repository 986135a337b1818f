package dev.conduit.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * JDK Flight Recorder profiles of one Conduit workload, as {@code bench/profile.sh} runs them:
 * {@code Profile W1|W3 COUNT DIR}. Starts a {@link ServerMain} process, warms both sides up with a
 * fifth of the count, then records the measured run only, in both processes at once, with the JDK's
 * {@code profile} settings (allocation samples) and a CPU sample every millisecond: {@code DIR/w1-server.jfr}
 * and {@code DIR/w1-client.jfr} (the client JVM holds the publisher and the subscriber, or the
 * requester and the responder). Prints the run's figure and each process's CPU time (utime + stime
 * from /proc) per million messages or requests.
 */
public final class Profile {

    private Profile() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !Arrays.asList("W1", "W3").contains(args[0].toUpperCase(Locale.ROOT))) {
            System.err.println("usage: Profile W1|W3 COUNT DIR");
            System.exit(2);
        }
        String workload = args[0].toUpperCase(Locale.ROOT);
        int count = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]).toAbsolutePath();
        Files.createDirectories(dir);
        String name = workload.toLowerCase(Locale.ROOT);
        try (ServerProcess server = ServerProcess.java(ServerMain.class, Long.toString(Compare.SERVER_MAX_PENDING))) {
            ConduitBench bench = new ConduitBench(server.port());
            run(bench, workload, Math.max(1, count / 5));
            server.ask("record " + dir.resolve(name + "-server.jfr"), "RECORDING");
            Recorder.start(dir.resolve(name + "-client.jfr"));
            double[] result;
            long serverTicks = ConnectionScale.cpuTicks(server.pid());
            long clientTicks = ConnectionScale.cpuTicks(ProcessHandle.current().pid());
            try {
                result = run(bench, workload, count);
            } finally {
                serverTicks = ConnectionScale.cpuTicks(server.pid()) - serverTicks;
                clientTicks = ConnectionScale.cpuTicks(ProcessHandle.current().pid()) - clientTicks;
                Recorder.stop();
                server.ask("stop", "RECORDED");
            }
            // CPU time (utime + stime, whole process, JIT and GC included) per million messages or requests
            double perMillion = 1e6 / count * 1000.0 / ConnectionScale.CLOCK_TICKS;
            System.out.printf(Locale.ROOT, "CPU per million: server %.0f ms, client %.0f ms (with recording on)%n",
                    serverTicks * perMillion, clientTicks * perMillion);
            if (workload.equals("W1")) {
                System.out.printf(Locale.ROOT, "W1 16 B: %,.0f msg/s delivered, %,.0f skipped of %,d%n",
                        result[0], result[2], count);
            } else {
                System.out.printf(Locale.ROOT, "W3 16 B: p50 %.1f us, p99 %.1f us, p99.9 %.1f us over %,d requests%n",
                        result[0], result[1], result[2], count);
            }
        }
    }

    private static double[] run(ConduitBench bench, String workload, int count) throws Exception {
        Deadline deadline = Deadline.in(Duration.ofMinutes(5));
        return workload.equals("W1")
                ? bench.stream(count, BenchConfig.SMALL, 1, null, deadline)
                : bench.pingPong(count, BenchConfig.SMALL, deadline);
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

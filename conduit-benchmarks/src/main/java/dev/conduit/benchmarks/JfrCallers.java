package dev.conduit.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;

/**
 * What {@code jfr view hot-methods} leaves out, for {@code bench/profile.sh}: {@code JfrCallers
 * FILE.jfr} charges each CPU sample ({@code jdk.ExecutionSample}) and each allocation sample
 * ({@code jdk.ObjectAllocationSample}, by its weight) to the nearest Conduit method on its stack
 * (the sampled method itself if it is in {@code dev.conduit}, else its closest caller there; JDK
 * and Netty frames alone: {@code (no Conduit frame)}), with the line it was at, and prints the
 * shares of the top ones, each with the top frames sampled under it. A JDK frame such as a bounds
 * check or a queue's {@code offer} then shows whose work it is. Samples taken in the harness's own
 * measuring ({@code Profile$Recorder}, JFR instrumenting its event classes as the recording starts;
 * {@code ThreadActivity}, reading /proc) are left out, and their share printed.
 */
public final class JfrCallers {
    private static final int ROWS = 15;
    private static final int TOP_FRAMES = 3;
    private static final java.util.Set<String> HARNESS = java.util.Set.of(
            "dev.conduit.benchmarks.Profile$Recorder", "dev.conduit.benchmarks.ThreadActivity",
            "dev.conduit.benchmarks.ThreadActivity$Sampler");

    private JfrCallers() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: JfrCallers FILE.jfr");
            System.exit(2);
        }
        Tally cpu = new Tally();
        Tally allocation = new Tally();
        for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
            String type = e.getEventType().getName();
            if (type.equals("jdk.ExecutionSample")) {
                cpu.add(e, 1);
            } else if (type.equals("jdk.ObjectAllocationSample")) {
                allocation.add(e, e.getLong("weight"));
            }
        }
        cpu.print("CPU samples by nearest Conduit frame", "samples");
        allocation.print("Allocation samples (by weight) by nearest Conduit frame", "bytes sampled");
    }

    /** Weights by nearest Conduit frame, and under each by top frame. */
    static final class Tally {
        private final Map<String, Long> byCaller = new HashMap<>();
        private final Map<String, Map<String, Long>> byTop = new HashMap<>();
        private long total;
        private long harness;

        void add(RecordedEvent event, long weight) {
            if (event.getStackTrace() == null || event.getStackTrace().getFrames().isEmpty()) {
                return;
            }
            List<RecordedFrame> frames = event.getStackTrace().getFrames();
            String top = name(frames.get(0).getMethod());
            String caller = "(no Conduit frame)";
            for (RecordedFrame f : frames) {
                if (f.getMethod() != null && HARNESS.contains(f.getMethod().getType().getName())) {
                    harness += weight;
                    return;
                }
            }
            for (RecordedFrame f : frames) {
                if (f.getMethod() != null && f.getMethod().getType().getName().startsWith("dev.conduit.")) {
                    caller = name(f.getMethod()) + (f.getLineNumber() > 0 ? ":" + f.getLineNumber() : "");
                    break;
                }
            }
            total += weight;
            byCaller.merge(caller, weight, Long::sum);
            byTop.computeIfAbsent(caller, k -> new HashMap<>()).merge(top, weight, Long::sum);
        }

        private static String name(RecordedMethod m) {
            if (m == null) {
                return "?";
            }
            String type = m.getType().getName();
            return type.substring(type.lastIndexOf('.') + 1) + "." + m.getName();
        }

        void print(String title, String what) {
            System.out.printf(Locale.ROOT, "%n%s (%,d %s; %.1f%% more in the harness's measuring, left out)%n",
                    title, total, what, total + harness == 0 ? 0.0 : 100.0 * harness / (total + harness));
            if (total == 0) {
                return;
            }
            byCaller.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(ROWS)
                    .forEach(c -> {
                        StringBuilder under = new StringBuilder();
                        byTop.get(c.getKey()).entrySet().stream()
                                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(TOP_FRAMES)
                                .forEach(t -> under.append(under.isEmpty() ? "" : ", ").append(t.getKey())
                                        .append(String.format(Locale.ROOT, " %.1f%%", 100.0 * t.getValue() / total)));
                        System.out.printf(Locale.ROOT, "%6.1f%%  %-55s top frames: %s%n",
                                100.0 * c.getValue() / total, c.getKey(), under);
                    });
        }
    }
}

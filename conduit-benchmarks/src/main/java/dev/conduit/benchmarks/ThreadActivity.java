package dev.conduit.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Context switches and CPU time of every thread of one process over a window, from Linux's
 * {@code /proc/PID/task/TID/status} ({@code voluntary_ctxt_switches}: the thread blocked, in a park,
 * a futex or {@code epoll_wait}, and was later woken: one wake-up each; {@code
 * nonvoluntary_ctxt_switches}: it was preempted, which depends on the machine's load) and {@code
 * stat} (utime + stime). A thread's counts vanish from {@code /proc} when it ends (the harness's
 * clients end their I/O threads at close), so {@link #poll()} is meant to be called every hundred
 * milliseconds or so during the window (a {@link Sampler} does that) and keeps the last figures it
 * saw of each thread; what a thread did between its last poll and its end is not counted.
 *
 * <p>Not thread-safe: one {@link Sampler} thread polls, and {@link #totals()} is read after it has
 * stopped.
 */
final class ThreadActivity {
    /** The sampler's own thread name (as {@code /proc} shows it: 15 characters at most), left out. */
    private static final String SAMPLER = "thread-activity";

    private final long pid;
    private final Map<String, long[]> start = new HashMap<>();
    private final Map<String, long[]> last = new HashMap<>();
    private final Map<String, String> names = new HashMap<>();

    /** Takes the starting figures of the threads alive now. */
    ThreadActivity(long pid) {
        this.pid = pid;
        read(start);
        last.putAll(start);
    }

    /** Reads every thread's figures again, keeping the newest of each. */
    void poll() {
        read(last);
    }

    private void read(Map<String, long[]> into) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        List<Path> all = new ArrayList<>();
        try (var list = Files.list(tasks)) {
            list.forEach(all::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + tasks, e);
        }
        for (Path task : all) {
            try {
                String status = Files.readString(task.resolve("status"));
                String stat = Files.readString(task.resolve("stat"));
                String name = field(status, "Name:");
                if (name.equals(SAMPLER)) {
                    continue;
                }
                String tid = task.getFileName().toString();
                names.put(tid, name);
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
                into.put(tid, new long[] {
                    Long.parseLong(field(status, "voluntary_ctxt_switches:")),
                    Long.parseLong(field(status, "nonvoluntary_ctxt_switches:")),
                    Long.parseLong(f[11]) + Long.parseLong(f[12])});
            } catch (IOException ended) {
                // the thread ended between the listing and the read: its last poll stands
            }
        }
    }

    private static String field(String status, String key) {
        int at = status.startsWith(key) ? 0 : status.indexOf("\n" + key) + 1;
        if (at == 0 && !status.startsWith(key)) {
            throw new IllegalStateException("no " + key + " in /proc status");
        }
        int end = status.indexOf('\n', at);
        return status.substring(at + key.length(), end < 0 ? status.length() : end).trim();
    }

    /**
     * Voluntary switches, involuntary switches and CPU clock ticks over the window, by thread name
     * with its digits replaced by {@code N} ({@code conduit-io-N}, {@code ForkJoinPool-N-worker-N}),
     * sorted by name; the key {@code ""} holds the process's total.
     */
    Map<String, long[]> totals() {
        Map<String, long[]> byName = new TreeMap<>();
        long[] total = new long[3];
        for (var e : last.entrySet()) {
            long[] from = start.getOrDefault(e.getKey(), new long[3]);
            String group = names.get(e.getKey()).replaceAll("[0-9]+", "N");
            long[] sum = byName.computeIfAbsent(group, k -> new long[3]);
            for (int i = 0; i < 3; i++) {
                long d = e.getValue()[i] - from[i];
                sum[i] += d;
                total[i] += d;
            }
        }
        byName.put("", total);
        return byName;
    }

    /**
     * One line per process: switches per unit of work (message or request), then the thread groups
     * with the most wake-ups (voluntary switches), each with its voluntary / involuntary switches
     * and CPU microseconds per unit.
     */
    String describe(String side, long units, String unit) {
        return describe(side, units, unit, 6);
    }

    /** As {@link #describe(String, long, String)}, with at most {@code groups} thread groups. */
    String describe(String side, long units, String unit, int groups) {
        Map<String, long[]> totals = totals();
        long[] t = totals.get("");
        StringBuilder sb = new StringBuilder(String.format(java.util.Locale.ROOT,
                "%s context switches per %s: %.3f voluntary (wake-ups), %.3f involuntary;"
                        + " by thread (voluntary / involuntary / CPU us per %s):",
                side, unit, (double) t[0] / units, (double) t[1] / units, unit));
        totals.entrySet().stream().filter(e -> !e.getKey().isEmpty())
                .filter(e -> e.getValue()[0] + e.getValue()[1] + e.getValue()[2] > 0)
                .sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0])).limit(groups)
                .forEach(e -> sb.append(String.format(java.util.Locale.ROOT, " %s %.3f / %.3f / %.2f;",
                        e.getKey(), (double) e.getValue()[0] / units, (double) e.getValue()[1] / units,
                        e.getValue()[2] * 1e6 / ConnectionScale.CLOCK_TICKS / units)));
        return sb.toString();
    }

    /** A daemon thread polling some processes' {@link ThreadActivity} every {@code periodMillis}. */
    static final class Sampler implements AutoCloseable {
        private final List<ThreadActivity> watched;
        private final Thread thread;
        private volatile boolean running = true;

        Sampler(long periodMillis, ThreadActivity... watched) {
            this.watched = List.of(watched);
            thread = new Thread(() -> {
                while (running) {
                    this.watched.forEach(ThreadActivity::poll);
                    try {
                        // a sampling period, not a wait for a condition
                        Thread.sleep(periodMillis);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, SAMPLER);
            thread.setDaemon(true);
            thread.start();
        }

        /** Stops polling and takes a last reading. */
        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.interrupt();
            thread.join();
            watched.forEach(ThreadActivity::poll);
        }
    }
}

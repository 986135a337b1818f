package dev.conduit.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/** Warm-up, repeats and the figures of a run. */
final class Runs {

    private Runs() {
    }

    /** One bounded run of a workload; returns its metrics in a fixed order. */
    @FunctionalInterface
    interface Run {
        double[] run(BenchConfig config, Deadline deadline) throws Exception;
    }

    /**
     * Runs once with the warm-up counts (not measured), then {@code config.repeats()} times; the
     * result holds one series per metric. A failed run (timeout, error) fails every series with its
     * reason.
     */
    static List<Series> repeat(String name, BenchConfig config, int metrics, Run run) {
        return inTurn(List.of(name), config, metrics, List.of(run)).get(0);
    }

    /**
     * As {@link #repeat}, for several systems whose figures are compared with each other, taken in
     * turn so that drift in the machine's speed over the invocation falls on all of them alike: each
     * warms up once, then each repeat runs every system once, in the given order on even repeats
     * and the reverse on odd ones. A failed run fails only its own system's series; the others go on.
     *
     * @return for each of {@code runs}, in order, one series per metric
     */
    static List<List<Series>> inTurn(List<String> names, BenchConfig config, int metrics, List<Run> runs) {
        int n = runs.size();
        List<List<List<Double>>> values = new ArrayList<>();
        String[] failure = new String[n];
        for (int s = 0; s < n; s++) {
            List<List<Double>> v = new ArrayList<>();
            for (int i = 0; i < metrics; i++) {
                v.add(new ArrayList<>());
            }
            values.add(v);
            failure[s] = once(names.get(s), runs.get(s), config.warmup(), config, null);
        }
        for (int r = 0; r < config.repeats(); r++) {
            for (int k = 0; k < n; k++) {
                int s = r % 2 == 0 ? k : n - 1 - k;
                if (failure[s] == null) {
                    double[] v = new double[metrics];
                    failure[s] = once(names.get(s), runs.get(s), config, config, v);
                    if (failure[s] == null) {
                        for (int i = 0; i < metrics; i++) {
                            values.get(s).get(i).add(v[i]);
                        }
                        log("  %s run %d: %s", names.get(s), r + 1, format(v));
                    }
                }
            }
        }
        List<List<Series>> out = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            List<Series> series = new ArrayList<>();
            for (int i = 0; i < metrics; i++) {
                series.add(failure[s] != null ? Series.failed(failure[s]) : Series.of(values.get(s).get(i)));
            }
            out.add(series);
        }
        return out;
    }

    /** One run with {@code counts}; its figures into {@code into} (if given); the failure's reason, or null. */
    private static String once(String name, Run run, BenchConfig counts, BenchConfig config, double[] into) {
        try {
            double[] v = run.run(counts, Deadline.in(config.runTimeout()));
            if (into != null) {
                System.arraycopy(v, 0, into, 0, into.length);
            }
            return null;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            String why = (e instanceof java.util.concurrent.TimeoutException ? "TIMEOUT: " : "FAILED: ")
                    + e.getClass().getSimpleName() + ": " + e.getMessage();
            log("  %s %s", name, why);
            return why;
        }
    }

    static Histogram histogram() {
        return new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    }

    /** p50, p99, p99.9 in microseconds. */
    static double[] percentilesMicros(Histogram h) {
        return new double[] {h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
            h.getValueAtPercentile(99.9) / 1e3};
    }

    /** Events per second between two nano times. */
    static double rate(long events, long firstNanos, long lastNanos) {
        long span = Math.max(1, lastNanos - firstNanos);
        return events * 1e9 / span;
    }

    static String format(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double d : v) {
            sb.append(sb.isEmpty() ? "" : ", ").append(String.format("%.1f", d));
        }
        return sb.toString();
    }

    static void log(String format, Object... args) {
        System.err.printf(format + "%n", args);
        System.err.flush();
    }

    /**
     * W4's loop, the same for every system: keeps {@code inflight} requests going until {@code count}
     * were sent, and records each one's round trip.
     *
     * @param send sends one request; its future completes with the reply
     * @return replies per second and the p99 round trip in microseconds
     */
    static double[] inFlight(int count, int inflight, Deadline deadline,
                             java.util.function.Supplier<java.util.concurrent.CompletableFuture<?>> send)
            throws Exception {
        org.HdrHistogram.Histogram h = new org.HdrHistogram.ConcurrentHistogram(
                java.util.concurrent.TimeUnit.SECONDS.toNanos(60), 3);
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(inflight);
        long start = System.nanoTime();
        for (int i = 0; i < count && failure.get() == null; i++) {
            if (!window.tryAcquire(deadline.remainingNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)) {
                throw new java.util.concurrent.TimeoutException("requests in flight: no reply within " + deadline.budget());
            }
            long t0 = System.nanoTime();
            send.get().whenComplete((m, e) -> {
                if (e != null) {
                    failure.compareAndSet(null, e);
                } else {
                    h.recordValue(System.nanoTime() - t0);
                }
                window.release();
            });
        }
        if (!window.tryAcquire(inflight, deadline.remainingNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)) {
            throw new java.util.concurrent.TimeoutException("last requests in flight: not answered within "
                    + deadline.budget());
        }
        long end = System.nanoTime();
        if (failure.get() != null) {
            throw new IllegalStateException("a request failed: " + failure.get(), failure.get());
        }
        return new double[] {rate(count, start, end), h.getValueAtPercentile(99) / 1e3};
    }
}

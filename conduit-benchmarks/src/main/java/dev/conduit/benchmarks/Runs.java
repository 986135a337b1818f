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
        return repeat(name, config, metrics, 1, run);
    }

    /**
     * {@link #repeat(String, BenchConfig, int, Run)} with {@code warmups} warm-up runs (each logged
     * with its figures, so that a ramp still under way shows).
     */
    static List<Series> repeat(String name, BenchConfig config, int metrics, int warmups, Run run) {
        List<List<Double>> values = new ArrayList<>();
        for (int i = 0; i < metrics; i++) {
            values.add(new ArrayList<>());
        }
        try {
            for (int w = 0; w < warmups; w++) {
                double[] v = run.run(config.warmup(), Deadline.in(config.runTimeout()));
                if (warmups > 1) {
                    log("  %s warm-up %d: %s", name, w + 1, format(v));
                }
            }
            for (int r = 0; r < config.repeats(); r++) {
                double[] v = run.run(config, Deadline.in(config.runTimeout()));
                for (int i = 0; i < metrics; i++) {
                    values.get(i).add(v[i]);
                }
                log("  %s run %d: %s", name, r + 1, format(v));
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            String why = (e instanceof java.util.concurrent.TimeoutException ? "TIMEOUT: " : "FAILED: ")
                    + e.getClass().getSimpleName() + ": " + e.getMessage();
            log("  %s %s", name, why);
            List<Series> failed = new ArrayList<>();
            for (int i = 0; i < metrics; i++) {
                failed.add(Series.failed(why));
            }
            return failed;
        }
        List<Series> out = new ArrayList<>();
        for (List<Double> v : values) {
            out.add(Series.of(v));
        }
        return out;
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

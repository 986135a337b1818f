package dev.conduit.benchmarks;

import java.time.Duration;
import java.util.Map;

/**
 * Counts and limits of one harness run. Defaults are the full counts; {@link #quick()} gives small
 * ones; each can be overridden by an environment variable ({@code BENCH_MESSAGES}, ...).
 *
 * @param messages       W1 messages per run (per payload size)
 * @param fanoutMessages W2 messages published per run (each delivered to every subscriber)
 * @param fanout         W2 subscribers
 * @param requests       W3 sequential requests per run (also W6 REQ/REP and W7 ping-pong)
 * @param inflightTotal  W4 requests per run
 * @param inflight       W4 requests in flight
 * @param queueMessages  W5 and W6 messages per run
 * @param workers        W5 queue-group workers
 * @param sessions       W8 sessions held open
 * @param idle           W8 time over which idle CPU is measured
 * @param warmupDivisor  a warm-up run uses the counts divided by this
 * @param repeats        measured runs per workload
 * @param runTimeout     each run must finish within this, else it counts as failed
 * @param latency        W9: how long each fixed-rate run publishes
 */
record BenchConfig(int messages, int fanoutMessages, int fanout, int requests, int inflightTotal, int inflight,
                   int queueMessages, int workers, int sessions, Duration idle, int warmupDivisor, int repeats,
                   Duration runTimeout, Duration latency) {

    static final int SMALL = 16;
    static final int LARGE = 1024;

    /**
     * Full counts. W8 holds 16,000 sessions: a process may hold 20,000 open files here, and the
     * harness's clients (one socket each) and the server each stay below that with room for the
     * JVM's own files.
     */
    static BenchConfig full() {
        return new BenchConfig(2_000_000, 500_000, 4, 20_000, 200_000, 64, 1_000_000, 4, 16_000,
                Duration.ofSeconds(10), 10, 5, Duration.ofSeconds(180), Duration.ofSeconds(10));
    }

    static BenchConfig quick() {
        return new BenchConfig(100_000, 25_000, 4, 2_000, 20_000, 64, 50_000, 4, 200,
                Duration.ofSeconds(2), 10, 3, Duration.ofSeconds(60), Duration.ofSeconds(2));
    }

    /** Tiny counts for the smoke test: one run, no warm-up worth the name. */
    static BenchConfig tiny() {
        return new BenchConfig(2_000, 1_000, 4, 200, 1_000, 64, 2_000, 4, 50,
                Duration.ofMillis(200), 10, 1, Duration.ofSeconds(20), Duration.ofSeconds(1));
    }

    BenchConfig withEnvironment(Map<String, String> env) {
        return new BenchConfig(
                intOf(env, "BENCH_MESSAGES", messages), intOf(env, "BENCH_FANOUT_MESSAGES", fanoutMessages),
                fanout, intOf(env, "BENCH_REQUESTS", requests), intOf(env, "BENCH_INFLIGHT_REQUESTS", inflightTotal),
                inflight, intOf(env, "BENCH_QUEUE_MESSAGES", queueMessages), workers,
                intOf(env, "BENCH_SESSIONS", sessions),
                Duration.ofSeconds(intOf(env, "BENCH_IDLE_SECONDS", (int) Math.max(1, idle.toSeconds()))),
                warmupDivisor, intOf(env, "BENCH_REPEATS", repeats),
                Duration.ofSeconds(intOf(env, "BENCH_RUN_TIMEOUT_SECONDS", (int) runTimeout.toSeconds())),
                Duration.ofSeconds(intOf(env, "BENCH_LATENCY_SECONDS", (int) Math.max(1, latency.toSeconds()))));
    }

    private static int intOf(Map<String, String> env, String key, int fallback) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        int n = Integer.parseInt(v.replace("_", "").replace(",", "").trim());
        if (n <= 0) {
            throw new IllegalArgumentException(key + " must be > 0: " + v);
        }
        return n;
    }

    /** W9's run length in whole seconds (at least 1). */
    int latencySeconds() {
        return (int) Math.max(1, latency.toSeconds());
    }

    /** The same, with warm-up runs of a whole run's counts (C1, C2: a cluster's processes warm up slowly). */
    BenchConfig wholeWarmup() {
        return new BenchConfig(messages, fanoutMessages, fanout, requests, inflightTotal, inflight, queueMessages,
                workers, sessions, idle, 1, repeats, runTimeout, latency);
    }

    /** The same workload shapes with counts divided for a warm-up run (at least 1). */
    BenchConfig warmup() {
        int d = warmupDivisor;
        return new BenchConfig(Math.max(1, messages / d), Math.max(1, fanoutMessages / d), fanout,
                Math.max(1, requests / d), Math.max(1, inflightTotal / d), inflight, Math.max(1, queueMessages / d),
                workers, Math.max(1, sessions / d), idle.dividedBy(d), d, 1, runTimeout, latency.dividedBy(d));
    }
}

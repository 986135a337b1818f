package dev.conduit.benchmarks;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.ConnectionState;
import dev.conduit.transport.Transport;
import dev.conduit.transport.TransportOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * W8: many idle Conduit sessions (heartbeats on, the server's defaults) held open to one server;
 * the server's heap and RSS per session and its CPU while they idle. The clients share one
 * {@link Transport} (one I/O thread) instead of one each.
 */
final class ConnectionScale {

    /** The server under test: where it listens, its process, and its used heap after a GC. */
    interface Target {
        int port();

        long pid();

        long heapAfterGc() throws Exception;

        /** Sessions the server holds. */
        long sessions() throws Exception;
    }

    static Target of(ServerProcess server) {
        return new Target() {
            @Override
            public int port() {
                return server.port();
            }

            @Override
            public long pid() {
                return server.pid();
            }

            @Override
            public long heapAfterGc() throws Exception {
                return server.ask("heap", "HEAP");
            }

            @Override
            public long sessions() throws Exception {
                return server.ask("sessions", "SESSIONS");
            }
        };
    }

    /**
     * Returns heap KiB per session, RSS KiB per session, idle CPU % of one core (whole process),
     * sessions, idle CPU % of the server's own threads (I/O event loops, clock: threads named
     * conduit-*, so without JIT and GC).
     */
    static double[] run(Target target, int sessions, Duration idle, Deadline deadline) throws Exception {
        return run(target, sessions, idle, deadline, -1);
    }

    /**
     * As {@link #run(Target, int, Duration, Deadline)}, with RSS growth counted from {@code rssBaselineKiB}
     * (the server's RSS when it was fresh) rather than from the start of this run, or from the start of
     * this run if it is negative. (RSS does not shrink when sessions close, so on a server reused from
     * an earlier run only the fresh baseline says what the sessions cost.)
     */
    static double[] run(Target target, int sessions, Duration idle, Deadline deadline, long rssBaselineKiB)
            throws Exception {
        // the sessions of an earlier run on the same server must be gone (polled, bounded by the deadline)
        while (target.sessions() > 0) {
            deadline.check("sessions of the previous run still open: " + target.sessions());
            Thread.sleep(50);
        }
        long heap0 = target.heapAfterGc();
        long rss0 = rssBaselineKiB >= 0 ? rssBaselineKiB : rssKiB(target.pid());
        List<Client> clients = new ArrayList<>(sessions);
        try (Transport transport = Transport.create(TransportOptions.builder().ioThreads(1).daemon(true).build());
             ExecutorService connectors = Executors.newVirtualThreadPerTaskExecutor()) {
            ClientOptions options = ClientOptions.builder()
                    .endpoints("tcp://127.0.0.1:" + target.port())
                    .clientName("bench-idle")
                    .initialConnectJitter(Duration.ZERO)
                    .connectTimeout(Duration.ofSeconds(20))
                    .build();
            try {
                Semaphore parallel = new Semaphore(16);
                List<CompletableFuture<Client>> opening = new ArrayList<>();
                for (int i = 0; i < sessions; i++) {
                    if (!parallel.tryAcquire(deadline.remainingNanos(), TimeUnit.NANOSECONDS)) {
                        throw new java.util.concurrent.TimeoutException("opening sessions: not done within " + deadline.budget());
                    }
                    opening.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            return Client.connect(options, transport);
                        } finally {
                            parallel.release();
                        }
                    }, connectors));
                }
                for (CompletableFuture<Client> f : opening) {
                    clients.add(f.get(deadline.remainingNanos() + 1_000_000, TimeUnit.NANOSECONDS));
                }
                // let the last handshakes and the JIT settle before measuring (a window, not a condition)
                Thread.sleep(Math.min(Math.min(SETTLE.toMillis(), idle.toMillis()), Math.max(1, deadline.remaining().toMillis() / 4)));
                long heap1 = target.heapAfterGc();
                long rss1 = rssKiB(target.pid());
                long cpu0 = cpuTicks(target.pid());
                java.util.Map<String, Long> threads0 = threadTicks(target.pid());
                long t0 = System.nanoTime();
                // a measurement window, not a wait for a condition: heartbeats run during it
                Thread.sleep(Math.min(idle.toMillis(), Math.max(1, deadline.remaining().toMillis())));
                long cpu1 = cpuTicks(target.pid());
                java.util.Map<String, Long> threads1 = threadTicks(target.pid());
                double seconds = (System.nanoTime() - t0) / 1e9;
                long open = clients.stream().filter(c -> c.state() == ConnectionState.OPEN).count();
                if (open != sessions) {
                    throw new IllegalStateException("only " + open + " of " + sessions + " sessions still open");
                }
                double cpuPercent = (cpu1 - cpu0) / (double) CLOCK_TICKS / seconds * 100;
                double conduitPercent = 0;
                for (var e : threads1.entrySet()) {
                    if (e.getKey().contains(" conduit-")) {
                        conduitPercent += (e.getValue() - threads0.getOrDefault(e.getKey(), 0L))
                                / (double) CLOCK_TICKS / seconds * 100;
                    }
                }
                StringBuilder busiest = new StringBuilder();
                threads1.entrySet().stream()
                        .map(e -> java.util.Map.entry(e.getKey(), e.getValue() - threads0.getOrDefault(e.getKey(), 0L)))
                        .filter(e -> e.getValue() > 0)
                        .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                        .forEach(e -> busiest.append(' ').append(e.getKey().substring(e.getKey().indexOf(' ') + 1))
                                .append('=').append(e.getValue() * 10).append("ms"));
                Runs.log("  W8 busiest server threads over %.1f s:%s", seconds, busiest);
                return new double[] {(heap1 - heap0) / 1024.0 / sessions, (double) (rss1 - rss0) / sessions,
                    cpuPercent, open, conduitPercent};
            } finally {
                List<CompletableFuture<Void>> closing = new ArrayList<>();
                for (Client c : clients) {
                    closing.add(CompletableFuture.runAsync(c::close, connectors));
                }
                CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new))
                        .get(60, TimeUnit.SECONDS);
            }
        }
    }

    /** Time between opening the last session and measuring (at most the idle window). */
    static final Duration SETTLE = Duration.ofSeconds(3);

    /** Linux's USER_HZ, the unit of utime and stime in /proc/PID/stat: 100 on every common kernel. */
    static final int CLOCK_TICKS = 100;

    static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).replace("kB", "").trim());
            }
        }
        throw new IOException("no VmRSS for process " + pid);
    }

    /** utime + stime of each thread of a process, in clock ticks, by "tid name". */
    static java.util.Map<String, Long> threadTicks(long pid) throws IOException {
        java.util.Map<String, Long> ticks = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(task.resolve("comm")).trim();
                    ticks.put(task.getFileName() + " " + name, ticksOf(Files.readString(task.resolve("stat"))));
                } catch (IOException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        return ticks;
    }

    private static long ticksOf(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** utime + stime of a process, in clock ticks. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // fields after the command name, which is in parentheses and may contain spaces
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}

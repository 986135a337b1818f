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
        };
    }

    /** Returns heap KiB per session, RSS KiB per session, idle CPU % of one core, sessions. */
    static double[] run(Target target, int sessions, Duration idle, Deadline deadline) throws Exception {
        long heap0 = target.heapAfterGc();
        long rss0 = rssKiB(target.pid());
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
                long t0 = System.nanoTime();
                // a measurement window, not a wait for a condition: heartbeats run during it
                Thread.sleep(Math.min(idle.toMillis(), Math.max(1, deadline.remaining().toMillis())));
                long cpu1 = cpuTicks(target.pid());
                double seconds = (System.nanoTime() - t0) / 1e9;
                long open = clients.stream().filter(c -> c.state() == ConnectionState.OPEN).count();
                if (open != sessions) {
                    throw new IllegalStateException("only " + open + " of " + sessions + " sessions still open");
                }
                double cpuPercent = (cpu1 - cpu0) / (double) CLOCK_TICKS / seconds * 100;
                return new double[] {(heap1 - heap0) / 1024.0 / sessions, (double) (rss1 - rss0) / sessions,
                    cpuPercent, open};
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
    private static final int CLOCK_TICKS = 100;

    static long rssKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).replace("kB", "").trim());
            }
        }
        throw new IOException("no VmRSS for process " + pid);
    }

    /** utime + stime of a process, in clock ticks. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // fields after the command name, which is in parentheses and may contain spaces
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}

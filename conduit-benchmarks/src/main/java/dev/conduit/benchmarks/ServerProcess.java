package dev.conduit.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A server the harness runs in its own process: a JVM running {@link ServerMain} or {@link NettyEcho},
 * nats-server, or (cluster workloads) {@code conduit server} from the launcher's jar and redis-server.
 * Java servers print {@code PORT n} on stdout and take admin commands on stdin.
 */
final class ServerProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    /** External processes started and not yet closed: sent SIGTERM if the harness itself is stopped. */
    private static final java.util.Set<Process> EXTERNAL = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> EXTERNAL.forEach(Process::destroy), "bench-stop-servers"));
    }

    private final Process process;
    private final int port;
    private final BufferedReader out;
    private final PrintWriter in;
    private final Path tempFile;

    private ServerProcess(Process process, int port, BufferedReader out, PrintWriter in, Path tempFile) {
        this.process = process;
        this.port = port;
        this.out = out;
        this.in = in;
        this.tempFile = tempFile;
    }

    /** A JVM running {@code mainClass} on this JVM's class path. */
    static ServerProcess java(Class<?> mainClass, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow"); // as the conduit launcher does (Netty's buffers)
        }
        cmd.add("-Xms256m");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter in = new PrintWriter(new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8), true);
        String first = readLine(p, out, START_TIMEOUT);
        if (first == null || !first.startsWith("PORT ")) {
            p.destroyForcibly();
            throw new IllegalStateException(mainClass.getSimpleName() + " did not start: " + first);
        }
        return new ServerProcess(p, Integer.parseInt(first.substring(5).trim()), out, in, null);
    }

    /**
     * nats-server on 127.0.0.1 and a free port, with {@code maxPendingBytes} as its per-client
     * pending bound (max_pending) and a 10 s write deadline; {@code flags} are added to its command
     * line (TLS, cluster routes).
     */
    static ServerProcess nats(String executable, long maxPendingBytes, String... flags) throws Exception {
        int port = freePort();
        Path conf = Files.createTempFile("bench-nats", ".conf");
        Files.writeString(conf, "host: 127.0.0.1\nport: " + port + "\nmax_pending: " + maxPendingBytes
                + "\nwrite_deadline: \"10s\"\n");
        List<String> cmd = new ArrayList<>(List.of(executable, "-c", conf.toString()));
        cmd.addAll(List.of(flags));
        return external("nats-server", cmd, java.util.Map.of(), "Server is ready", port, conf);
    }

    /**
     * A process that logs {@code ready} (on stdout or stderr) once it serves {@code port}; its log is
     * drained from then on and {@code cleanup} (a file or a folder, or null) deleted when it is
     * closed. Closing it sends SIGTERM, then kills it after 10 s.
     */
    static ServerProcess external(String name, List<String> cmd, java.util.Map<String, String> env, String ready,
                                  int port, Path cleanup) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        // unlike the Java servers (which stop at the end of their stdin), these would outlive a harness stopped by Ctrl-C
        EXTERNAL.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long end = System.nanoTime() + START_TIMEOUT.toNanos();
        StringBuilder log = new StringBuilder();
        String line;
        while ((line = readLine(p, out, Duration.ofNanos(Math.max(1, end - System.nanoTime())))) != null) {
            if (line.contains(ready)) {
                // keep draining its log so that it never blocks on a full pipe
                Thread.ofPlatform().daemon().start(() -> drain(out));
                return new ServerProcess(p, port, null, null, cleanup);
            }
            if (log.length() < 4000) {
                log.append("\n  ").append(line);
            }
        }
        p.destroyForcibly();
        EXTERNAL.remove(p);
        delete(cleanup);
        throw new IllegalStateException(name + " did not start on port " + port + ":" + log);
    }

    private static void drain(BufferedReader out) {
        try {
            while (out.readLine() != null) {
                // discard
            }
        } catch (IOException closed) {
            // the process ended or was closed
        }
    }

    private static String readLine(Process p, BufferedReader out, Duration timeout) throws Exception {
        CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, r -> Thread.ofVirtual().start(r));
        try {
            return line.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            p.destroyForcibly();
            throw new TimeoutException("server process printed nothing within " + timeout);
        }
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    /** Sends an admin command and returns the number after its answer's keyword. */
    long ask(String command, String keyword) throws Exception {
        if (in == null) {
            throw new IllegalStateException("no admin channel");
        }
        in.println(command);
        String line = readLine(process, out, Duration.ofSeconds(30));
        if (line == null || !line.startsWith(keyword + " ")) {
            throw new IllegalStateException(command + ": unexpected answer " + line);
        }
        return Long.parseLong(line.substring(keyword.length() + 1).trim());
    }

    @Override
    public void close() {
        try {
            if (in != null) {
                in.println("quit");
                in.close();
            } else {
                process.destroy();
            }
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            EXTERNAL.remove(process);
            delete(tempFile);
        }
    }

    /** Deletes a file or a folder with what it holds; null is nothing. */
    static void delete(Path path) {
        if (path == null) {
            return;
        }
        try (java.util.stream.Stream<Path> all = Files.walk(path)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // a temp file left behind
        }
    }
}

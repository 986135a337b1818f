package dev.conduit.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} (the Debian package; .ci/run installs it) on a free port of
 * 127.0.0.1, with no persistence (or an fsynced append-only file, {@link #start(boolean)}), in a temporary folder; killed and removed by {@link #close}. No
 * mocks: the cluster's tests run against Redis itself.
 *
 * <p>Without redis-server on PATH the tests are skipped, except in CI ({@code CI} or {@code
 * CI_REQUIRE_REDIS} set), where its absence fails them.
 */
final class RedisProcess implements AutoCloseable {
    private final Path bin;
    private Process process;
    private final Path dir;
    private final int port;
    /** Whether every write goes to an append-only file first (fsync each), so that a killed Redis comes back whole. */
    private final boolean persistent;

    private RedisProcess(Path bin, Path dir, int port, boolean persistent) throws IOException {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.persistent = persistent;
        this.process = launch();
    }

    private Process launch() throws IOException {
        List<String> persistence = persistent ? List.of("--appendonly", "yes", "--appendfsync", "always")
                : List.of("--appendonly", "no");
        List<String> command = new java.util.ArrayList<>(List.of(bin.toString(), "--port", Integer.toString(port),
                "--bind", "127.0.0.1", "--save", "", "--dir", dir.toString()));
        command.addAll(persistence);
        return new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("redis.log").toFile()))
                .start();
    }

    /** Kills it (as a crash would: without persistence, every key is gone) and starts it again on the same port. */
    void restart() throws IOException, InterruptedException {
        process.destroyForcibly();
        process.waitFor();
        process = launch();
        await().atMost(Duration.ofSeconds(10)).until(this::accepting);
    }

    /** Kills it, as a crash would (SIGKILL); {@link #startAgain} brings it back on the same port. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** Starts it again on the same port and folder (with what it persisted, if it is persistent). */
    void startAgain() throws IOException {
        process = launch();
        await().atMost(Duration.ofSeconds(10)).until(this::accepting);
    }

    /** Stops it (SIGSTOP): connections stay open, nothing is answered until {@link #resume}. */
    void pause() throws IOException, InterruptedException {
        signal("-STOP");
    }

    /** Lets a {@link #pause}d Redis go on (SIGCONT). */
    void resume() throws IOException, InterruptedException {
        signal("-CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        int exit = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start().waitFor();
        if (exit != 0) {
            throw new IllegalStateException("kill " + signal + " exited with " + exit);
        }
    }

    /** redis-server on PATH, if there is one. */
    static Optional<Path> binary() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, "redis-server")).filter(Files::isExecutable).findFirst();
    }

    /** Starts one, or skips the test when there is none and this is not CI. */
    static RedisProcess start() throws IOException {
        return start(false);
    }

    /**
     * Starts one, with every write fsynced to an append-only file if {@code persistent}, or skips
     * the test as {@link #start()} does.
     */
    static RedisProcess start(boolean persistent) throws IOException {
        Optional<Path> bin = binary();
        boolean ci = System.getenv("CI") != null || System.getenv("CI_REQUIRE_REDIS") != null;
        if (bin.isEmpty() && ci) {
            throw new IllegalStateException("redis-server is not on PATH, and CI requires it (apt-get install redis-server)");
        }
        assumeTrue(bin.isPresent(), "redis-server is not on PATH");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("conduit-redis");
        RedisProcess redis = new RedisProcess(bin.get(), dir, port, persistent);
        try {
            await().atMost(Duration.ofSeconds(10)).until(redis::accepting);
        } catch (RuntimeException e) {
            redis.close();
            throw e;
        }
        return redis;
    }

    private boolean accepting() {
        if (!process.isAlive()) {
            throw new IllegalStateException("redis-server exited: " + log());
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

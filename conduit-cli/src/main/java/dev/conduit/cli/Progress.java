package dev.conduit.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A one-line text progress bar on stderr, redrawn in place ({@code \r}) {@value #UPDATES_PER_SECOND}
 * times a second by a daemon thread:
 * {@code [##########..........]  50%  500/1000  12345/s}. {@link #finish()} draws it one last time
 * and ends the line.
 */
final class Progress implements AutoCloseable {
    static final int UPDATES_PER_SECOND = 4;
    private static final int WIDTH = 30;

    /** When to show the bar. */
    enum When { AUTO, ALWAYS, NEVER }

    private final PrintWriter err;
    private final LongSupplier done;
    private final long total;
    private final long startNanos = System.nanoTime();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final Thread thread;

    private Progress(PrintWriter err, LongSupplier done, long total, long maxNanos) {
        this.err = err;
        this.done = done;
        this.total = total;
        this.thread = Thread.ofPlatform().daemon().name("conduit-bench-progress").start(() -> run(maxNanos));
    }

    /**
     * Starts a bar if {@code when} asks for one: ALWAYS, or AUTO when stderr is a terminal. The
     * thread draws for at most {@code maxNanos}, in case nobody calls {@link #finish()}.
     */
    static Progress start(When when, boolean errIsTerminal, PrintWriter err, LongSupplier done, long total,
                          long maxNanos) {
        boolean show = when == When.ALWAYS || (when == When.AUTO && errIsTerminal);
        return show ? new Progress(err, done, total, maxNanos) : null;
    }

    private void run(long maxNanos) {
        long deadline = startNanos + maxNanos;
        try {
            while (System.nanoTime() < deadline && !stop.await(1000 / UPDATES_PER_SECOND, TimeUnit.MILLISECONDS)) {
                draw();
            }
        } catch (InterruptedException e) {
            // stop drawing
        }
    }

    private void draw() {
        long n = Math.min(done.getAsLong(), total);
        double fraction = total == 0 ? 1 : (double) n / total;
        int filled = (int) Math.round(fraction * WIDTH);
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        String line = String.format(Locale.ROOT, "\r[%s%s] %3d%%  %d/%d  %.0f/s", "#".repeat(filled),
                ".".repeat(WIDTH - filled), (int) (fraction * 100), n, total, seconds > 0 ? n / seconds : 0);
        synchronized (err) {
            err.print(line);
            err.flush();
        }
    }

    /** Stops the thread, draws the bar as it now stands, and ends its line. */
    void finish() {
        stop.countDown();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        draw();
        synchronized (err) {
            err.println();
            err.flush();
        }
    }

    /** Stops the thread without drawing again (the run failed). */
    @Override
    public void close() {
        stop.countDown();
    }

    /**
     * Whether this process's stderr is a terminal: on Linux, whether file descriptor 2 is a tty or
     * pseudo-terminal; elsewhere, whether the JVM has an interactive console.
     */
    static boolean stderrIsTerminal() {
        try {
            Path fd2 = Path.of("/proc/self/fd/2");
            if (Files.isSymbolicLink(fd2)) {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (Exception e) {
            // fall back to the console
        }
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try { // Console.isTerminal() exists from Java 22, where System.console() is never null
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}

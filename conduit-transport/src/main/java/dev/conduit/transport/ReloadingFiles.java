package dev.conduit.transport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A value built from files (a TLS context, a key set, a deny list) and built again when their
 * contents change, so that rotating a certificate, a key or a list needs no restart. A check compares
 * a SHA-256 digest of each file's bytes with what was last read: that sees every change, whatever the
 * file system's time stamps or the way the file was replaced. A new value that fails to build (a
 * file caught half-written, a key that does not parse) is logged and the previous value kept; the
 * next change is tried again.
 *
 * <p>The first value is built in the constructor, so bad files fail at once. Checks run when {@link
 * #reloadIfChanged()} is called, and every interval once {@link #checkEvery} is called: the interval
 * is timed by a {@link Clock} (a manual one in tests), and each check runs on the given executor,
 * since reading files and parsing keys block and must stay off the clock's thread and the event
 * loops.
 *
 * <p>Thread-safe: {@link #current()} reads a volatile field; checks are serialized.
 *
 * @param <T> what the files make
 */
public final class ReloadingFiles<T> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReloadingFiles.class);

    private final String what;
    private final List<Path> files;
    private final Supplier<? extends T> load;
    private volatile T current;
    /** What the files looked like when {@link #current} was built, or when a failed build last read them. Under this. */
    private List<String> seen;
    private volatile boolean closed;
    /** The next scheduled check; under this. */
    private Connection.@Nullable Cancellable next;

    /**
     * Reads the files and builds the first value now.
     *
     * @param what  what the files are, for the log ("JWKS file")
     * @param files the files {@code load} reads
     * @param load  builds the value from the files; throws a {@link RuntimeException} saying what is
     *              wrong if they cannot be used
     * @throws RuntimeException what {@code load} threw
     */
    public ReloadingFiles(String what, List<Path> files, Supplier<? extends T> load) {
        this.what = Objects.requireNonNull(what, "what");
        this.files = List.copyOf(files);
        this.load = Objects.requireNonNull(load, "load");
        this.seen = stamps();
        this.current = Objects.requireNonNull(load.get(), "load returned null");
    }

    /** The value built from the files as they were at the last successful load. */
    public T current() {
        return current;
    }

    /** The files watched. */
    public List<Path> files() {
        return files;
    }

    /**
     * Checks the files every {@code interval} from now on, on {@code executor}, timed by {@code
     * clock}; after each check (whether or not anything changed) {@code afterCheck} gets the current
     * value, on the same thread. A zero interval never checks. Call at most once.
     */
    public synchronized void checkEvery(Duration interval, Clock clock, Executor executor, Consumer<? super T> afterCheck) {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative()) {
            throw new IllegalArgumentException("interval must be >= 0: " + interval);
        }
        if (interval.isZero() || closed) {
            return;
        }
        if (next != null) {
            throw new IllegalStateException("checkEvery was already called");
        }
        long nanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), interval.toNanos());
        schedule(nanos, clock, executor, afterCheck);
    }

    private synchronized void schedule(long nanos, Clock clock, Executor executor, Consumer<? super T> afterCheck) {
        if (closed) {
            return;
        }
        next = clock.schedule(() -> {
            try {
                executor.execute(() -> {
                    try {
                        reloadIfChanged();
                        afterCheck.accept(current);
                    } catch (RuntimeException e) {
                        log.warn("checking the {} {} failed: {}", what, files, e.toString());
                    } finally {
                        schedule(nanos, clock, executor, afterCheck);
                    }
                });
            } catch (RejectedExecutionException e) {
                // The executor was shut down: the owner is closing.
            }
        }, nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Builds the value again if a file changed since the last look; on the caller's thread.
     *
     * @return true if a new value was built and is now {@link #current()}
     */
    public synchronized boolean reloadIfChanged() {
        List<String> now = stamps();
        if (now.equals(seen)) {
            return false;
        }
        seen = now;
        try {
            current = Objects.requireNonNull(load.get(), "load returned null");
            log.info("the {} changed; now in use: {}", what, files);
            return true;
        } catch (RuntimeException e) {
            log.warn("the {} changed but cannot be used; keeping the previous one until it is fixed: {}", what,
                    e.getMessage());
            return false;
        }
    }

    /** A digest of each file's bytes, or the error reading it. */
    private List<String> stamps() {
        List<String> stamps = new ArrayList<>();
        for (Path p : files) {
            try {
                stamps.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            } catch (IOException e) {
                stamps.add(e.toString());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }
        return stamps;
    }

    /** Stops the checks; {@link #current()} keeps its last value. */
    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel();
        }
    }
}

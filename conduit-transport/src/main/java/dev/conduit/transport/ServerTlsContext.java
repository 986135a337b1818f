package dev.conduit.transport;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's TLS context, rebuilt when its files change. Every accepted connection takes {@link
 * #current()}; a check every {@link ServerTls#reloadInterval()}, on a thread of its own (reading
 * files and parsing keys is blocking work, kept off the event loops), compares a digest of each file's
 * contents with what was last loaded and, if any differs, builds a new
 * context. A new context that fails to build (a key that does not match its certificate, a file
 * caught half-written) is logged and the previous one kept; the next check tries again.
 *
 * <p>Thread-safe: {@link #current()} reads a volatile field; only the check thread writes it.
 */
final class ServerTlsContext implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServerTlsContext.class);

    private final ServerTls tls;
    private final ScheduledExecutorService checker;
    private volatile SslContext current;
    /** What the files looked like when {@link #current} was built, or when a failed build last read them. */
    private List<Object> seen;

    /**
     * Builds the first context at once, so bad files fail the listener's start.
     *
     * @throws IllegalArgumentException naming the files and what is wrong
     */
    ServerTlsContext(ServerTls tls) {
        this.tls = Objects.requireNonNull(tls, "tls");
        this.seen = stamps();
        this.current = TlsContexts.server(tls);
        if (tls.reloadInterval().isZero()) {
            checker = null;
        } else {
            checker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "conduit-tls-reload");
                t.setDaemon(true);
                return t;
            });
            long millis = Math.max(1, tls.reloadInterval().toMillis());
            checker.scheduleWithFixedDelay(this::reloadIfChanged, millis, millis, TimeUnit.MILLISECONDS);
        }
    }

    /** The context for a connection accepted now. */
    SslContext current() {
        return current;
    }

    /** Adds a TLS handler made from {@link #current()} to an accepted channel, before anything else. */
    SslHandler addHandler(Channel channel) {
        SslHandler handler = current.newHandler(channel.alloc());
        channel.pipeline().addLast("tls", handler);
        return handler;
    }

    /**
     * Rebuilds the context if a file changed since the last look; on the check thread (or a test's).
     *
     * @return true if a new context was built and is now {@link #current()}
     */
    boolean reloadIfChanged() {
        List<Object> now = stamps();
        synchronized (this) {
            if (now.equals(seen)) {
                return false;
            }
            seen = now;
        }
        try {
            current = TlsContexts.server(tls);
            log.info("TLS certificate files changed; new connections use them: {}", tls.files());
            return true;
        } catch (RuntimeException e) {
            log.warn("TLS certificate files changed but cannot be used; keeping the previous certificate until they are fixed: {}",
                    e.getMessage());
            return false;
        }
    }

    /**
     * A digest of each file's bytes (or the error reading it). The files are small, and comparing
     * contents sees every change, whatever the file system's time stamps or the way it was replaced.
     */
    private List<Object> stamps() {
        List<Object> stamps = new ArrayList<>();
        for (Path p : tls.files()) {
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

    @Override
    public void close() {
        if (checker != null) {
            checker.shutdownNow();
        }
    }
}

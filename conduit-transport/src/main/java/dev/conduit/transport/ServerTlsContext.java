package dev.conduit.transport;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;

/**
 * A listener's TLS context, rebuilt when its files change ({@link ReloadingFiles}). Every accepted
 * connection takes {@link #current()}; a check every {@link ServerTls#reloadInterval()}, on a thread
 * of its own ({@code conduit-tls-reload}: reading files and parsing keys is blocking work, kept off
 * the event loops), builds a new context when a file's contents changed. A new context that fails to
 * build (a key that does not match its certificate, a file caught half-written) is logged and the
 * previous one kept; the next check tries again.
 *
 * <p>Thread-safe: {@link #current()} reads a volatile field; only the check thread writes it.
 */
final class ServerTlsContext implements AutoCloseable {
    private final ReloadingFiles<SslContext> files;
    private final @Nullable ExecutorService checker;

    /**
     * Builds the first context at once, so bad files fail the listener's start.
     *
     * @throws IllegalArgumentException naming the files and what is wrong
     */
    ServerTlsContext(ServerTls tls) {
        Objects.requireNonNull(tls, "tls");
        this.files = new ReloadingFiles<>("TLS certificate files", tls.files(), () -> TlsContexts.server(tls));
        if (tls.reloadInterval().isZero()) {
            checker = null;
        } else {
            checker = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "conduit-tls-reload");
                t.setDaemon(true);
                return t;
            });
            files.checkEvery(tls.reloadInterval(), Clock.system(), checker, context -> { });
        }
    }

    /** The context for a connection accepted now. */
    SslContext current() {
        return files.current();
    }

    /** Adds a TLS handler made from {@link #current()} to an accepted channel, before anything else. */
    SslHandler addHandler(Channel channel) {
        SslHandler handler = current().newHandler(channel.alloc());
        channel.pipeline().addLast("tls", handler);
        return handler;
    }

    /**
     * Rebuilds the context if a file changed since the last look; on the check thread (or a test's).
     *
     * @return true if a new context was built and is now {@link #current()}
     */
    boolean reloadIfChanged() {
        return files.reloadIfChanged();
    }

    @Override
    public void close() {
        files.close();
        if (checker != null) {
            checker.shutdownNow();
        }
    }
}

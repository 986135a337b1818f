package dev.conduit.transport;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listener's TLS context, rebuilt when its files change ({@link ReloadingFiles}). Every accepted
 * connection takes {@link #current()}; a check every {@link ServerTls#reloadInterval()} of the
 * transport's clock, on a thread of its own ({@code conduit-tls-reload}: reading files and parsing
 * keys is blocking work, kept off the event loops), builds a new context when a file's contents
 * changed. A new context that fails to build (a key that does not match its certificate, a file
 * caught half-written) is logged and the previous one kept; the next check tries again.
 *
 * <p>Open connections keep the context they were accepted with, with one exception: when the
 * client certificate revocation list ({@link ServerTls#clientCrl()}) changes, each open connection
 * whose client certificate chain the new list revokes is told so ({@link PeerCertificateRevoked},
 * an event sent down its pipeline on its event loop, which the frame decoder hands to the {@link
 * FrameHandler}) and closed; a connection with no handler for it (an HTTPS request) is just closed.
 * A connection whose handshake was still under way during the check is checked when it completes.
 *
 * <p>Thread-safe: {@link #current()} reads a volatile field; only the check thread (or a test's)
 * writes it; the set of open connections is concurrent.
 */
final class ServerTlsContext implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ServerTlsContext.class);

    /** A built context and the client certificate trust inside it (null when no certificates are asked for). */
    private record Loaded(SslContext ssl, @Nullable ClientCertificateTrust trust) {
    }

    private final ReloadingFiles<Loaded> files;
    private final @Nullable ExecutorService checker;
    /** Open TLS connections, removed as they close. */
    private final Set<Channel> open = ConcurrentHashMap.newKeySet();
    /** The context open connections were last checked against; on the check thread. */
    private @Nullable Loaded checked;

    /** As {@link #ServerTlsContext(ServerTls, Clock)} with the system clock. */
    ServerTlsContext(ServerTls tls) {
        this(tls, Clock.system());
    }

    /**
     * Builds the first context at once, so bad files fail the listener's start; then checks the files
     * every {@link ServerTls#reloadInterval()} of {@code clock}.
     *
     * @throws IllegalArgumentException naming the files and what is wrong
     */
    ServerTlsContext(ServerTls tls, Clock clock) {
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(clock, "clock");
        this.files = new ReloadingFiles<>("TLS certificate files", tls.files(), () -> {
            ClientCertificateTrust trust = tls.clientAuth() == ServerTls.ClientAuth.NONE ? null
                    : TlsContexts.clientTrust(tls);
            return new Loaded(TlsContexts.server(tls, trust), trust);
        });
        this.checked = files.current();
        if (tls.reloadInterval().isZero()) {
            checker = null;
        } else {
            checker = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "conduit-tls-reload");
                t.setDaemon(true);
                return t;
            });
            files.checkEvery(tls.reloadInterval(), clock, checker, loaded -> sweep());
        }
    }

    /** The context for a connection accepted now. */
    SslContext current() {
        return files.current().ssl();
    }

    /**
     * Adds a TLS handler made from {@link #current()} to an accepted channel, before anything else,
     * and keeps the channel among the open ones until it closes.
     */
    SslHandler addHandler(Channel channel) {
        Loaded made = files.current();
        SslHandler handler = made.ssl().newHandler(channel.alloc());
        channel.pipeline().addLast("tls", handler);
        if (made.trust() != null) {
            open.add(channel);
            channel.closeFuture().addListener(f -> open.remove(channel));
            handler.handshakeFuture().addListener(f -> {
                Loaded now = files.current();
                ClientCertificateTrust trust = now.trust();
                if (f.isSuccess() && now != made && trust != null) {
                    // The lists changed while this handshake ran on the old ones: the check may have missed it.
                    checkOne(channel, handler, trust);
                }
            });
        }
        return handler;
    }

    /**
     * Rebuilds the context if a file changed since the last look, then ends the open connections
     * that a changed revocation list now revokes; on the check thread (or a test's).
     *
     * @return true if a new context was built and is now {@link #current()}
     */
    boolean reloadIfChanged() {
        boolean changed = files.reloadIfChanged();
        sweep();
        return changed;
    }

    /** After a check: if the context changed since open connections were last checked, checks them against it. */
    private synchronized void sweep() {
        Loaded now = files.current();
        if (now == checked) {
            return;
        }
        checked = now;
        if (now.trust() == null || !now.trust().checksRevocation()) {
            return;
        }
        int revoked = 0;
        for (Channel ch : open) {
            SslHandler handler = ch.pipeline().get(SslHandler.class);
            if (handler != null && handler.handshakeFuture().isSuccess() && checkOne(ch, handler, now.trust())) {
                revoked++;
            }
        }
        if (revoked > 0) {
            log.info("closing {} TLS connections whose client certificates the new revocation list revokes", revoked);
        }
    }

    /**
     * Ends {@code channel} if {@code trust}'s lists revoke its peer's chain: sends {@link
     * PeerCertificateRevoked} down its pipeline on its event loop and closes it if nothing took it.
     *
     * @return true if the chain is revoked
     */
    private static boolean checkOne(Channel channel, SslHandler handler, ClientCertificateTrust trust) {
        List<X509Certificate> chain = peerChain(handler);
        String reason = chain.isEmpty() ? null : trust.revocation(chain);
        if (reason == null) {
            return false;
        }
        try {
            channel.eventLoop().execute(() -> {
                if (!channel.isOpen()) {
                    return;
                }
                PeerCertificateRevoked event = new PeerCertificateRevoked(reason);
                channel.pipeline().fireUserEventTriggered(event);
                if (!event.taken()) {
                    log.info("closing TLS connection from {}: {}", channel.remoteAddress(), LogSafe.escape(reason, 1000));
                    channel.close();
                }
            });
        } catch (RejectedExecutionException e) {
            // The event loops are shutting down: the connection closes with them.
        }
        return true;
    }

    private static List<X509Certificate> peerChain(SslHandler handler) {
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : handler.engine().getSession().getPeerCertificates()) {
                if (c instanceof X509Certificate x) {
                    chain.add(x);
                }
            }
            return chain;
        } catch (SSLPeerUnverifiedException e) {
            return List.of(); // no certificate presented
        }
    }

    @Override
    public void close() {
        files.close();
        if (checker != null) {
            checker.shutdownNow();
        }
    }

    /**
     * Sent down an open connection's pipeline (on its event loop) when the revocation list now
     * revokes its peer's certificate. The handler that takes it marks it {@link #take() taken}, tells
     * its peer and closes the connection; if none does, the connection is closed as it is.
     */
    static final class PeerCertificateRevoked {
        private final String reason;
        private boolean taken;

        PeerCertificateRevoked(String reason) {
            this.reason = reason;
        }

        /** Why, naming the certificate and the list: for the peer and the log. */
        String reason() {
            return reason;
        }

        void take() {
            taken = true;
        }

        boolean taken() {
            return taken;
        }
    }
}

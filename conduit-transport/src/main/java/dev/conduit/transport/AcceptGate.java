package dev.conduit.transport;

import org.jspecify.annotations.Nullable;

/**
 * Admits or refuses each socket an HTTP listener accepts, before anything is read from it: how a
 * server counts HTTP and WebSocket connections against its connection limits from accept, not only
 * once they have upgraded.
 *
 * <p>Called on the socket's I/O thread; must answer at once and never block.
 */
@FunctionalInterface
public interface AcceptGate {
    /** Admits everything and counts nothing. */
    AcceptGate OPEN = remoteHost -> () -> { };

    /**
     * @param remoteHost the peer's IP address as text, such as {@code 127.0.0.1}; null when it has none
     * @return what to run once the socket has closed (it runs exactly once), or null to refuse the
     *         socket: it is then closed at once (plain HTTP first gets a 503 written)
     */
    @Nullable Runnable admit(@Nullable String remoteHost);

    /**
     * A limit of the port closed a connection or refused a request: a {@code Host} or {@code Origin}
     * not allowed, the request deadline passed, too many response bytes queued. For the server's
     * rate-limited log; the default does nothing. Must not block or throw.
     *
     * @param remoteAddress the peer
     * @param limit         which limit, such as {@code httpAllowedHosts}
     * @param what          what happened; peer-provided text in it is already {@link LogSafe#quote quoted}
     */
    default void refused(String remoteAddress, String limit, String what) {
    }
}

package dev.conduit.server;

import dev.conduit.server.spi.Principal;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per successful authentication, per renewal, and per session the server closes because of
 * its credentials (revoked or expired), on its own SLF4J logger, {@value #LOGGER},
 * so that operators can route it to an audit store apart from the operational log. Each line names
 * the principal, the peer's address, the scheme and the session's public id; never a credential or
 * a resume token. Peer-provided text (the principal comes from a token's claims) has its control
 * characters replaced, so it cannot start a line of its own.
 *
 * <p>Thread-safe: called from I/O threads.
 */
final class AuditLog {
    static final String LOGGER = "conduit.audit";
    private static final Logger log = LoggerFactory.getLogger(LOGGER);

    /** Also receives each line; for tests. */
    private volatile Consumer<String> tap = line -> { };

    /** A HELLO's credentials were accepted and the session opened or resumed. */
    void authenticated(Principal principal, String address, String scheme, String sessionId, boolean resumed) {
        write("authenticated principal=" + clean(principal.name()) + " address=" + clean(address) + " scheme="
                + clean(scheme) + " session=" + sessionId + (resumed ? " resumed" : " new")
                + expiry(principal) + tokenId(principal));
    }

    /** An AUTH renewed a session's credentials. */
    void renewed(Principal principal, String address, String scheme, String sessionId) {
        write("renewed principal=" + clean(principal.name()) + " address=" + clean(address) + " scheme=" + clean(scheme)
                + " session=" + sessionId + expiry(principal) + tokenId(principal));
    }

    /**
     * The server closed a session because of its credentials: {@code revoked} (the revocation file
     * names them) or {@code expired} (their time ran out without a renewal). A detached session has
     * no address or scheme ({@code -}).
     */
    void closed(Principal principal, String address, String scheme, String sessionId, String why) {
        write("closed principal=" + clean(principal.name()) + " address=" + clean(address) + " scheme=" + clean(scheme)
                + " session=" + sessionId + " reason=" + why + tokenId(principal));
    }

    void tap(Consumer<String> consumer) {
        this.tap = consumer;
    }

    private void write(String line) {
        log.info(line);
        tap.accept(line);
    }

    /** The credential's id when it has one (a JWT's jti, a static token's hash: not secret), to match a revocation. */
    private static String tokenId(Principal p) {
        return p.tokenId() == null ? "" : " tokenId=" + clean(p.tokenId());
    }

    private static String expiry(Principal p) {
        return p.expiresAt() == null ? "" : " expires=" + p.expiresAt();
    }

    /** Control characters (CR, LF, ESC, ...) become '?'; long values are cut. */
    static String clean(String s) {
        if (s == null || s.isEmpty()) {
            return "-";
        }
        String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return t.replaceAll("[\\p{Cntrl}\\u2028\\u2029]", "?");
    }
}

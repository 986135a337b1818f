package dev.conduit.server;

import dev.conduit.server.spi.AuthRequest;
import dev.conduit.server.spi.AuthResult;
import dev.conduit.server.spi.Authenticator;
import dev.conduit.server.spi.Permissions;
import dev.conduit.server.spi.Principal;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The server's authenticators, chosen by HELLO's or AUTH's scheme, and the rules around them:
 * anonymous access, in-process connections, expiry. Thread-safe (immutable after construction; the
 * authenticators are thread-safe).
 *
 * <p>Wall-clock time (for a JWT's {@code exp} and {@code nbf}) is read from the server's {@link
 * Clock}: the real time when the server was made, plus the clock's elapsed time since. With a manual
 * clock in tests, advancing the clock advances the time tokens are checked against.
 */
final class Authentication {
    /** The principal of in-process connections ({@link Server#connectLocal()}): the embedding code itself. */
    static final String IN_PROCESS = "in-process";

    private final AuthConfig config;
    private final Clock clock;
    private final Instant anchor = Instant.now();
    private final long anchorNanos;
    private final Map<String, Authenticator> byScheme = new HashMap<>();
    private final CertificateAuthenticator certificates;

    Authentication(AuthConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.anchorNanos = clock.nanoTime();
        if (!config.tokens().isEmpty()) {
            add(new TokenAuthenticator(config.tokens()));
        }
        if (config.jwt() != null) {
            add(new JwtAuthenticator(config.jwt(), this::now));
        }
        certificates = config.mtls() == null ? null : new CertificateAuthenticator(config.mtls());
        if (certificates != null) {
            add(certificates);
        }
        config.plugins().forEach(this::add);
    }

    private void add(Authenticator a) {
        if (a.scheme() == null || a.scheme().isEmpty()) {
            throw new IllegalArgumentException("an authenticator must name a non-empty scheme: " + a);
        }
        if (byScheme.putIfAbsent(a.scheme(), a) != null) {
            throw new IllegalArgumentException("two authenticators for scheme '" + a.scheme() + "'");
        }
    }

    /** The wall-clock time as the server's clock tells it. */
    Instant now() {
        return anchor.plusNanos(clock.nanoTime() - anchorNanos);
    }

    AuthConfig config() {
        return config;
    }

    /** Checks what a client presented on {@code connection}. Never throws. */
    AuthResult authenticate(String scheme, byte[] credentials, Connection connection) {
        if (connection.transportName().equals("memory")) {
            return AuthResult.accepted(Principal.named(IN_PROCESS));
        }
        if (!config.authenticationConfigured()) {
            // A server without authentication ignores credentials (docs/protocol.md, HELLO).
            return config.anonymousAllowed() ? AuthResult.accepted(Principal.named(Principal.ANONYMOUS))
                    : AuthResult.refused("anonymous access is not allowed and no authentication is configured");
        }
        AuthRequest request = new AuthRequest(scheme, credentials, connection.remoteAddress(),
                connection.transportName(), connection.peerCertificates());
        Authenticator a;
        if (scheme.isEmpty() && credentials.length == 0) {
            if (certificates != null && !request.peerCertificates().isEmpty()) {
                a = certificates;
            } else {
                return config.anonymousAllowed() ? AuthResult.accepted(Principal.named(Principal.ANONYMOUS))
                        : AuthResult.refused("anonymous access is not allowed");
            }
        } else {
            a = byScheme.get(scheme);
            if (a == null) {
                return AuthResult.refused("unknown auth scheme '" + printable(scheme) + "' (the server accepts "
                        + byScheme.keySet().stream().sorted().toList() + ")");
            }
        }
        AuthResult result;
        try {
            result = a.authenticate(request);
        } catch (RuntimeException e) {
            return AuthResult.refused("authenticator for '" + a.scheme() + "' failed: " + e);
        }
        if (result == null) {
            return AuthResult.refused("authenticator for '" + a.scheme() + "' returned nothing");
        }
        if (result instanceof AuthResult.Accepted ok && ok.principal().expiresAt() != null
                && !ok.principal().expiresAt().isAfter(now())) {
            return AuthResult.refused("credentials of " + ok.principal().name() + " expired at "
                    + ok.principal().expiresAt());
        }
        return result;
    }

    /** What a session of this principal may do. */
    SessionAccess accessFor(Principal p) {
        boolean inProcess = p.name().equals(IN_PROCESS);
        Permissions perms = p.permissions();
        if (perms == null && !inProcess) {
            perms = config.permissions().get(p.name());
            if (perms == null) {
                perms = config.permissions().getOrDefault(AuthConfig.DEFAULT_PERMISSIONS, Permissions.ALL);
            }
        }
        if (perms == null) {
            perms = Permissions.ALL;
        }
        // The default anonymous principal of a server without authentication, and in-process clients,
        // may read $SYS; everyone else needs an explicit $SYS allow pattern.
        boolean systemReader = inProcess
                || (!config.authenticationConfigured() && p.name().equals(Principal.ANONYMOUS) && p.permissions() == null
                        && !config.permissions().containsKey(Principal.ANONYMOUS)
                        && !config.permissions().containsKey(AuthConfig.DEFAULT_PERMISSIONS));
        return new SessionAccess(p, perms, systemReader, clock);
    }

    private static String printable(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }
}

package dev.conduit.server;

import dev.conduit.server.spi.AuthRequest;
import dev.conduit.server.spi.AuthResult;
import dev.conduit.server.spi.Authenticator;
import dev.conduit.server.spi.Permissions;
import dev.conduit.server.spi.Principal;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import dev.conduit.transport.ReloadingFiles;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
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
    /** The principal of in-process connections ({@link Server#localConnector()}): the embedding code itself. */
    static final String IN_PROCESS = "in-process";
    /** Meter tag: no credentials (anonymous) where anonymous access is not allowed. */
    static final String NO_CREDENTIALS = "no_credentials";
    /** Meter tag: credentials whose time is already up. */
    static final String EXPIRED = "expired";
    /** Meter tag: credentials the revocation file names. */
    static final String REVOKED = "revoked";

    private final AuthConfig config;
    private final Clock clock;
    private final Instant anchor = Instant.now();
    private final long anchorNanos;
    private final Map<String, Authenticator> byScheme = new HashMap<>();
    private final CertificateAuthenticator certificates;
    private final JwtAuthenticator jwt;
    /** The revocation file, or null without one. */
    private final ReloadingFiles<Revocations> revocations;

    Authentication(AuthConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.anchorNanos = clock.nanoTime();
        if (!config.staticTokens().isEmpty()) {
            add(new TokenAuthenticator(config.staticTokens()));
        }
        jwt = config.jwt() == null ? null : new JwtAuthenticator(config.jwt(), this::now);
        if (jwt != null) {
            add(jwt);
        }
        Path revocationFile = config.revocationFile();
        revocations = revocationFile == null ? null
                : new ReloadingFiles<>("revocation file", List.of(revocationFile), () -> Revocations.read(revocationFile));
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

    /**
     * Whether credentials of this scheme go to a plug-in ({@link AuthConfig.Builder#authenticator}):
     * user code, which the server runs off the event loop ({@link ServerConnection}).
     */
    boolean isPlugin(String scheme) {
        Authenticator a = byScheme.get(scheme);
        return a != null && config.plugins().contains(a);
    }

    /**
     * Checks the JWKS and revocation files every {@link AuthConfig#reloadInterval()} of the server's
     * clock, reading them on {@code executor} (file reads block); after each check of the revocation
     * file, {@code apply} gets the list as it now is, on that thread, to close the sessions it revokes.
     */
    void watchFiles(Executor executor, Consumer<Revocations> apply) {
        if (jwt != null && jwt.keySet() != null) {
            jwt.keySet().checkEvery(config.reloadInterval(), clock, executor, keys -> { });
        }
        if (revocations != null) {
            revocations.checkEvery(config.reloadInterval(), clock, executor, apply);
        }
    }

    /** Stops the checks of {@link #watchFiles}. */
    void close() {
        if (jwt != null && jwt.keySet() != null) {
            jwt.keySet().close();
        }
        if (revocations != null) {
            revocations.close();
        }
    }

    /** The revocation list in force: as last read, or {@link Revocations#NONE} without a file. */
    Revocations revocations() {
        return revocations == null ? Revocations.NONE : revocations.current();
    }

    /** The JWKS file, or null if keys do not come from one; for tests. */
    ReloadingFiles<com.nimbusds.jose.jwk.JWKSet> keySet() {
        return jwt == null ? null : jwt.keySet();
    }

    /** The revocation file, or null without one; for tests. */
    ReloadingFiles<Revocations> revocationFile() {
        return revocations;
    }

    /** The wall-clock time as the server's clock tells it. */
    Instant now() {
        return anchor.plusNanos(clock.nanoTime() - anchorNanos);
    }

    AuthConfig config() {
        return config;
    }

    /**
     * What {@link #authenticate} decided: a principal, or a refusal with its reason for the log and
     * a short tag for the meter {@code conduit.auth.failures} (docs/operations.md).
     *
     * @param principal the accepted principal, or null if refused
     * @param reason    why the credentials were refused (for the log, never the credential); null if accepted
     * @param tag       the meter's {@code reason}: {@code no_credentials}, {@code unknown_scheme}, {@code
     *                  bad_token}, {@code bad_jwt}, {@code bad_certificate}, {@code expired}, {@code refused}
     *                  (a plug-in's refusal) or {@code error} (an authenticator that threw or returned
     *                  nothing); null if accepted
     */
    record Outcome(Principal principal, String reason, String tag) {
        static Outcome accepted(Principal p) {
            return new Outcome(p, null, null);
        }

        static Outcome refused(String tag, String reason) {
            return new Outcome(null, reason, tag);
        }

        boolean isAccepted() {
            return principal != null;
        }
    }

    /** Checks what a client presented on {@code connection}. Never throws. */
    Outcome authenticate(String scheme, byte[] credentials, Connection connection) {
        // An in-process client without credentials is the embedding code itself; one that presents
        // credentials (a server extension's session, such as the ZeroMQ gateway's with zeromq.token)
        // is checked as any client is, so that its principal's permissions apply.
        if (connection.transportName().equals("memory")
                && (!config.authenticationConfigured() || (scheme.isEmpty() && credentials.length == 0))) {
            return Outcome.accepted(Principal.named(IN_PROCESS));
        }
        if (!config.authenticationConfigured()) {
            // A server without authentication ignores credentials (docs/protocol.md, HELLO).
            return config.anonymousAllowed() ? Outcome.accepted(Principal.named(Principal.ANONYMOUS))
                    : Outcome.refused(NO_CREDENTIALS, "anonymous access is not allowed and no authentication is configured");
        }
        return authenticate(new AuthRequest(scheme, credentials, connection.remoteAddress(),
                connection.transportName(), connection.peerCertificates()));
    }

    /**
     * Checks credentials that did not come in HELLO or AUTH (a bearer token on the HTTP port), as
     * for a network connection. Never throws.
     */
    Outcome authenticate(AuthRequest request) {
        String scheme = request.scheme();
        byte[] credentials = request.credentials();
        if (!config.authenticationConfigured()) {
            return config.anonymousAllowed() ? Outcome.accepted(Principal.named(Principal.ANONYMOUS))
                    : Outcome.refused(NO_CREDENTIALS, "anonymous access is not allowed and no authentication is configured");
        }
        Authenticator a;
        if (scheme.isEmpty() && credentials.length == 0) {
            if (certificates != null && !request.peerCertificates().isEmpty()) {
                a = certificates;
            } else {
                return config.anonymousAllowed() ? Outcome.accepted(Principal.named(Principal.ANONYMOUS))
                        : Outcome.refused(NO_CREDENTIALS, "anonymous access is not allowed");
            }
        } else {
            a = byScheme.get(scheme);
            if (a == null) {
                return Outcome.refused("unknown_scheme", "unknown auth scheme '" + printable(scheme) + "' (the server accepts "
                        + byScheme.keySet().stream().sorted().toList() + ")");
            }
        }
        AuthResult result;
        try {
            result = a.authenticate(request);
        } catch (RuntimeException e) {
            return Outcome.refused("error", "authenticator for '" + a.scheme() + "' failed: " + e);
        }
        if (result == null) {
            return Outcome.refused("error", "authenticator for '" + a.scheme() + "' returned nothing");
        }
        return switch (result) {
            case AuthResult.Refused r -> Outcome.refused(refusalTag(a, r.reason()), r.reason());
            case AuthResult.Accepted ok when ok.principal().expiresAt() != null
                    && !ok.principal().expiresAt().isAfter(now()) -> Outcome.refused(EXPIRED,
                    "credentials of " + ok.principal().name() + " expired at " + ok.principal().expiresAt());
            case AuthResult.Accepted ok when revocations().reasonFor(ok.principal()) != null -> Outcome.refused(REVOKED,
                    revocations().reasonFor(ok.principal()));
            case AuthResult.Accepted ok -> Outcome.accepted(ok.principal());
        };
    }

    /** The meter tag of an authenticator's refusal: by the built-in scheme, {@code refused} for a plug-in. */
    private static String refusalTag(Authenticator a, String reason) {
        return switch (a) {
            case TokenAuthenticator t -> "bad_token";
            case JwtAuthenticator j -> reason.startsWith(JwtAuthenticator.EXPIRED) ? EXPIRED : "bad_jwt";
            case CertificateAuthenticator c -> "bad_certificate";
            default -> "refused";
        };
    }

    /**
     * Checks an AUTH (a renewal). As {@link #authenticate}, except on a server without
     * authentication: HELLO's credentials are ignored there, but an AUTH asks for credentials to be
     * checked, and nothing can check them, so only an anonymous AUTH (empty scheme and credentials)
     * is accepted; any other is an unknown scheme (401, docs/protocol.md 6a).
     */
    Outcome renew(String scheme, byte[] credentials, Connection connection) {
        if (!config.authenticationConfigured() && !connection.transportName().equals("memory")
                && !(scheme.isEmpty() && credentials.length == 0)) {
            return Outcome.refused("unknown_scheme", "unknown auth scheme '" + printable(scheme)
                    + "' (the server has no authentication configured)");
        }
        return authenticate(scheme, credentials, connection);
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
        // Closing sessions by default: in-process clients, and the anonymous principal only while
        // the server relies on the loopback default (not when anonymous access was opened explicitly,
        // which may expose the server beyond this machine).
        boolean defaultAdmin = inProcess || (systemReader && !config.anonymousExplicit());
        return new SessionAccess(p, perms, systemReader, defaultAdmin, clock);
    }

    private static String printable(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }
}

package dev.conduit.server.spi;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Who a session acts for.
 *
 * @param name        the principal's name: a token's configured principal, a JWT's {@code sub}, a
 *                    certificate's name; {@code anonymous} for anonymous access
 * @param permissions what it may do, or {@code null} to take them from the server's configuration
 *                    (the entry for {@code name}, else the {@code default} entry, else everything
 *                    but {@code $SYS})
 * @param expiresAt   when the credentials stop being valid (a JWT's {@code exp}, a static token's
 *                    configured expiry), or {@code null} if they do not expire
 * @param tokenId     the id of the credential presented (a JWT's {@code jti}, a static token's
 *                    {@code sha256:} hash), which the revocation file may name; {@code null} if it has none
 */
public record Principal(String name, @Nullable Permissions permissions, @Nullable Instant expiresAt,
                        @Nullable String tokenId) {
    /** The name of the principal of an anonymous session. */
    public static final String ANONYMOUS = "anonymous";

    public Principal {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a principal's name must not be empty");
        }
    }

    /** Without a token id. */
    public Principal(String name, @Nullable Permissions permissions, @Nullable Instant expiresAt) {
        this(name, permissions, expiresAt, null);
    }

    /** A principal whose permissions come from the configuration and whose credentials do not expire. */
    public static Principal named(String name) {
        return new Principal(name, null, null);
    }
}

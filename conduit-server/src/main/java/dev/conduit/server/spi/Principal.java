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
 * @param expiresAt   when the credentials stop being valid (a JWT's {@code exp}), or {@code null}
 *                    if they do not expire
 */
public record Principal(String name, @Nullable Permissions permissions, @Nullable Instant expiresAt) {
    /** The name of the principal of an anonymous session. */
    public static final String ANONYMOUS = "anonymous";

    public Principal {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a principal's name must not be empty");
        }
    }

    /** A principal whose permissions come from the configuration and whose credentials do not expire. */
    public static Principal named(String name) {
        return new Principal(name, null, null);
    }
}

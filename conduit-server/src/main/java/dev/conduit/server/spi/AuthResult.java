package dev.conduit.server.spi;

import java.util.Objects;

/** The outcome of {@link Authenticator#authenticate}: a principal, or a refusal with a reason. */
public sealed interface AuthResult {

    static AuthResult accepted(Principal principal) {
        return new Accepted(principal);
    }

    static AuthResult refused(String reason) {
        return new Refused(reason);
    }

    /** The credentials prove {@code principal}. */
    record Accepted(Principal principal) implements AuthResult {
        public Accepted {
            Objects.requireNonNull(principal, "principal");
        }
    }

    /**
     * The credentials prove nothing. {@code reason} goes to the server's log (with the peer's
     * address), not to the client, and must not contain the credential.
     */
    record Refused(String reason) implements AuthResult {
        public Refused {
            Objects.requireNonNull(reason, "reason");
        }
    }
}

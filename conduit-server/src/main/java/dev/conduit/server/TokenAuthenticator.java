package dev.conduit.server;

import dev.conduit.server.spi.AuthRequest;
import dev.conduit.server.spi.AuthResult;
import dev.conduit.server.spi.Authenticator;
import dev.conduit.server.spi.Principal;
import java.security.MessageDigest;
import java.util.List;

/**
 * Scheme {@code token}: static tokens, each configured as the SHA-256 of the token and the
 * principal it names ({@link TokenHashes}). The presented token is hashed and compared with every
 * configured hash in constant time ({@link MessageDigest#isEqual}), all of them, so the time taken
 * says nothing about which, if any, matched. A token may carry an expiry: its principal's credentials
 * expire then ({@link Authentication} refuses it from then on, and a session using it is closed with
 * 419). Its token id, which the revocation file may name, is its configured {@code sha256:} hash.
 */
final class TokenAuthenticator implements Authenticator {
    static final String SCHEME = "token";

    /** One configured token: the principal, the digest of its token, its hash as configured, its expiry (or null). */
    record Entry(String principal, byte[] digest, String hash, java.time.Instant expiresAt) {
    }

    private final List<Entry> entries;

    /** @param tokens each with its stored hash ({@code sha256:...}), checked */
    TokenAuthenticator(List<AuthConfig.StaticToken> tokens) {
        this.entries = tokens.stream().map(t -> new Entry(t.principal(), TokenHashes.parse(t.hash()), t.hash(),
                t.expiresAt())).toList();
    }

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public AuthResult authenticate(AuthRequest request) {
        byte[] presented = TokenHashes.sha256(request.credentials());
        Entry match = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(presented, e.digest()) && match == null) {
                match = e;
            }
        }
        return match == null ? AuthResult.refused("unknown token")
                : AuthResult.accepted(new Principal(match.principal(), null, match.expiresAt(), match.hash()));
    }
}

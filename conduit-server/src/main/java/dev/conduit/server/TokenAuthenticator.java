package dev.conduit.server;

import dev.conduit.server.spi.AuthRequest;
import dev.conduit.server.spi.AuthResult;
import dev.conduit.server.spi.Authenticator;
import dev.conduit.server.spi.Principal;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;

/**
 * Scheme {@code token}: static tokens, each configured as the SHA-256 of the token and the
 * principal it names ({@link TokenHashes}). The presented token is hashed and compared with every
 * configured hash in constant time ({@link MessageDigest#isEqual}), all of them, so the time taken
 * says nothing about which, if any, matched.
 */
final class TokenAuthenticator implements Authenticator {
    static final String SCHEME = "token";

    /** One configured token: the principal and the digest of its token. */
    record Entry(String principal, byte[] digest) {
    }

    private final List<Entry> entries;

    /** @param hashes principal to its stored hash ({@code sha256:...}); checked */
    TokenAuthenticator(List<Map.Entry<String, String>> hashes) {
        this.entries = hashes.stream().map(e -> new Entry(e.getKey(), TokenHashes.parse(e.getValue()))).toList();
    }

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public AuthResult authenticate(AuthRequest request) {
        byte[] presented = TokenHashes.sha256(request.credentials());
        String match = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(presented, e.digest()) && match == null) {
                match = e.principal();
            }
        }
        return match == null ? AuthResult.refused("unknown token") : AuthResult.accepted(Principal.named(match));
    }
}

package dev.conduit.server;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * How the server checks JSON Web Tokens (scheme {@code jwt}): one algorithm, pinned, and its key.
 *
 * @param algorithm {@code HS256} (shared secret), {@code RS256} or {@code ES256} (public key); a token
 *                  signed with any other algorithm, {@code none} included, is refused
 * @param secret    the HS256 shared secret, at least 32 bytes of UTF-8; {@code null} for RS256/ES256
 * @param publicKey a PEM file ({@code -----BEGIN PUBLIC KEY-----}, X.509 SubjectPublicKeyInfo) with the
 *                  RS256 or ES256 public key; {@code null} for HS256
 * @param issuer    the {@code iss} a token must carry, or {@code null} for any
 * @param audience  a value that a token's {@code aud} must contain, or {@code null} for any
 * @param jwks      instead of {@code publicKey}, for RS256 and ES256: a JSON Web Key Set file
 *                  (RFC 7517) holding one or more public keys, each with its {@code kid}; a token's
 *                  {@code kid} header picks its key, and one whose {@code kid} names no key in the set
 *                  is refused. The file is re-read when it changes ({@link AuthConfig#reloadInterval()}),
 *                  so keys are rotated without a restart. {@code null} if {@code publicKey} is used
 */
public record JwtSettings(String algorithm, @Nullable String secret, @Nullable Path publicKey, @Nullable String issuer,
                          @Nullable String audience, @Nullable Path jwks) {
    static final Set<String> ALGORITHMS = Set.of("HS256", "RS256", "ES256");

    public JwtSettings {
        Objects.requireNonNull(algorithm, "algorithm");
        algorithm = algorithm.trim().toUpperCase(Locale.ROOT);
        if (!ALGORITHMS.contains(algorithm)) {
            throw new IllegalArgumentException("jwt algorithm must be one of HS256, RS256, ES256: " + algorithm);
        }
        if (algorithm.equals("HS256")) {
            if (secret == null || secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
                throw new IllegalArgumentException("HS256 needs a secret (jwtSecret) of at least 32 bytes");
            }
            if (publicKey != null || jwks != null) {
                throw new IllegalArgumentException("HS256 takes a secret, not a public key or a key set");
            }
        } else {
            if ((publicKey == null) == (jwks == null)) {
                throw new IllegalArgumentException(algorithm + " needs either a public key PEM file (jwtPublicKey) "
                        + "or a JSON Web Key Set file (jwtJwks), and not both");
            }
            if (secret != null) {
                throw new IllegalArgumentException(algorithm + " takes a public key, not a secret");
            }
        }
        if (issuer != null && issuer.isBlank()) {
            issuer = null;
        }
        if (audience != null && audience.isBlank()) {
            audience = null;
        }
    }

    /** Without a key set: the form before {@code jwks} was added. */
    public JwtSettings(String algorithm, String secret, Path publicKey, String issuer, String audience) {
        this(algorithm, secret, publicKey, issuer, audience, null);
    }

    @Override
    public String toString() {
        return "JwtSettings[algorithm=" + algorithm + (secret == null ? "" : ", secret=(hidden)")
                + (publicKey == null ? "" : ", publicKey=" + publicKey) + (jwks == null ? "" : ", jwks=" + jwks) + ", issuer=" + issuer + ", audience=" + audience
                + "]";
    }
}

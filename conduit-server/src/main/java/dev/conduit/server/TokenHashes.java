package dev.conduit.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Static tokens as the server stores them: never the token, only {@code sha256:<64 hex digits>} of
 * its UTF-8 bytes. Tokens made by {@link #newToken()} carry 256 random bits, so a fast hash is enough:
 * guessing one from its hash is as hard as guessing the token (a slow hash such as PBKDF2 only helps
 * for low-entropy passwords, which static tokens should not be).
 */
public final class TokenHashes {
    /** The prefix of every stored hash. */
    public static final String PREFIX = "sha256:";
    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenHashes() {
    }

    /** A new random token: 32 random bytes, base64url without padding (43 characters). */
    public static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** {@code sha256:<hex>} of the token's UTF-8 bytes. */
    public static String hash(String token) {
        return PREFIX + HexFormat.of().formatHex(sha256(token.getBytes(StandardCharsets.UTF_8)));
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /**
     * The digest of a stored hash.
     *
     * @throws IllegalArgumentException if it is not {@code sha256:} and 64 hex digits
     */
    static byte[] parse(String stored) {
        String s = stored.trim();
        if (!s.toLowerCase(Locale.ROOT).startsWith(PREFIX)) {
            throw new IllegalArgumentException("a token hash must look like sha256:<64 hex digits>, not a plain token;"
                    + " hash a token with: printf '%s' \"$TOKEN\" | sha256sum | awk '{print \"sha256:\" $1}'"
                    + " (docs/security.md, Static tokens)");
        }
        String hex = s.substring(PREFIX.length());
        if (hex.length() != 64) {
            throw new IllegalArgumentException("a sha256 token hash has 64 hex digits, this one has " + hex.length());
        }
        try {
            return HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a sha256 token hash has only hex digits after 'sha256:'");
        }
    }
}

package dev.conduit.client;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a client presents to the server in HELLO and AUTH: a scheme and its bytes. See
 * docs/security.md for the schemes a Conduit server accepts.
 *
 * @param scheme      {@code token}, {@code jwt}, {@code mtls}, a plug-in's scheme, or empty for none
 * @param credentials the bytes for that scheme
 */
public record Credentials(String scheme, byte[] credentials) {
    /** No credentials: anonymous, or identified by a TLS client certificate alone. */
    public static final Credentials NONE = new Credentials("", new byte[0]);

    /** Three base64url parts separated by dots: a compact JWS, as JWTs are sent. */
    private static final Pattern COMPACT_JWS = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*");

    public Credentials {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(credentials, "credentials");
        credentials = credentials.clone();
        if (credentials.length > 0xFFFF) {
            throw new IllegalArgumentException("credentials of " + credentials.length + " bytes exceed 65535 bytes");
        }
    }

    /** A static token (scheme {@code token}). */
    public static Credentials token(String token) {
        return new Credentials("token", token.getBytes(StandardCharsets.UTF_8));
    }

    /** A JWT in compact form (scheme {@code jwt}). */
    public static Credentials jwt(String jwt) {
        return new Credentials("jwt", jwt.getBytes(StandardCharsets.UTF_8));
    }

    /** {@link #jwt} if the text looks like a compact JWS (three dot-separated base64url parts), else {@link #token}. */
    public static Credentials guess(String tokenOrJwt) {
        return COMPACT_JWS.matcher(tokenOrJwt).matches() ? jwt(tokenOrJwt) : token(tokenOrJwt);
    }

    @Override
    public byte[] credentials() {
        return credentials.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Credentials c && scheme.equals(c.scheme) && java.util.Arrays.equals(credentials, c.credentials);
    }

    @Override
    public int hashCode() {
        return scheme.hashCode() * 31 + java.util.Arrays.hashCode(credentials);
    }

    @Override
    public String toString() {
        return "Credentials[scheme=" + scheme + ", " + credentials.length + " bytes]";
    }
}

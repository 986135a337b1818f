package dev.conduit.server;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.function.UnaryOperator;

/**
 * An issuer of JWTs for tests: one algorithm (HS256, RS256 or ES256) with a fresh key, the server's
 * {@link JwtSettings} for it (the public key written as PEM to a directory), and tokens signed with it.
 */
final class TestJwts {
    static final String ISSUER = "https://login.example.test";
    static final String AUDIENCE = "conduit";

    final String algorithm;
    private final JWSSigner signer;
    private final String secret;
    private final KeyPair keys;

    private TestJwts(String algorithm, JWSSigner signer, String secret, KeyPair keys) {
        this.algorithm = algorithm;
        this.signer = signer;
        this.secret = secret;
        this.keys = keys;
    }

    /** A new issuer with a key of its own. */
    static TestJwts create(String algorithm) {
        try {
            return switch (algorithm) {
                case "HS256" -> {
                    byte[] b = new byte[32];
                    new java.security.SecureRandom().nextBytes(b);
                    String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
                    yield new TestJwts(algorithm, new MACSigner(secret.getBytes(StandardCharsets.UTF_8)), secret, null);
                }
                case "RS256" -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(2048);
                    KeyPair k = g.generateKeyPair();
                    yield new TestJwts(algorithm, new RSASSASigner(k.getPrivate()), null, k);
                }
                case "ES256" -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                    KeyPair k = g.generateKeyPair();
                    yield new TestJwts(algorithm, new ECDSASigner((ECPrivateKey) k.getPrivate()), null, k);
                }
                default -> throw new IllegalArgumentException(algorithm);
            };
        } catch (GeneralSecurityException | JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The server's settings for this issuer, requiring {@link #ISSUER} and {@link #AUDIENCE}; a PEM goes to {@code dir}. */
    JwtSettings settings(Path dir) {
        if (keys == null) {
            return new JwtSettings(algorithm, secret, null, ISSUER, AUDIENCE);
        }
        Path pem = dir.resolve(algorithm.toLowerCase(java.util.Locale.ROOT) + "-" + System.nanoTime() + ".pem");
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(keys.getPublic().getEncoded());
        try {
            Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new JwtSettings(algorithm, null, pem, ISSUER, AUDIENCE);
    }

    /** The claims of a good token for {@code sub}, expiring at {@code exp}. */
    static JWTClaimsSet.Builder claims(String sub, Instant exp) {
        return new JWTClaimsSet.Builder().subject(sub).issuer(ISSUER).audience(AUDIENCE).expirationTime(Date.from(exp));
    }

    /** A good token for {@code sub} expiring at {@code exp}. */
    String token(String sub, Instant exp) {
        return token(claims(sub, exp).build());
    }

    /** A token for {@code sub} expiring at {@code exp}, its claims changed by {@code tweak}. */
    String token(String sub, Instant exp, UnaryOperator<JWTClaimsSet.Builder> tweak) {
        return token(tweak.apply(claims(sub, exp)).build());
    }

    String token(JWTClaimsSet claims) {
        return sign(new JWSHeader(JWSAlgorithm.parse(algorithm)), claims, signer);
    }

    static String sign(JWSHeader header, JWTClaimsSet claims, JWSSigner signer) {
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    /** An unsigned token ({@code alg: none}) with these claims. */
    static String unsigned(JWTClaimsSet claims) {
        return new PlainJWT(claims).serialize();
    }

    /**
     * An HS256 token whose "secret" is this issuer's public key in PEM, as in the classic key
     * confusion attack on servers that take the algorithm from the token.
     */
    String hmacWithPublicKey(JWTClaimsSet claims) {
        if (keys == null) {
            throw new IllegalStateException("HS256 has no public key");
        }
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(keys.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        try {
            return sign(new JWSHeader(JWSAlgorithm.HS256), claims, new MACSigner(pem.getBytes(StandardCharsets.UTF_8)));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static Date date(Instant t) {
        return Date.from(t);
    }
}

package dev.conduit.server;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.conduit.server.spi.AuthRequest;
import dev.conduit.server.spi.AuthResult;
import dev.conduit.server.spi.Authenticator;
import dev.conduit.server.spi.Principal;
import dev.conduit.transport.LogSafe;
import dev.conduit.transport.ReloadingFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.function.Supplier;

/**
 * Scheme {@code jwt}: a compact JWS whose algorithm is exactly the configured one (so neither
 * {@code none} nor an HS256 token signed with an RSA public key as its secret gets through), whose
 * signature verifies, with {@code exp} required and in the future, {@code nbf} (if present) not in
 * the future, {@code iss} and {@code aud} as configured, and a non-empty {@code sub}, which names
 * the principal. The principal's credentials expire at {@code exp}; its token id is the {@code jti},
 * if any (the revocation file may name it). Permissions come from the server's configuration, by
 * {@code sub}.
 *
 * <p>The key is one public key (or HS256 secret), or a JSON Web Key Set file ({@link
 * JwtSettings#jwks()}) read through Nimbus's {@link JWKSet} and picked by Nimbus's {@link
 * JWSVerificationKeySelector}: the keys of the pinned algorithm's type whose {@code kid} is the
 * token's (every such key if the token names none). A token whose {@code kid} names no key is
 * refused. The set is re-read when the file changes ({@link #keySet()}, checked by {@link
 * Authentication}); a token is checked against the set as it is at that moment.
 *
 * <p>CPU-only (one signature check), so it runs on the I/O thread.
 */
final class JwtAuthenticator implements Authenticator {
    static final String SCHEME = "jwt";
    /** Tokens longer than this are refused before parsing. HELLO's credentials are at most 65535 bytes anyway. */
    private static final int MAX_TOKEN_CHARS = 16 * 1024;
    /** How the refusal of a token past its {@code exp} begins (told apart for the meter's reason). */
    static final String EXPIRED = "jwt expired at ";

    private final JwtSettings settings;
    private final JWSAlgorithm algorithm;
    /** The one verifier, or null with a key set. */
    private final JWSVerifier verifier;
    /** The key set file, or null without one. */
    private final ReloadingFiles<JWKSet> keySet;
    private final JWSVerificationKeySelector<SecurityContext> keySelector;
    private final Supplier<Instant> now;

    /**
     * @throws IllegalArgumentException if the key cannot be read or does not suit the algorithm
     */
    JwtAuthenticator(JwtSettings settings, Supplier<Instant> now) {
        this.settings = settings;
        this.algorithm = JWSAlgorithm.parse(settings.algorithm());
        this.now = now;
        if (settings.jwks() != null) {
            KeyType type = settings.algorithm().equals("ES256") ? KeyType.EC : KeyType.RSA;
            this.keySet = new ReloadingFiles<>("JWKS file", java.util.List.of(settings.jwks()),
                    () -> readKeySet(settings.jwks(), type));
            JWKSource<SecurityContext> source = (selector, context) -> selector.select(keySet.current());
            this.keySelector = new JWSVerificationKeySelector<>(algorithm, source);
            this.verifier = null;
            return;
        }
        this.keySet = null;
        this.keySelector = null;
        try {
            this.verifier = switch (settings.algorithm()) {
                case "HS256" -> new MACVerifier(settings.secret().getBytes(StandardCharsets.UTF_8));
                case "RS256" -> new RSASSAVerifier((RSAPublicKey) readPublicKey(settings.publicKey(), "RSA"));
                case "ES256" -> new ECDSAVerifier((ECPublicKey) readPublicKey(settings.publicKey(), "EC"));
                default -> throw new IllegalArgumentException("unsupported algorithm " + settings.algorithm());
            };
        } catch (JOSEException e) {
            throw new IllegalArgumentException("jwt key does not suit " + settings.algorithm() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The public keys of a JWKS file; at least one must be of {@code type}.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    static JWKSet readKeySet(Path file, KeyType type) {
        JWKSet set;
        try {
            set = JWKSet.load(file.toFile()).toPublicJWKSet();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the JWKS file " + file + ": " + e.getMessage(), e);
        } catch (ParseException e) {
            throw new IllegalArgumentException(file + " is not a JSON Web Key Set: " + e.getMessage(), e);
        }
        long usable = set.getKeys().stream().filter(k -> type.equals(k.getKeyType())).count();
        if (usable == 0) {
            throw new IllegalArgumentException(file + " holds no " + type + " public key (of " + set.getKeys().size()
                    + " keys)");
        }
        for (JWK k : set.getKeys()) {
            if (type.equals(k.getKeyType()) && set.getKeys().size() > 1 && k.getKeyID() == null) {
                throw new IllegalArgumentException(file + " holds several keys, and one of them has no kid");
            }
        }
        return set;
    }

    /** The key set file being watched, or null if the key is not read from a JWKS file. */
    ReloadingFiles<JWKSet> keySet() {
        return keySet;
    }

    /** A public key from a PEM file holding {@code -----BEGIN PUBLIC KEY-----} (SubjectPublicKeyInfo). */
    static PublicKey readPublicKey(Path pem, String keyAlgorithm) {
        String text;
        try {
            text = Files.readString(pem, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read jwt public key " + pem + ": " + e.getMessage(), e);
        }
        int begin = text.indexOf("-----BEGIN PUBLIC KEY-----");
        int end = text.indexOf("-----END PUBLIC KEY-----");
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(pem + " holds no '-----BEGIN PUBLIC KEY-----' block");
        }
        String base64 = text.substring(begin + "-----BEGIN PUBLIC KEY-----".length(), end).replaceAll("\\s", "");
        try {
            return KeyFactory.getInstance(keyAlgorithm).generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException(pem + " does not hold an " + keyAlgorithm + " public key: " + e.getMessage(), e);
        }
    }

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public AuthResult authenticate(AuthRequest request) {
        if (request.credentials().length > MAX_TOKEN_CHARS) {
            return AuthResult.refused("jwt of " + request.credentials().length + " bytes is too long");
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(new String(request.credentials(), StandardCharsets.UTF_8));
            if (!algorithm.equals(jwt.getHeader().getAlgorithm())) {
                return AuthResult.refused("jwt signed with " + jwt.getHeader().getAlgorithm() + ", only " + algorithm
                        + " is accepted");
            }
            if (verifier != null ? !jwt.verify(verifier) : !verifiesWithKeySet(jwt)) {
                String kid = jwt.getHeader().getKeyID();
                if (verifier == null && keySelector.selectJWSKeys(jwt.getHeader(), null).isEmpty()) {
                    return AuthResult.refused("jwt key id " + LogSafe.quote(kid) + " names no key in the key set");
                }
                return AuthResult.refused("jwt signature does not verify");
            }
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            return AuthResult.refused("not a signed jwt: " + e.getMessage());
        } catch (JOSEException | IllegalStateException e) {
            return AuthResult.refused("jwt signature cannot be checked: " + e.getMessage());
        }
        Instant t = now.get();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            return AuthResult.refused("jwt has no exp claim");
        }
        if (!exp.toInstant().isAfter(t)) {
            return AuthResult.refused(EXPIRED + exp.toInstant());
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && nbf.toInstant().isAfter(t)) {
            return AuthResult.refused("jwt is not valid before " + nbf.toInstant());
        }
        if (settings.issuer() != null && !settings.issuer().equals(claims.getIssuer())) {
            return AuthResult.refused("jwt issuer " + dev.conduit.transport.LogSafe.quote(claims.getIssuer()) + " is not '"
                    + settings.issuer() + "'");
        }
        List<String> aud = claims.getAudience();
        if (settings.audience() != null && (aud == null || !aud.contains(settings.audience()))) {
            return AuthResult.refused("jwt audience " + aud + " does not contain '" + settings.audience() + "'");
        }
        String sub = claims.getSubject();
        if (sub == null || sub.isBlank()) {
            return AuthResult.refused("jwt has no sub claim");
        }
        return AuthResult.accepted(new Principal(sub, null, exp.toInstant(), claims.getJWTID()));
    }

    /** Whether one of the key set's keys for the token's {@code kid} verifies its signature. */
    private boolean verifiesWithKeySet(SignedJWT jwt) throws JOSEException {
        for (Key key : keySelector.selectJWSKeys(jwt.getHeader(), null)) {
            if (jwt.verify(VERIFIERS.createJWSVerifier(jwt.getHeader(), key))) {
                return true;
            }
        }
        return false;
    }

    private static final DefaultJWSVerifierFactory VERIFIERS = new DefaultJWSVerifierFactory();
}

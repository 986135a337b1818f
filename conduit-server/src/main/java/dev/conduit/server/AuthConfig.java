package dev.conduit.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conduit.server.spi.Authenticator;
import dev.conduit.server.spi.Permissions;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Who may connect and what each principal may do: the {@code auth} and {@code permissions} sections
 * of the server's configuration (see docs/security.md). Immutable.
 *
 * <p>Anonymous access: allowed by default when no authentication is configured (then a server that
 * binds a non-loopback address refuses to start unless {@code allowAnonymous} is set to true
 * explicitly), refused by default as soon as any authenticator is configured.
 */
public final class AuthConfig {
    /** The permissions entry for principals without an entry of their own. */
    public static final String DEFAULT_PERMISSIONS = "default";

    private final @Nullable Boolean allowAnonymous;
    private final Duration failedAuthDelay;
    private final List<StaticToken> tokens;
    private final @Nullable JwtSettings jwt;
    private final @Nullable Path revocationFile;
    private final Duration reloadInterval;
    private final @Nullable CertificatePrincipal mtls;
    private final Map<String, Permissions> permissions;
    private final List<Authenticator> plugins;

    private AuthConfig(Builder b, @Nullable JwtSettings jwt) {
        this.allowAnonymous = b.allowAnonymous;
        this.failedAuthDelay = b.failedAuthDelay;
        this.tokens = List.copyOf(b.tokens);
        this.jwt = jwt;
        this.revocationFile = b.revocationFile;
        this.reloadInterval = b.reloadInterval;
        this.mtls = b.mtls;
        this.permissions = Map.copyOf(b.permissions);
        this.plugins = List.copyOf(b.plugins);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthConfig a && Objects.equals(allowAnonymous, a.allowAnonymous)
                && failedAuthDelay.equals(a.failedAuthDelay) && tokens.equals(a.tokens) && Objects.equals(jwt, a.jwt)
                && Objects.equals(revocationFile, a.revocationFile) && reloadInterval.equals(a.reloadInterval)
                && mtls == a.mtls && permissions.equals(a.permissions) && plugins.equals(a.plugins);
    }

    @Override
    public int hashCode() {
        return Objects.hash(allowAnonymous, failedAuthDelay, tokens, jwt, revocationFile, reloadInterval, mtls, permissions,
                plugins);
    }

    @Override
    public String toString() {
        return "AuthConfig[allowAnonymous=" + allowAnonymous + ", failedAuthDelay=" + failedAuthDelay + ", tokens="
                + tokens.size() + ", jwt=" + jwt + (revocationFile == null ? "" : ", revocationFile=" + revocationFile)
                + ", reloadInterval=" + reloadInterval + ", mtls=" + mtls + ", permissions=" + permissions.keySet()
                + ", plugins=" + plugins.size() + "]";
    }

    /** No authentication: anonymous access, everything allowed. */
    public static AuthConfig none() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether any way to authenticate (tokens, JWT, mTLS, a plug-in) is configured. */
    public boolean authenticationConfigured() {
        return !tokens.isEmpty() || jwt != null || mtls != null || !plugins.isEmpty();
    }

    /** Whether anonymous HELLOs are accepted: as set, else only when no authentication is configured. */
    public boolean anonymousAllowed() {
        return allowAnonymous != null ? allowAnonymous : !authenticationConfigured();
    }

    /** Whether {@code allowAnonymous} was set explicitly (true or false). */
    public boolean anonymousExplicit() {
        return allowAnonymous != null;
    }

    public Duration failedAuthDelay() {
        return failedAuthDelay;
    }

    /**
     * A static token: the principal it names, its {@code sha256:} hash ({@link TokenHashes}), and when
     * it stops being accepted.
     *
     * @param expiresAt when the token expires (sessions using it are then closed with 419), or null for never
     */
    public record StaticToken(String principal, String hash, java.time.@Nullable Instant expiresAt) {
        public StaticToken {
            Objects.requireNonNull(principal, "principal");
            Objects.requireNonNull(hash, "hash");
        }
    }

    /** Principal and {@code sha256:} hash of each static token. */
    public List<Map.Entry<String, String>> tokens() {
        return tokens.stream().<Map.Entry<String, String>>map(t -> new AbstractMap.SimpleImmutableEntry<>(t.principal(),
                t.hash())).toList();
    }

    /** Each static token, with its expiry. */
    public List<StaticToken> staticTokens() {
        return tokens;
    }

    /**
     * The revocation file ({@link Revocations}: token ids and principals no longer accepted), or null
     * for none. Re-read every {@link #reloadInterval()}; sessions it revokes are closed with 401.
     */
    public @Nullable Path revocationFile() {
        return revocationFile;
    }

    /**
     * How often the JWKS file ({@link JwtSettings#jwks()}) and the revocation file are checked for a
     * change; zero never checks. Default 10 s, as the TLS files.
     */
    public Duration reloadInterval() {
        return reloadInterval;
    }

    /** The JWT settings, or {@code null} if JWTs are not accepted. */
    public @Nullable JwtSettings jwt() {
        return jwt;
    }

    /** Where mTLS principals come from, or {@code null} if client certificates do not authenticate. */
    public @Nullable CertificatePrincipal mtls() {
        return mtls;
    }

    /** Permissions by principal name; {@link #DEFAULT_PERMISSIONS} for those without an entry. */
    public Map<String, Permissions> permissions() {
        return permissions;
    }

    public List<Authenticator> plugins() {
        return plugins;
    }

    /**
     * Refuses a server that would let anonymous clients in from other machines without being told so.
     *
     * @throws IllegalStateException if {@code host} is not a loopback address, anonymous access is
     *                               allowed, and {@code allowAnonymous: true} was not set explicitly
     */
    void checkExposure(String host) {
        if (!anonymousAllowed() || Boolean.TRUE.equals(allowAnonymous)) {
            return;
        }
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            loopback = false;
        }
        if (!loopback) {
            throw new IllegalStateException("refusing to start: the server binds " + host
                    + ", which is not a loopback address, and accepts anonymous clients. Configure authentication"
                    + " (auth.tokens, auth.jwt, auth.mtls) or set auth.allowAnonymous: true"
                    + " (CONDUIT_ALLOW_ANONYMOUS=true) to allow anyone who can reach it");
        }
    }

    /** Collects auth settings. Not thread-safe. */
    public static final class Builder {
        private @Nullable Boolean allowAnonymous;
        private Duration failedAuthDelay = Duration.ofSeconds(1);
        private final List<StaticToken> tokens = new ArrayList<>();
        private @Nullable Path revocationFile;
        private Duration reloadInterval = Duration.ofSeconds(10);
        private @Nullable Path jwtJwks;
        private @Nullable String jwtAlgorithm;
        private @Nullable String jwtSecret;
        private @Nullable Path jwtPublicKey;
        private @Nullable String jwtIssuer;
        private @Nullable String jwtAudience;
        private @Nullable JwtSettings jwt;
        private @Nullable CertificatePrincipal mtls;
        private final Map<String, Permissions> permissions = new LinkedHashMap<>();
        private final List<Authenticator> plugins = new ArrayList<>();

        private Builder() {
        }

        /** Unset by default: anonymous only while no authentication is configured. */
        public Builder allowAnonymous(boolean allow) {
            this.allowAnonymous = allow;
            return this;
        }

        /** How long a refused client waits for its ERROR 401; default 1 s; 0 to 60 s. */
        public Builder failedAuthDelay(Duration delay) {
            Objects.requireNonNull(delay, "failedAuthDelay");
            if (delay.isNegative() || delay.compareTo(Duration.ofSeconds(60)) > 0) {
                throw new IllegalArgumentException("failedAuthDelay must be between 0 and 60 s: " + delay);
            }
            this.failedAuthDelay = delay;
            return this;
        }

        /** A static token for {@code principal}, given as its hash ({@code sha256:<hex>}, see {@link TokenHashes}). */
        public Builder token(String principal, String hash) {
            return token(principal, hash, null);
        }

        /**
         * A static token that is refused from {@code expiresAt} on (null: never); a session using it is
         * closed with 419 then, unless it renewed its credentials with another.
         */
        public Builder token(String principal, String hash, java.time.@Nullable Instant expiresAt) {
            requireName(principal);
            TokenHashes.parse(hash);
            tokens.add(new StaticToken(principal, hash.trim(), expiresAt));
            return this;
        }

        /** A revocation file ({@link AuthConfig#revocationFile()}); null for none. */
        public Builder revocationFile(@Nullable Path file) {
            this.revocationFile = file;
            return this;
        }

        /** How often the JWKS and revocation files are checked for a change; zero never checks. */
        public Builder reloadInterval(Duration interval) {
            Objects.requireNonNull(interval, "reloadInterval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("reloadInterval must be >= 0: " + interval);
            }
            this.reloadInterval = interval;
            return this;
        }

        public Builder jwt(JwtSettings settings) {
            this.jwt = Objects.requireNonNull(settings, "jwt");
            return this;
        }

        public Builder mtls(CertificatePrincipal from) {
            this.mtls = Objects.requireNonNull(from, "mtls");
            return this;
        }

        /** The permissions of one principal, or of {@link #DEFAULT_PERMISSIONS}. */
        public Builder permissions(String principal, Permissions p) {
            requireName(principal);
            permissions.put(principal, Objects.requireNonNull(p, "permissions"));
            return this;
        }

        /** A plug-in authenticator for its own scheme. */
        public Builder authenticator(Authenticator a) {
            plugins.add(Objects.requireNonNull(a, "authenticator"));
            return this;
        }

        /**
         * Sets one flat setting from text: {@code allowAnonymous}, {@code failedAuthDelay}, {@code
         * jwtAlgorithm}, {@code jwtSecret}, {@code jwtPublicKey}, {@code jwtJwks}, {@code jwtIssuer}, {@code
         * jwtAudience}, {@code mtlsPrincipalFrom}, {@code revocationFile}, {@code authReloadInterval}.
         *
         * @return false if the key is not one of these
         */
        boolean set(String key, String value) {
            switch (key) {
                case "allowAnonymous" -> allowAnonymous(ConfigSettings.bool(value));
                case "failedAuthDelay" -> failedAuthDelay(ConfigSettings.duration(value));
                case "jwtAlgorithm" -> jwtAlgorithm = value.trim();
                case "jwtSecret" -> jwtSecret = value;
                case "jwtPublicKey" -> jwtPublicKey = Path.of(value.trim());
                case "jwtJwks" -> jwtJwks = Path.of(value.trim());
                case "revocationFile" -> revocationFile(value.isBlank() ? null : Path.of(value.trim()));
                case "authReloadInterval" -> reloadInterval(ConfigSettings.duration(value));
                case "jwtIssuer" -> jwtIssuer = value.trim();
                case "jwtAudience" -> jwtAudience = value.trim();
                case "mtlsPrincipalFrom" -> mtls(CertificatePrincipal.parse(value));
                default -> {
                    return false;
                }
            }
            return true;
        }

        /**
         * The {@code auth} and {@code permissions} sections of a YAML file (either may be null).
         * Scalars go through {@code scalar} (the server config's {@code set}, so that sources are
         * named alike); a relative {@code jwt.publicKey} is resolved against the file's directory.
         */
        void fromYaml(JsonNode auth, JsonNode perms, Path file, java.util.function.BiConsumer<String, String> scalar) {
            if (auth != null && !auth.isNull()) {
                requireObject(auth, file, "auth");
                for (Iterator<Map.Entry<String, JsonNode>> it = auth.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String where = "auth." + e.getKey();
                    JsonNode v = e.getValue();
                    switch (e.getKey()) {
                        case "allowAnonymous", "failedAuthDelay" -> scalar.accept(e.getKey(), scalarText(v, file, where));
                        case "reloadInterval" -> scalar.accept("authReloadInterval", scalarText(v, file, where));
                        case "revocationFile" -> scalar.accept("revocationFile", relative(file, scalarText(v, file, where)));
                        case "tokens" -> {
                            if (!v.isArray()) {
                                throw new IllegalArgumentException(file + ": " + where
                                        + " must be a list of {principal, hash} entries");
                            }
                            int i = 0;
                            for (JsonNode t : v) {
                                String at = where + "[" + i++ + "]";
                                requireObject(t, file, at);
                                onlyKeys(t, file, at, Set.of("principal", "hash", "expires"));
                                try {
                                    token(scalarText(t.get("principal"), file, at + ".principal"),
                                            scalarText(t.get("hash"), file, at + ".hash"),
                                            t.has("expires") ? instant(scalarText(t.get("expires"), file, at + ".expires"))
                                                    : null);
                                } catch (IllegalArgumentException ex) {
                                    throw new IllegalArgumentException(file + ": invalid " + at + ": " + ex.getMessage(), ex);
                                }
                            }
                        }
                        case "jwt" -> {
                            requireObject(v, file, where);
                            onlyKeys(v, file, where, Set.of("algorithm", "secret", "publicKey", "jwks", "issuer", "audience"));
                            for (Iterator<Map.Entry<String, JsonNode>> j = v.fields(); j.hasNext(); ) {
                                Map.Entry<String, JsonNode> f = j.next();
                                String text = scalarText(f.getValue(), file, where + "." + f.getKey());
                                if (f.getKey().equals("publicKey") || f.getKey().equals("jwks")) {
                                    text = relative(file, text);
                                }
                                scalar.accept("jwt" + Character.toUpperCase(f.getKey().charAt(0))
                                        + f.getKey().substring(1), text);
                            }
                        }
                        case "mtls" -> {
                            requireObject(v, file, where);
                            onlyKeys(v, file, where, Set.of("principalFrom"));
                            scalar.accept("mtlsPrincipalFrom", scalarText(v.get("principalFrom"), file, where + ".principalFrom"));
                        }
                        default -> throw new IllegalArgumentException(file + ": unknown setting '" + where
                                + "' (expected allowAnonymous, failedAuthDelay, tokens, jwt, mtls, revocationFile, reloadInterval)");
                    }
                }
            }
            if (perms != null && !perms.isNull()) {
                requireObject(perms, file, "permissions");
                for (Iterator<Map.Entry<String, JsonNode>> it = perms.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String where = "permissions." + e.getKey();
                    try {
                        permissions(e.getKey(), permissionsFromYaml(e.getValue(), file, where));
                    } catch (IllegalArgumentException ex) {
                        throw String.valueOf(ex.getMessage()).startsWith(file.toString()) ? ex
                                : new IllegalArgumentException(file + ": invalid " + where + ": " + ex.getMessage(), ex);
                    }
                }
            }
        }

        /** A file name from a YAML file, relative to the file's folder. */
        private static String relative(Path file, String name) {
            Path dir = file.toAbsolutePath().getParent();
            return dir == null || name.isBlank() ? name : dir.resolve(name.trim()).toString();
        }

        /** An ISO-8601 instant ({@code 2027-01-31T00:00:00Z}), for a token's expiry. */
        private static java.time.Instant instant(String text) {
            try {
                return java.time.Instant.parse(text.trim());
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException("expected an instant such as 2027-01-31T00:00:00Z: " + text, e);
            }
        }

        private static Permissions permissionsFromYaml(JsonNode p, Path file, String where) {
            requireObject(p, file, where);
            onlyKeys(p, file, where, Set.of("publish", "subscribe", "allowResponses"));
            List<String>[] pub = allowDeny(p.get("publish"), file, where + ".publish");
            List<String>[] sub = allowDeny(p.get("subscribe"), file, where + ".subscribe");
            boolean responses = p.has("allowResponses")
                    && ConfigSettings.bool(scalarText(p.get("allowResponses"), file, where + ".allowResponses"));
            return new Permissions(pub[0], pub[1], sub[0], sub[1], responses);
        }

        @SuppressWarnings("unchecked")
        private static List<String>[] allowDeny(JsonNode n, Path file, String where) {
            List<String>[] r = new List[] {null, List.of()};
            if (n == null) {
                return r;
            }
            requireObject(n, file, where);
            onlyKeys(n, file, where, Set.of("allow", "deny"));
            if (n.has("allow")) {
                r[0] = stringList(n.get("allow"), file, where + ".allow");
            }
            if (n.has("deny")) {
                r[1] = stringList(n.get("deny"), file, where + ".deny");
            }
            return r;
        }

        private static List<String> stringList(JsonNode n, Path file, String where) {
            if (n.isTextual()) {
                return List.of(n.asText());
            }
            if (!n.isArray()) {
                throw new IllegalArgumentException(file + ": " + where + " must be a list of subject patterns");
            }
            List<String> out = new ArrayList<>();
            for (JsonNode s : n) {
                if (!s.isTextual()) {
                    throw new IllegalArgumentException(file + ": " + where + " must hold only subject patterns, not "
                            + s);
                }
                out.add(s.asText());
            }
            return out;
        }

        private static void requireObject(JsonNode n, Path file, String where) {
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException(file + ": " + where + " must be a mapping");
            }
        }

        private static void onlyKeys(JsonNode n, Path file, String where, Set<String> keys) {
            n.fieldNames().forEachRemaining(k -> {
                if (!keys.contains(k)) {
                    throw new IllegalArgumentException(file + ": unknown setting '" + where + "." + k + "' (expected "
                            + String.join(", ", keys.stream().sorted().toList()) + ")");
                }
            });
        }

        private static String scalarText(JsonNode v, Path file, String where) {
            if (v == null || v.isNull()) {
                throw new IllegalArgumentException(file + ": setting '" + where + "' has no value");
            }
            if (!v.isValueNode()) {
                throw new IllegalArgumentException(file + ": setting '" + where + "' must be a plain value");
            }
            return v.asText();
        }

        private static void requireName(String principal) {
            Objects.requireNonNull(principal, "principal");
            if (principal.isBlank()) {
                throw new IllegalArgumentException("a principal's name must not be blank");
            }
        }

        /**
         * @throws IllegalArgumentException if the JWT settings are incomplete or inconsistent
         */
        public AuthConfig build() {
            JwtSettings j = jwt;
            if (j == null && (jwtAlgorithm != null || jwtSecret != null || jwtPublicKey != null || jwtJwks != null)) {
                if (jwtAlgorithm == null) {
                    throw new IllegalArgumentException("jwt settings need an algorithm (jwtAlgorithm: HS256, RS256 or ES256)");
                }
                j = new JwtSettings(jwtAlgorithm, jwtSecret, jwtPublicKey, jwtIssuer, jwtAudience, jwtJwks);
            }
            if (j != null) {
                try {
                    new JwtAuthenticator(j, java.time.Instant::now); // reads and checks the key now, not at start
                } catch (java.io.UncheckedIOException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
            }
            if (revocationFile != null) {
                try {
                    Revocations.read(revocationFile); // read and checked now, not at start
                } catch (java.io.UncheckedIOException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
            }
            return new AuthConfig(this, j);
        }
    }
}

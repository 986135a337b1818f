package dev.conduit.transport;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a listener speaks TLS: its certificate and key, whether it asks clients for certificates, and
 * which protocol versions it accepts. Files are read when the listener starts, and again whenever
 * they change (checked every {@code reloadInterval}), so a certificate rotation needs no restart:
 * connections accepted after the change use the new certificate, open ones keep theirs; but an open
 * connection whose client certificate a changed {@code clientCrl} revokes is closed (its handler is
 * told first: {@link FrameHandler#onPeerCertificateRevoked}).
 *
 * @param certificateChain   PEM file: the server's certificate first, then any intermediates; null
 *                           when {@code keyStore} is used
 * @param privateKey         PEM file holding the PKCS#8 private key of {@code certificateChain}
 * @param privateKeyPassword password of an encrypted {@code privateKey}; null if it is not encrypted
 * @param keyStore           PKCS#12 file holding the key and its chain, instead of the two PEM files
 * @param keyStorePassword   password of {@code keyStore}; null for none
 * @param clientAuth         whether clients are asked for a certificate ({@link ClientAuth})
 * @param clientCa           PEM file of the certificate authorities that client certificates must
 *                           chain to; required unless {@code clientAuth} is {@link ClientAuth#NONE}
 * @param clientCrl          PEM or DER file of certificate revocation lists, one per authority that
 *                           issues client certificates; a revoked client certificate, or one whose
 *                           issuer has no current list here, fails the handshake. Null for none
 * @param protocols          {@code TLSv1.3}, and {@code TLSv1.2} only if asked for; nothing older
 * @param provider           the TLS implementation
 * @param reloadInterval     how often the files are checked for a change; zero never checks
 */
public record ServerTls(@Nullable Path certificateChain, @Nullable Path privateKey, @Nullable String privateKeyPassword,
                        @Nullable Path keyStore, @Nullable String keyStorePassword, ClientAuth clientAuth,
                        @Nullable Path clientCa, @Nullable Path clientCrl, List<String> protocols,
                        TlsProvider provider, Duration reloadInterval) {

    /** The protocol versions Conduit speaks: TLS 1.3 always, TLS 1.2 only when configured. */
    public static final List<String> SUPPORTED_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(10);

    /** Whether the server asks TLS clients for a certificate. */
    public enum ClientAuth {
        /** Clients are not asked for a certificate. */
        NONE,
        /** Clients are asked; one without a certificate may still connect (and authenticate otherwise). */
        REQUEST,
        /** A client without a certificate that chains to {@code clientCa} is refused in the handshake. */
        REQUIRE;

        /** {@code none}, {@code request} or {@code require}, in any case. */
        public static ClientAuth parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "none" -> NONE;
                case "request" -> REQUEST;
                case "require" -> REQUIRE;
                default -> throw new IllegalArgumentException("expected one of none, request, require");
            };
        }
    }

    public ServerTls {
        if (keyStore == null) {
            if (certificateChain == null || privateKey == null) {
                throw new IllegalArgumentException(
                        "TLS needs a certificate chain and a private key (PEM files), or a PKCS#12 key store");
            }
        } else if (certificateChain != null || privateKey != null) {
            throw new IllegalArgumentException(
                    "TLS takes either PEM files (certificate chain and private key) or a PKCS#12 key store, not both");
        }
        Objects.requireNonNull(clientAuth, "clientAuth");
        if (clientAuth != ClientAuth.NONE && clientCa == null) {
            throw new IllegalArgumentException("client certificates (clientAuth " + clientAuth.name().toLowerCase(Locale.ROOT)
                    + ") need the certificate authorities to check them against (a PEM file)");
        }
        if (clientCrl != null && clientAuth == ClientAuth.NONE) {
            throw new IllegalArgumentException("a client certificate revocation list (clientCrl) needs client "
                    + "certificates: set clientAuth to request or require");
        }
        protocols = checkProtocols(protocols);
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(reloadInterval, "reloadInterval");
        if (reloadInterval.isNegative()) {
            throw new IllegalArgumentException("reloadInterval must be >= 0: " + reloadInterval);
        }
    }

    /** Without a revocation list: the form before {@code clientCrl} was added. */
    public ServerTls(Path certificateChain, Path privateKey, String privateKeyPassword, Path keyStore,
                     String keyStorePassword, ClientAuth clientAuth, Path clientCa, List<String> protocols,
                     TlsProvider provider, Duration reloadInterval) {
        this(certificateChain, privateKey, privateKeyPassword, keyStore, keyStorePassword, clientAuth, clientCa, null,
                protocols, provider, reloadInterval);
    }

    /** The files this configuration reads, to watch for changes. */
    List<Path> files() {
        List<Path> files = new ArrayList<>();
        for (Path p : new Path[] {certificateChain, privateKey, keyStore, clientCa, clientCrl}) {
            if (p != null) {
                files.add(p);
            }
        }
        return files;
    }

    /**
     * Checks a list of protocol names against {@link #SUPPORTED_PROTOCOLS}; names are matched
     * without regard to case ({@code tlsv1.2} is {@code TLSv1.2}).
     *
     * @return the names as Java spells them, without repeats
     * @throws IllegalArgumentException for an empty list or an unsupported name
     */
    public static List<String> checkProtocols(List<String> protocols) {
        Objects.requireNonNull(protocols, "protocols");
        if (protocols.isEmpty()) {
            throw new IllegalArgumentException("at least one TLS protocol version is needed: TLSv1.3 or TLSv1.2");
        }
        List<String> checked = new ArrayList<>();
        for (String p : protocols) {
            String name = SUPPORTED_PROTOCOLS.stream().filter(s -> s.equalsIgnoreCase(p.trim())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unsupported TLS protocol version '" + p
                            + "': expected TLSv1.3 or TLSv1.2 (older versions are not offered)"));
            if (!checked.contains(name)) {
                checked.add(name);
            }
        }
        return List.copyOf(checked);
    }

    /** PEM certificate chain and private key; everything else at its default. */
    public static Builder pem(Path certificateChain, Path privateKey) {
        Builder b = new Builder();
        b.certificateChain = Objects.requireNonNull(certificateChain, "certificateChain");
        b.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        return b;
    }

    /** A PKCS#12 key store; everything else at its default. */
    public static Builder pkcs12(Path keyStore, String password) {
        Builder b = new Builder();
        b.keyStore = Objects.requireNonNull(keyStore, "keyStore");
        b.keyStorePassword = password;
        return b;
    }

    /**
     * Defaults: no client certificates, TLS 1.3 only, {@link TlsProvider#AUTO}, files checked for a
     * change every 10 seconds.
     */
    public static final class Builder {
        private @Nullable Path certificateChain;
        private @Nullable Path privateKey;
        private @Nullable String privateKeyPassword;
        private @Nullable Path keyStore;
        private @Nullable String keyStorePassword;
        private ClientAuth clientAuth = ClientAuth.NONE;
        private @Nullable Path clientCa;
        private @Nullable Path clientCrl;
        private List<String> protocols = List.of("TLSv1.3");
        private TlsProvider provider = TlsProvider.AUTO;
        private Duration reloadInterval = DEFAULT_RELOAD_INTERVAL;

        private Builder() {
        }

        public Builder privateKeyPassword(String password) {
            this.privateKeyPassword = password;
            return this;
        }

        /** Asks ({@link ClientAuth#REQUEST}) or requires client certificates that chain to {@code ca}. */
        public Builder clientAuth(ClientAuth clientAuth, Path ca) {
            this.clientAuth = Objects.requireNonNull(clientAuth, "clientAuth");
            this.clientCa = ca;
            return this;
        }

        /**
         * Certificate revocation lists (PEM or DER) for the client certificate authorities, re-read
         * like the other files; needs {@link #clientAuth}.
         */
        public Builder clientCrl(Path crl) {
            this.clientCrl = crl;
            return this;
        }

        public Builder protocols(List<String> protocols) {
            this.protocols = checkProtocols(protocols);
            return this;
        }

        public Builder provider(TlsProvider provider) {
            this.provider = Objects.requireNonNull(provider, "provider");
            return this;
        }

        public Builder reloadInterval(Duration interval) {
            this.reloadInterval = Objects.requireNonNull(interval, "reloadInterval");
            return this;
        }

        public ServerTls build() {
            return new ServerTls(certificateChain, privateKey, privateKeyPassword, keyStore, keyStorePassword,
                    clientAuth, clientCa, clientCrl, protocols, provider, reloadInterval);
        }
    }

    @Override
    public String toString() {
        return "ServerTls[" + (keyStore != null ? "keyStore=" + keyStore : "certificateChain=" + certificateChain
                + ", privateKey=" + privateKey) + ", clientAuth=" + clientAuth + (clientCa != null ? ", clientCa="
                + clientCa : "") + (clientCrl != null ? ", clientCrl=" + clientCrl : "") + ", protocols=" + protocols + ", provider=" + provider + ", reloadInterval="
                + reloadInterval + "]";
    }
}

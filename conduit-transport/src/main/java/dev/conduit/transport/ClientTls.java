package dev.conduit.transport;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How a client speaks TLS to {@code tls://} and {@code wss://} endpoints: which certificate
 * authorities it trusts, the certificate it presents (for mutual TLS), and whether it checks that
 * the server's certificate names the host it connected to (on by default). The files are read when
 * a transport first connects with these settings, and the context is kept for its later
 * connections (reconnects); a new client reads them again.
 *
 * @param trustedCertificates PEM file of the certificate authorities to trust; null for {@code
 *                            trustStore}, or, if that is null too, the JDK's default trust store
 * @param trustStore          PKCS#12 trust store, instead of {@code trustedCertificates}
 * @param trustStorePassword  its password; null for none
 * @param certificateChain    PEM file of the client's own certificate (first) and intermediates, for
 *                            mutual TLS; null to present none (or to use {@code keyStore})
 * @param privateKey          PEM file of its PKCS#8 private key
 * @param privateKeyPassword  password of an encrypted {@code privateKey}; null if not encrypted
 * @param keyStore            PKCS#12 file with the client's key and chain, instead of the PEM files
 * @param keyStorePassword    its password; null for none
 * @param verifyHostname      whether the server's certificate must name the endpoint's host
 * @param protocols           {@code TLSv1.3}, and {@code TLSv1.2} only if asked for
 * @param provider            the TLS implementation
 */
public record ClientTls(@Nullable Path trustedCertificates, @Nullable Path trustStore,
                        @Nullable String trustStorePassword, @Nullable Path certificateChain,
                        @Nullable Path privateKey, @Nullable String privateKeyPassword, @Nullable Path keyStore,
                        @Nullable String keyStorePassword,
                        boolean verifyHostname, List<String> protocols, TlsProvider provider) {

    /** The JDK's trusted authorities, host names checked, TLS 1.3, {@link TlsProvider#AUTO}. */
    public static final ClientTls DEFAULT = builder().build();

    public ClientTls {
        if (trustedCertificates != null && trustStore != null) {
            throw new IllegalArgumentException("trust either a PEM file of certificate authorities or a PKCS#12 trust store, not both");
        }
        if ((certificateChain == null) != (privateKey == null)) {
            throw new IllegalArgumentException("a client certificate needs both its certificate chain and its private key");
        }
        if (certificateChain != null && keyStore != null) {
            throw new IllegalArgumentException("present either PEM files (certificate and key) or a PKCS#12 key store, not both");
        }
        protocols = ServerTls.checkProtocols(protocols);
        Objects.requireNonNull(provider, "provider");
    }

    /** Whether a client certificate is configured. */
    public boolean presentsCertificate() {
        return certificateChain != null || keyStore != null;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts from {@link #DEFAULT}. */
    public static final class Builder {
        private @Nullable Path trustedCertificates;
        private @Nullable Path trustStore;
        private @Nullable String trustStorePassword;
        private @Nullable Path certificateChain;
        private @Nullable Path privateKey;
        private @Nullable String privateKeyPassword;
        private @Nullable Path keyStore;
        private @Nullable String keyStorePassword;
        private boolean verifyHostname = true;
        private List<String> protocols = List.of("TLSv1.3");
        private TlsProvider provider = TlsProvider.AUTO;

        private Builder() {
        }

        /** Trust the certificate authorities in a PEM file (instead of the JDK's). */
        public Builder trustedCertificates(Path caPem) {
            this.trustedCertificates = caPem;
            return this;
        }

        /** Trust the certificates in a PKCS#12 trust store (instead of the JDK's). */
        public Builder trustStore(Path pkcs12, String password) {
            this.trustStore = pkcs12;
            this.trustStorePassword = password;
            return this;
        }

        /** Present this certificate (PEM chain and PKCS#8 key) when the server asks for one. */
        public Builder certificate(Path certificateChain, Path privateKey, String privateKeyPassword) {
            this.certificateChain = certificateChain;
            this.privateKey = privateKey;
            this.privateKeyPassword = privateKeyPassword;
            return this;
        }

        /** Present the certificate in a PKCS#12 key store when the server asks for one. */
        public Builder keyStore(Path pkcs12, String password) {
            this.keyStore = pkcs12;
            this.keyStorePassword = password;
            return this;
        }

        /** On by default; turn it off only for tests against certificates that name no host. */
        public Builder verifyHostname(boolean verify) {
            this.verifyHostname = verify;
            return this;
        }

        public Builder protocols(List<String> protocols) {
            this.protocols = ServerTls.checkProtocols(protocols);
            return this;
        }

        public Builder provider(TlsProvider provider) {
            this.provider = Objects.requireNonNull(provider, "provider");
            return this;
        }

        public ClientTls build() {
            return new ClientTls(trustedCertificates, trustStore, trustStorePassword, certificateChain, privateKey,
                    privateKeyPassword, keyStore, keyStorePassword, verifyHostname, protocols, provider);
        }
    }

    @Override
    public String toString() {
        return "ClientTls[trust=" + (trustedCertificates != null ? trustedCertificates : trustStore != null ? trustStore
                : "JDK default") + ", certificate=" + (certificateChain != null ? certificateChain : keyStore)
                + ", verifyHostname=" + verifyHostname + ", protocols=" + protocols + ", provider=" + provider + "]";
    }
}

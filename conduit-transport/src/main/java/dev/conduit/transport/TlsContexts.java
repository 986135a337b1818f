package dev.conduit.transport;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;

/** Builds Netty TLS contexts from {@link ServerTls} and {@link ClientTls}: the one place that picks ciphers. */
final class TlsContexts {
    /**
     * TLS 1.3's suites, then TLS 1.2's with forward secrecy and authenticated encryption only (the
     * TLS 1.2 ones matter only where TLS 1.2 is configured). Suites a provider lacks are left out.
     */
    static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    private static final Pattern PKCS8_PEM =
            Pattern.compile("-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    private TlsContexts() {
    }

    /** The Netty provider for a setting: OpenSSL if asked for (failing if it does not load) or if AUTO finds it. */
    static SslProvider provider(TlsProvider provider) {
        return switch (provider) {
            case JDK -> SslProvider.JDK;
            case OPENSSL -> {
                if (!OpenSsl.isAvailable()) {
                    throw new IllegalStateException("the OpenSSL TLS provider (netty-tcnative) does not load here: "
                            + OpenSsl.unavailabilityCause());
                }
                yield SslProvider.OPENSSL;
            }
            case AUTO -> OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        };
    }

    /**
     * Reads the files and builds a server context.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    static SslContext server(ServerTls tls) {
        return server(tls, tls.clientAuth() == ServerTls.ClientAuth.NONE ? null : clientTrust(tls));
    }

    /**
     * Reads the files and builds a server context that checks client certificates with {@code trust}
     * (made by {@link #clientTrust}; null when the listener asks for none).
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    static SslContext server(ServerTls tls, @Nullable ClientCertificateTrust trust) {
        try {
            if (tls.keyStore() == null && tls.privateKeyPassword() == null) {
                checkKeyMatchesCertificate(readable(tls.certificateChain()), readable(tls.privateKey()));
            }
            SslContextBuilder b = tls.keyStore() != null
                    ? SslContextBuilder.forServer(keyManagers(tls.keyStore(), tls.keyStorePassword()))
                    : SslContextBuilder.forServer(readable(tls.certificateChain()).toFile(),
                    readable(tls.privateKey()).toFile(), tls.privateKeyPassword());
            b.sslProvider(provider(tls.provider()))
                    .protocols(tls.protocols())
                    .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE);
            switch (tls.clientAuth()) {
                case NONE -> b.clientAuth(ClientAuth.NONE);
                case REQUEST -> b.clientAuth(ClientAuth.OPTIONAL).trustManager(java.util.Objects.requireNonNull(trust, "a listener that asks for client certificates has their trust"));
                case REQUIRE -> b.clientAuth(ClientAuth.REQUIRE).trustManager(java.util.Objects.requireNonNull(trust, "a listener that asks for client certificates has their trust"));
            }
            return b.build();
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up TLS from " + describe(tls.files()) + ": " + TlsErrors.describe(e), e);
        }
    }

    /**
     * Reads the client certificate authorities and revocation lists of {@code tls}.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    static ClientCertificateTrust clientTrust(ServerTls tls) {
        try {
            return ClientCertificateTrust.load(readable(tls.clientCa()), tls.clientCrl() == null ? null
                    : readable(tls.clientCrl()));
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up TLS from " + describe(tls.files()) + ": " + TlsErrors.describe(e), e);
        }
    }

    /**
     * Reads the files and builds a client context.
     *
     * @throws IllegalArgumentException naming the files and what is wrong with them
     */
    static SslContext client(ClientTls tls) {
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(provider(tls.provider()))
                    .protocols(tls.protocols())
                    .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .endpointIdentificationAlgorithm(tls.verifyHostname() ? "HTTPS" : null);
            if (tls.trustedCertificates() != null) {
                b.trustManager(readable(tls.trustedCertificates()).toFile());
            } else if (tls.trustStore() != null) {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(pkcs12(tls.trustStore(), tls.trustStorePassword()));
                b.trustManager(tmf);
            }
            if (tls.certificateChain() != null) {
                b.keyManager(readable(tls.certificateChain()).toFile(), readable(tls.privateKey()).toFile(),
                        tls.privateKeyPassword());
            } else if (tls.keyStore() != null) {
                b.keyManager(keyManagers(tls.keyStore(), tls.keyStorePassword()));
            }
            return b.build();
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up TLS with " + tls + ": " + TlsErrors.describe(e), e);
        }
    }

    /**
     * Fails unless the PKCS#8 key signs what the chain's first certificate verifies. Not every
     * provider checks this when a context is built; without it a rotation caught between writing the
     * key and the certificate would serve a context that fails every handshake. A key in another
     * form (encrypted, PKCS#1) is left to the provider.
     */
    static void checkKeyMatchesCertificate(Path certificateChain, Path privateKey) throws IOException, GeneralSecurityException {
        X509Certificate certificate;
        try (InputStream in = Files.newInputStream(certificateChain)) {
            Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (all.isEmpty()) {
                throw new IllegalArgumentException(certificateChain + " holds no certificate");
            }
            certificate = (X509Certificate) all.iterator().next();
        }
        Matcher pem = PKCS8_PEM.matcher(Files.readString(privateKey, StandardCharsets.US_ASCII));
        if (!pem.find()) {
            return;
        }
        PublicKey publicKey = certificate.getPublicKey();
        PrivateKey key = KeyFactory.getInstance(publicKey.getAlgorithm())
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(pem.group(1))));
        String algorithm = switch (publicKey.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "Ed448" -> publicKey.getAlgorithm();
            default -> null;
        };
        if (algorithm == null) {
            return;
        }
        byte[] probe = "conduit: does this key belong to this certificate?".getBytes(StandardCharsets.US_ASCII);
        Signature sign = Signature.getInstance(algorithm);
        sign.initSign(key);
        sign.update(probe);
        Signature verify = Signature.getInstance(algorithm);
        verify.initVerify(publicKey);
        verify.update(probe);
        if (!verify.verify(sign.sign())) {
            throw new IllegalArgumentException("the private key in " + privateKey + " does not belong to the certificate "
                    + certificate.getSubjectX500Principal() + " in " + certificateChain);
        }
    }

    private static KeyManagerFactory keyManagers(@Nullable Path pkcs12, @Nullable String password) throws IOException, GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(pkcs12(pkcs12, password), password == null ? new char[0] : password.toCharArray());
        return kmf;
    }

    private static KeyStore pkcs12(@Nullable Path file, @Nullable String password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(readable(file))) {
            ks.load(in, password == null ? null : password.toCharArray());
        }
        return ks;
    }

    /** The file, if it can be read; a file the configuration left out (null) fails the same way. */
    private static Path readable(@Nullable Path file) {
        if (file == null) {
            throw new IllegalArgumentException("a TLS file is not configured");
        }
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(file + " does not exist or cannot be read");
        }
        return file;
    }

    private static String describe(List<Path> files) {
        return String.join(", ", files.stream().map(Path::toString).toList());
    }
}

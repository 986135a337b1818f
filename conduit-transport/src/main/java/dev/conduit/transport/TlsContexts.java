package dev.conduit.transport;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

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
        try {
            SslContextBuilder b = tls.keyStore() != null
                    ? SslContextBuilder.forServer(keyManagers(tls.keyStore(), tls.keyStorePassword()))
                    : SslContextBuilder.forServer(readable(tls.certificateChain()).toFile(),
                    readable(tls.privateKey()).toFile(), tls.privateKeyPassword());
            b.sslProvider(provider(tls.provider()))
                    .protocols(tls.protocols())
                    .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE);
            switch (tls.clientAuth()) {
                case NONE -> b.clientAuth(ClientAuth.NONE);
                case REQUEST -> b.clientAuth(ClientAuth.OPTIONAL).trustManager(readable(tls.clientCa()).toFile());
                case REQUIRE -> b.clientAuth(ClientAuth.REQUIRE).trustManager(readable(tls.clientCa()).toFile());
            }
            return b.build();
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot set up TLS from " + describe(tls.files()) + ": " + message(e), e);
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
            throw new IllegalArgumentException("cannot set up TLS with " + tls + ": " + message(e), e);
        }
    }

    private static KeyManagerFactory keyManagers(Path pkcs12, String password) throws IOException, GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(pkcs12(pkcs12, password), password == null ? new char[0] : password.toCharArray());
        return kmf;
    }

    private static KeyStore pkcs12(Path file, String password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(readable(file))) {
            ks.load(in, password == null ? null : password.toCharArray());
        }
        return ks;
    }

    private static Path readable(Path file) {
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(file + " does not exist or cannot be read");
        }
        return file;
    }

    private static String describe(List<Path> files) {
        return String.join(", ", files.stream().map(Path::toString).toList());
    }

    /** The innermost message, which is the one that says what is wrong. */
    private static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}

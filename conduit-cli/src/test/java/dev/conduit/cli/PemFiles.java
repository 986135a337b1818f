package dev.conduit.cli;

import java.io.ByteArrayInputStream;
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
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/** Reads what DevCertificates writes with the JDK alone, so that the tests do not trust BouncyCastle's reading. */
final class PemFiles {
    static final String KEY_BEGIN = "-----BEGIN PRIVATE KEY-----";
    static final String KEY_END = "-----END PRIVATE KEY-----";

    private PemFiles() {
    }

    static X509Certificate certificate(Path file) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** An unencrypted PKCS#8 PEM key; {@code algorithm} is the certificate's key algorithm (EC, RSA). */
    static PrivateKey privateKey(Path file, String algorithm) throws IOException, GeneralSecurityException {
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (!text.startsWith(KEY_BEGIN) || !text.endsWith(KEY_END)) {
            throw new IllegalArgumentException("not an unencrypted PKCS#8 PEM key: " + file);
        }
        String body = text.substring(KEY_BEGIN.length(), text.length() - KEY_END.length());
        byte[] der = Base64.getMimeDecoder().decode(body);
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    static KeyStore pkcs12(Path file, String password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = new ByteArrayInputStream(Files.readAllBytes(file))) {
            store.load(in, password.toCharArray());
        }
        return store;
    }

    /** A trust store holding just the CA certificate, as a client would build from ca.pem. */
    static KeyStore trusting(X509Certificate ca) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setCertificateEntry("ca", ca);
        return store;
    }

    /** Whether the private key signs what the public key verifies. */
    static boolean matches(PrivateKey key, PublicKey publicKey) throws GeneralSecurityException {
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        byte[] data = "conduit dev certificates".getBytes(StandardCharsets.UTF_8);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(data);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(publicKey);
        verifier.update(data);
        return verifier.verify(signature);
    }

    /** The subject alternative names as [type, value] pairs, e.g. [2, localhost]; empty if none. */
    static List<List<?>> sans(X509Certificate certificate) throws GeneralSecurityException {
        var names = certificate.getSubjectAlternativeNames();
        return names == null ? List.of() : names.stream().<List<?>>map(List::copyOf).toList();
    }
}

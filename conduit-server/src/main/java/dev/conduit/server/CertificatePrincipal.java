package dev.conduit.server;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/** Which part of a TLS client certificate names the principal (setting {@code mtlsPrincipalFrom}). */
public enum CertificatePrincipal {
    /** The subject's common name (CN), e.g. {@code alice}. */
    SUBJECT_CN,
    /** The whole subject distinguished name, RFC 2253, e.g. {@code CN=alice,O=Example}. */
    SUBJECT_DN,
    /** The first DNS name among the subject alternative names. */
    SAN_DNS,
    /** The first URI among the subject alternative names (e.g. a SPIFFE id). */
    SAN_URI,
    /** The first email address (rfc822Name) among the subject alternative names. */
    SAN_EMAIL;

    private static final int SAN_RFC822 = 1;
    private static final int SAN_DNS_NAME = 2;
    private static final int SAN_URI_NAME = 6;

    /** {@code subject-cn}, {@code subject-dn}, {@code san-dns}, {@code san-uri} or {@code san-email}. */
    static CertificatePrincipal parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("expected one of subject-cn, subject-dn, san-dns, san-uri, san-email");
        }
    }

    /** The principal's name from the certificate, or empty if the certificate has no such part. */
    Optional<String> nameOf(X509Certificate cert) {
        return switch (this) {
            case SUBJECT_DN -> Optional.of(cert.getSubjectX500Principal().getName()).filter(s -> !s.isEmpty());
            case SUBJECT_CN -> commonName(cert);
            case SAN_DNS -> alternativeName(cert, SAN_DNS_NAME);
            case SAN_URI -> alternativeName(cert, SAN_URI_NAME);
            case SAN_EMAIL -> alternativeName(cert, SAN_RFC822);
        };
    }

    private static Optional<String> commonName(X509Certificate cert) {
        try {
            List<Rdn> rdns = new LdapName(cert.getSubjectX500Principal().getName()).getRdns();
            // LdapName lists the RDNs from the last to the first; the most specific CN is the last one.
            for (Rdn rdn : rdns.reversed()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return Optional.of(rdn.getValue().toString()).filter(s -> !s.isEmpty());
                }
            }
            return Optional.empty();
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> alternativeName(X509Certificate cert, int type) {
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            if (names == null) {
                return Optional.empty();
            }
            for (List<?> entry : names) {
                if (entry.size() >= 2 && entry.get(0) instanceof Integer t && t == type
                        && entry.get(1) instanceof String s && !s.isEmpty()) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
    }
}

package dev.conduit.transport;

import io.netty.handler.ssl.OpenSslCertificateException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CRL;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a listener checks client certificates: the JDK's PKIX trust manager over the configured
 * authorities ({@link ServerTls#clientCa()}), with the revocation lists of {@link
 * ServerTls#clientCrl()} when one is set, and one change on top: a certificate that no configured
 * authority issued is refused with OpenSSL's "unable to get local issuer certificate", so that the
 * OpenSSL provider answers with the TLS alert {@code unknown_ca}, as TLS asks, instead of the {@code
 * internal_error} that an unclassified failure gets. A revoked certificate gets {@code
 * certificate_revoked} there. (The JDK provider answers every refused client certificate with {@code
 * certificate_unknown}, whatever the reason: SunJSSE does not let a trust manager choose.)
 *
 * <p>With a CRL file, revocation is checked for every certificate of the client's chain below the
 * trust anchor, from the CRLs in the file only (no OCSP, no download from a distribution point): a
 * certificate whose issuer has no CRL in the file, or whose CRL is past its {@code nextUpdate}, is
 * refused, since its status cannot be known.
 *
 * <p>The same lists are asked about connections already open when the file changes ({@link
 * #revocation}): a certificate they now name ends its connection (ServerTlsContext).
 *
 * <p>Thread-safe (immutable; the JDK's trust manager is thread-safe). Runs on event loops during
 * handshakes: it only computes, it never reads a file or the network.
 */
final class ClientCertificateTrust extends X509ExtendedTrustManager {
    private static final Logger log = LoggerFactory.getLogger(ClientCertificateTrust.class);
    /** OpenSSL's {@code X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY}, which it answers with {@code unknown_ca}. */
    static final int UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20;

    private final X509ExtendedTrustManager delegate;
    private final List<X509Certificate> authorities;
    /** The revocation lists of the CRL file (each signed by one of {@link #authorities}); empty without one. */
    private final List<X509CRL> crls;

    private ClientCertificateTrust(X509ExtendedTrustManager delegate, List<X509Certificate> authorities,
                                   List<X509CRL> crls) {
        this.delegate = delegate;
        this.authorities = authorities;
        this.crls = crls;
    }

    /**
     * Reads the authorities (PEM) and, if {@code crlFile} is not null, the revocation lists (PEM or
     * DER, one or more).
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    static ClientCertificateTrust load(Path caFile, @Nullable Path crlFile) throws IOException, GeneralSecurityException {
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        List<X509Certificate> authorities = new ArrayList<>();
        try (InputStream in = Files.newInputStream(caFile)) {
            for (Certificate c : x509.generateCertificates(in)) {
                authorities.add((X509Certificate) c);
            }
        }
        if (authorities.isEmpty()) {
            throw new IllegalArgumentException(caFile + " holds no certificate");
        }
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        for (int i = 0; i < authorities.size(); i++) {
            anchors.setCertificateEntry("ca-" + i, authorities.get(i));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        List<X509CRL> lists = new ArrayList<>();
        if (crlFile == null) {
            factory.init(anchors);
        } else {
            Collection<? extends CRL> crls;
            try (InputStream in = Files.newInputStream(crlFile)) {
                crls = x509.generateCRLs(in);
            } catch (java.security.cert.CRLException e) {
                throw new IllegalArgumentException(crlFile + " does not hold a certificate revocation list: "
                        + e.getMessage(), e);
            }
            if (crls.isEmpty()) {
                throw new IllegalArgumentException(crlFile + " holds no certificate revocation list");
            }
            checkIssuers(crlFile, crls, authorities);
            for (CRL c : crls) {
                lists.add((X509CRL) c);
            }
            PKIXBuilderParameters parameters = new PKIXBuilderParameters(anchors, new X509CertSelector());
            parameters.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
            PKIXRevocationChecker revocation = (PKIXRevocationChecker) CertPathBuilder.getInstance("PKIX")
                    .getRevocationChecker();
            // Only the lists in the file: no OCSP, no fetching, no soft failure.
            revocation.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS,
                    PKIXRevocationChecker.Option.NO_FALLBACK));
            parameters.addCertPathChecker(revocation);
            parameters.setRevocationEnabled(true);
            factory.init(new CertPathTrustManagerParameters(parameters));
        }
        for (TrustManager tm : factory.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return new ClientCertificateTrust(x, List.copyOf(authorities), List.copyOf(lists));
            }
        }
        throw new IllegalStateException("the JDK's PKIX trust manager factory made no X509ExtendedTrustManager");
    }

    /** Each list must come from a configured authority (else it can never apply); a stale one is worth a warning. */
    private static void checkIssuers(Path crlFile, Collection<? extends CRL> crls, List<X509Certificate> authorities) {
        Date now = new Date();
        for (CRL crl : crls) {
            X509CRL x = (X509CRL) crl;
            boolean known = false;
            for (X509Certificate a : authorities) {
                if (a.getSubjectX500Principal().equals(x.getIssuerX500Principal())) {
                    try {
                        x.verify(a.getPublicKey());
                        known = true;
                        break;
                    } catch (GeneralSecurityException e) {
                        // another authority of the same name may have signed it
                    }
                }
            }
            if (!known) {
                throw new IllegalArgumentException(crlFile + ": the revocation list of " + x.getIssuerX500Principal()
                        + " is not signed by any of the client certificate authorities");
            }
            if (x.getNextUpdate() != null && x.getNextUpdate().before(now)) {
                log.warn("the revocation list of {} in {} was due to be replaced at {}: client certificates it covers are "
                        + "refused until a current one is in the file", x.getIssuerX500Principal(), crlFile, x.getNextUpdate());
            }
        }
    }

    /**
     * Whether the revocation lists name a certificate of {@code chain} (a chain accepted earlier, by
     * this or a previous trust): a list applies to the certificates its issuer issued. Only a
     * revocation counts here; a list past its {@code nextUpdate}, or an issuer without a list,
     * refuses new handshakes but does not end open connections, so that a list published late does
     * not cut every client at once.
     *
     * @return why the chain is revoked (naming the certificate, its serial number and the date), or
     *         null if it is not
     */
    @Nullable String revocation(List<X509Certificate> chain) {
        for (X509Certificate c : chain) {
            for (X509CRL crl : crls) {
                if (!crl.getIssuerX500Principal().equals(c.getIssuerX500Principal())) {
                    continue;
                }
                X509CRLEntry entry = crl.getRevokedCertificate(c);
                if (entry != null) {
                    return "the client certificate " + LogSafe.quote(c.getSubjectX500Principal().toString()) + " (serial "
                            + c.getSerialNumber().toString(16) + ") is revoked since " + entry.getRevocationDate().toInstant()
                            + " by the revocation list of " + crl.getIssuerX500Principal();
                }
            }
        }
        return null;
    }

    /** Whether the trust has revocation lists to apply. */
    boolean checksRevocation() {
        return !crls.isEmpty();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw classified(chain, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw classified(chain, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType);
        } catch (CertificateException e) {
            throw classified(chain, e);
        }
    }

    /** A chain that reaches none of the authorities is an unknown CA; anything else keeps the JDK's reason. */
    private CertificateException classified(X509Certificate[] chain, CertificateException e) {
        if (chain == null || issuedByAnAuthority(chain)) {
            return e;
        }
        String subject = chain.length == 0 ? "(none)" : chain[0].getSubjectX500Principal().toString();
        return new OpenSslCertificateException("the client certificate " + subject
                + " is not issued by any of the configured client certificate authorities", e,
                UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    }

    private boolean issuedByAnAuthority(X509Certificate[] chain) {
        for (X509Certificate c : chain) {
            for (X509Certificate a : authorities) {
                if (c.equals(a)) {
                    return true;
                }
                if (c.getIssuerX500Principal().equals(a.getSubjectX500Principal())) {
                    try {
                        c.verify(a.getPublicKey());
                        return true;
                    } catch (GeneralSecurityException ignored) {
                        // same name, other key: not this one
                    }
                }
            }
        }
        return false;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("a server's client-certificate trust does not check servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("a server's client-certificate trust does not check servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a server's client-certificate trust does not check servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }
}

package dev.conduit.server;

import dev.conduit.server.spi.AuthRequest;
import dev.conduit.server.spi.AuthResult;
import dev.conduit.server.spi.Authenticator;
import dev.conduit.server.spi.Principal;

/**
 * Scheme {@code mtls}: the TLS client certificate, already verified by the TLS layer against the
 * server's trust store, names the principal ({@link CertificatePrincipal}). A HELLO with an empty
 * scheme on a connection that presented a certificate is handled here too.
 */
final class CertificateAuthenticator implements Authenticator {
    static final String SCHEME = "mtls";
    private final CertificatePrincipal from;

    CertificateAuthenticator(CertificatePrincipal from) {
        this.from = from;
    }

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public AuthResult authenticate(AuthRequest request) {
        if (request.peerCertificates().isEmpty()) {
            return AuthResult.refused("no TLS client certificate was presented");
        }
        return from.nameOf(request.peerCertificates().getFirst())
                .<AuthResult>map(name -> AuthResult.accepted(Principal.named(name)))
                .orElseGet(() -> AuthResult.refused("the client certificate has no " + from + " to name a principal"));
    }
}

package dev.conduit.server.spi;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * What a client presented, and facts about its connection.
 *
 * @param scheme           HELLO's or AUTH's {@code auth scheme}; empty for none
 * @param credentials      the credential bytes (a token, a JWT's text); empty for none. Never log them.
 * @param remoteAddress    the peer's address, as text
 * @param transportName    {@code tcp}, {@code tls}, {@code ws}, {@code wss} or {@code memory}
 * @param peerCertificates the TLS client certificate chain, the client's own first; empty without one.
 *                         The TLS layer has already verified it against the server's trust store.
 */
public record AuthRequest(String scheme, byte[] credentials, String remoteAddress, String transportName,
                          List<X509Certificate> peerCertificates) {
    public AuthRequest {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(credentials, "credentials");
        peerCertificates = List.copyOf(peerCertificates);
    }

    @Override
    public String toString() {
        return "AuthRequest[scheme=" + scheme + ", credentials=" + credentials.length + " bytes, remoteAddress="
                + remoteAddress + ", transport=" + transportName + ", certificates=" + peerCertificates.size() + "]";
    }
}

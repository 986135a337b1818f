package dev.conduit.server.spi;

/**
 * Checks the credentials a client presents in HELLO or AUTH and names the principal they prove.
 * One authenticator handles one {@linkplain #scheme() scheme} (HELLO's {@code auth scheme}); the
 * server picks it by that name.
 *
 * <p>Threads: a plug-in's {@link #authenticate} runs on a virtual thread of the server's, never on
 * an I/O thread, so it may block (call a remote service, read a file): meanwhile the server reads
 * nothing more from that connection, and the handshake goes on once it returns, within the server's
 * {@code handshakeTimeout} (past it the connection is closed with 408 and the answer dropped).
 * Other connections are not delayed. It may be called for several connections at once, so it must
 * be thread-safe. (The built-in authenticators, CPU-only, run on the I/O thread.)
 */
public interface Authenticator {

    /** The HELLO/AUTH {@code auth scheme} this authenticator handles, e.g. {@code token} or {@code jwt}. */
    String scheme();

    /**
     * Checks the credentials. Never throws for bad input: it returns {@link AuthResult.Refused} with
     * a reason for the server's log (never the credential itself; the client only learns "refused").
     */
    AuthResult authenticate(AuthRequest request);
}

package dev.conduit.server.spi;

/**
 * Checks the credentials a client presents in HELLO or AUTH and names the principal they prove.
 * One authenticator handles one {@linkplain #scheme() scheme} (HELLO's {@code auth scheme}); the
 * server picks it by that name.
 *
 * <p>Threads: {@link #authenticate} runs on the connection's I/O thread, so it <em>must not
 * block</em> (no network calls, no file reads, no locks held by slow code): it delays every other
 * connection on that event loop. Keep the work CPU-only, as the built-in ones do (a hash, a
 * signature check); an authenticator that must consult a remote service should cache what it needs
 * and refresh the cache on its own thread. It may be called from several I/O threads at once, so it
 * must be thread-safe.
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

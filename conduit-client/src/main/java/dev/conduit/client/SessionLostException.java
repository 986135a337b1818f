package dev.conduit.client;

import dev.conduit.protocol.ConduitException;

/**
 * The session could not be resumed after a reconnect (the resume window passed, the server
 * restarted, or a buffer bound was hit), so the server may or may not have processed what this
 * operation sent. Retryable: the client has a new session already.
 */
public final class SessionLostException extends ConduitException {
    private static final long serialVersionUID = 1L;

    public SessionLostException(String message) {
        super(message, true);
    }
}

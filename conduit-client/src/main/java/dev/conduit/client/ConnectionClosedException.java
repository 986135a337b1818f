package dev.conduit.client;

import dev.conduit.protocol.ConduitException;

/** The connection ended before the operation finished, or the client is closed. Retryable on a new connection. */
public final class ConnectionClosedException extends ConduitException {
    private static final long serialVersionUID = 1L;

    public ConnectionClosedException(String message) {
        super(message, true);
    }

    public ConnectionClosedException(String message, Throwable cause) {
        super(message, true, cause);
    }
}

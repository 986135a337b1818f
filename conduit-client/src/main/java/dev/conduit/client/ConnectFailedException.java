package dev.conduit.client;

import dev.conduit.protocol.ConduitException;

/** No endpoint accepted a connection and completed the handshake. Retryable: servers come back. */
public final class ConnectFailedException extends ConduitException {
    private static final long serialVersionUID = 1L;

    public ConnectFailedException(String message, Throwable cause) {
        super(message, true, cause);
    }
}

package dev.conduit.client;

import dev.conduit.protocol.ConduitException;
import org.jspecify.annotations.Nullable;

/** No endpoint accepted a connection and completed the handshake. Retryable: servers come back. */
public final class ConnectFailedException extends ConduitException {
    private static final long serialVersionUID = 1L;

    public ConnectFailedException(String message, @Nullable Throwable cause) {
        super(message, true, cause);
    }
}

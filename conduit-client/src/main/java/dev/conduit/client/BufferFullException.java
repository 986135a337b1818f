package dev.conduit.client;

import dev.conduit.protocol.ConduitException;

/**
 * A publish or request did not fit in the client's buffer of unconfirmed frames ({@link
 * ClientOptions#maxBufferedBytes()}); nothing was sent. Retryable once the server has confirmed
 * what is buffered (or, while disconnected, once the session is back).
 */
public final class BufferFullException extends ConduitException {
    private static final long serialVersionUID = 1L;

    public BufferFullException(String message) {
        super(message, true);
    }
}

package dev.conduit.client;

import dev.conduit.protocol.ConduitException;

/**
 * A publish's time-to-live ran out while it waited in the buffer for a connection, so it was
 * never sent: stale data is not delivered late.
 */
public final class PublishExpiredException extends ConduitException {
    private static final long serialVersionUID = 1L;

    public PublishExpiredException(String message) {
        super(message, false);
    }
}

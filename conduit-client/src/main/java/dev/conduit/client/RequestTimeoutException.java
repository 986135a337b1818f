package dev.conduit.client;

import dev.conduit.protocol.ConduitException;

/** No reply arrived within the request's timeout. Retryable, though the request may have been handled. */
public final class RequestTimeoutException extends ConduitException {
    private static final long serialVersionUID = 1L;

    public RequestTimeoutException(String subject, java.time.Duration timeout) {
        super("no reply to request on subject '" + subject + "' within " + timeout.toMillis() + " ms", true);
    }
}

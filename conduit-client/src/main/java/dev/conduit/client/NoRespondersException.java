package dev.conduit.client;

import dev.conduit.protocol.ConduitException;

/** A request was sent to a subject nothing subscribes to. Retryable: a responder may appear. */
public final class NoRespondersException extends ConduitException {
    private static final long serialVersionUID = 1L;

    private final String subject;

    public NoRespondersException(String subject) {
        super("no responders for request on subject '" + subject + "'", true);
        this.subject = subject;
    }

    /** The subject the request was sent to. */
    public String subject() {
        return subject;
    }
}

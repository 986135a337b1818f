package dev.conduit.protocol;

/** A subject or subscription pattern that breaks the subject rules; the message names the value. */
public final class InvalidSubjectException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    public InvalidSubjectException(String message) {
        super(ErrorCode.INVALID_SUBJECT, message);
    }
}

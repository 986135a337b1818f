package dev.conduit.protocol;

/**
 * Bytes or values that break the wire protocol. Thrown by the codec for hostile or corrupt input and
 * by validation for bad subjects and headers. Never retryable: the same input fails the same way.
 */
public class ProtocolException extends ConduitException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(message, false);
        this.code = code;
    }

    /** The code a server sends back to the peer that caused this. */
    public ErrorCode code() {
        return code;
    }
}

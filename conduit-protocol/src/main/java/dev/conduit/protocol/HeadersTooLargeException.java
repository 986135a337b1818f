package dev.conduit.protocol;

/** A header block larger than the announced maximum, or a header name or value that is not allowed. */
public final class HeadersTooLargeException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    public HeadersTooLargeException(String message) {
        super(ErrorCode.HEADERS_TOO_LARGE, message);
    }
}

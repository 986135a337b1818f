package dev.conduit.protocol;

/** A message payload larger than the maximum the server announced. */
public final class PayloadTooLargeException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    public PayloadTooLargeException(long length, int max) {
        super(ErrorCode.PAYLOAD_TOO_LARGE, "payload of " + length + " bytes exceeds the maximum of " + max + " bytes");
    }
}

package dev.conduit.protocol;

/** A frame whose fields do not parse: a length that overruns the frame, bad UTF-8, undefined flags. */
public final class MalformedFrameException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    public MalformedFrameException(String message) {
        super(ErrorCode.PROTOCOL_ERROR, message);
    }
}

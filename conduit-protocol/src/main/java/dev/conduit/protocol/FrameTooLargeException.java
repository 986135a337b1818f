package dev.conduit.protocol;

/** A length prefix larger than the maximum frame size; detected before anything is allocated. */
public final class FrameTooLargeException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    public FrameTooLargeException(long length, int max) {
        super(ErrorCode.FRAME_TOO_LARGE, "frame length " + length + " exceeds the maximum of " + max + " bytes");
    }
}

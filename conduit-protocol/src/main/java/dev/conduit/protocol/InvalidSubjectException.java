package dev.conduit.protocol;

import org.jspecify.annotations.Nullable;

/**
 * A subject or subscription pattern that breaks the subject rules; the message names the value.
 * After the handshake it is the one error a decoder reports without losing the stream (422, not
 * fatal): the frame's length was valid. {@link #frameType()} then says which frame it was found in,
 * so that a receiver can count a refused sequenced frame in its sequence (docs/protocol.md 7a).
 */
public final class InvalidSubjectException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    private final @Nullable FrameType frameType;

    public InvalidSubjectException(String message) {
        this(message, null);
    }

    private InvalidSubjectException(String message, @Nullable FrameType frameType) {
        super(ErrorCode.INVALID_SUBJECT, message);
        this.frameType = frameType;
    }

    /** The type of the frame the decoder found this in, or null when it was not decoding one. */
    public @Nullable FrameType frameType() {
        return frameType;
    }

    /** This error, as found in a frame of {@code type}. */
    InvalidSubjectException in(FrameType type) {
        return frameType == type ? this : new InvalidSubjectException(String.valueOf(getMessage()), type);
    }
}

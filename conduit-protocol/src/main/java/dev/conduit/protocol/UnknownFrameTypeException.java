package dev.conduit.protocol;

/** A frame type byte that this protocol version does not define. */
public final class UnknownFrameTypeException extends ProtocolException {
    private static final long serialVersionUID = 1L;

    private final int type;

    public UnknownFrameTypeException(int type) {
        super(ErrorCode.PROTOCOL_ERROR, String.format("unknown frame type: 0x%02x", type));
        this.type = type;
    }

    /** The type byte that was read. */
    public int type() {
        return type;
    }
}

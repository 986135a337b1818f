package dev.conduit.protocol;

import org.jspecify.annotations.Nullable;

/** The type byte of every frame this protocol version defines. */
public enum FrameType {
    HELLO(0x01),
    WELCOME(0x02),
    PUBLISH(0x03),
    MESSAGE(0x04),
    SUBSCRIBE(0x05),
    UNSUBSCRIBE(0x06),
    NO_RESPONDERS(0x07),
    PING(0x08),
    PONG(0x09),
    ERROR(0x0A),
    GOAWAY(0x0B),
    ACK(0x0C),
    GAP(0x0D),
    AUTH(0x0E),
    AUTH_OK(0x0F),
    CREDIT(0x10);

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    /** The byte on the wire. */
    public int code() {
        return code;
    }

    /** The type for a byte read from the wire, or {@code null} if it is not defined. */
    public static @Nullable FrameType of(int code) {
        return BY_CODE[code & 0xFF];
    }
}

package dev.conduit.protocol;

/**
 * The sizes a peer must stay within. The server announces its values in WELCOME; the codec enforces
 * them while decoding, before it allocates anything for a field.
 *
 * @param maxPayloadBytes largest message payload, in bytes
 * @param maxHeaderBytes  largest encoded header block of one message, in bytes
 * @param maxSubjectBytes largest subject, pattern, reply subject or queue group, in UTF-8 bytes
 */
public record ProtocolLimits(int maxPayloadBytes, int maxHeaderBytes, int maxSubjectBytes) {
    /** 1 MiB payloads, 64 KiB header blocks, 512-byte subjects. */
    public static final ProtocolLimits DEFAULT = new ProtocolLimits(1 << 20, 64 << 10, 512);

    /** Largest payload that can be configured: 64 MiB. */
    public static final int MAX_PAYLOAD_BYTES_CAP = 64 << 20;

    /** No frame limit is ever smaller than this, so that a handshake with long credentials fits. */
    public static final int MIN_FRAME_BYTES = 64 << 10;

    /** Room for the fixed fields of a message frame besides its strings, headers and payload. */
    private static final int MESSAGE_FIXED_BYTES = 64;

    public ProtocolLimits {
        if (maxPayloadBytes < 0 || maxPayloadBytes > MAX_PAYLOAD_BYTES_CAP) {
            throw new IllegalArgumentException(
                    "maxPayloadBytes must be between 0 and " + MAX_PAYLOAD_BYTES_CAP + ": " + maxPayloadBytes);
        }
        if (maxHeaderBytes < 0 || maxHeaderBytes > (1 << 20)) {
            throw new IllegalArgumentException("maxHeaderBytes must be between 0 and 1048576: " + maxHeaderBytes);
        }
        if (maxSubjectBytes < 1 || maxSubjectBytes > 0xFFFF) {
            throw new IllegalArgumentException("maxSubjectBytes must be between 1 and 65535: " + maxSubjectBytes);
        }
    }

    /**
     * The largest value a length prefix may hold: a message frame with every field at its maximum,
     * but never less than {@link #MIN_FRAME_BYTES}.
     */
    public int maxFrameBytes() {
        long message = (long) maxPayloadBytes + maxHeaderBytes + 2L * maxSubjectBytes + MESSAGE_FIXED_BYTES;
        return (int) Math.max(MIN_FRAME_BYTES, message);
    }

    /** These limits with another payload maximum. */
    public ProtocolLimits withMaxPayloadBytes(int bytes) {
        return new ProtocolLimits(bytes, maxHeaderBytes, maxSubjectBytes);
    }
}

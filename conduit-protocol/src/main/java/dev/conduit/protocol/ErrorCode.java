package dev.conduit.protocol;

import org.jspecify.annotations.Nullable;

/**
 * The numeric codes carried by an {@link Frame.Error} frame and a {@link Frame.GoAway} frame. The
 * numbers follow HTTP's where the meaning is close, so that they read naturally in logs.
 * {@code docs/protocol.md} lists them with the conditions that produce each.
 */
public enum ErrorCode {
    /** The frame could not be decoded: bad length, bad field, bad UTF-8, undefined flag bits. */
    PROTOCOL_ERROR(400, false),
    /** The credentials in HELLO were refused. */
    AUTHENTICATION_FAILED(401, false),
    /** The principal may not do this (publish, subscribe or reply on that subject). */
    PERMISSION_DENIED(403, false),
    /** The handshake did not finish before the server's deadline. */
    HANDSHAKE_TIMEOUT(408, false),
    /** The session's credentials expired and were not renewed in time; the session ends. */
    CREDENTIALS_EXPIRED(419, false),
    /**
     * The session sends more messages or bytes per second than it is allowed: the server reads from
     * it more slowly until it is back under its rate. A notice, not fatal.
     */
    RATE_LIMITED(420, true),
    /**
     * A HELLO asked to resume a session the server cannot resume (unknown, expired, from an earlier
     * server incarnation, or missing frames); a new session starts instead.
     */
    SESSION_NOT_RESUMED(410, true),
    /** A SUBSCRIBE reused a subscription id this session already has. */
    DUPLICATE_SUBSCRIPTION(409, false),
    /** A frame's length prefix is larger than the announced maximum. */
    FRAME_TOO_LARGE(413, false),
    /** A PUBLISH payload is larger than the announced maximum. */
    PAYLOAD_TOO_LARGE(414, false),
    /** A subject or pattern is not valid (empty token, misplaced wildcard, too long, whitespace). */
    INVALID_SUBJECT(422, false),
    /** No protocol version is acceptable to both sides. */
    UNSUPPORTED_VERSION(426, false),
    /**
     * The session fell further behind than the server buffers for it, on a subscription that asked
     * to be disconnected rather than skip messages; the session ends.
     */
    SLOW_CONSUMER(429, true),
    /** A header block is larger than the announced maximum, or a header is malformed. */
    HEADERS_TOO_LARGE(431, false),
    /** A SUBSCRIBE would take the session past its maximum number of subscriptions; it is refused. */
    TOO_MANY_SUBSCRIPTIONS(432, false),
    /** The server holds as many connections as it is allowed to; this one is refused. */
    TOO_MANY_CONNECTIONS(433, true),
    /** The server holds as many connections from this remote address as it allows; this one is refused. */
    TOO_MANY_CONNECTIONS_FROM_ADDRESS(434, true),
    /** A frame arrived that is not allowed in the current state (e.g. PUBLISH before HELLO). */
    UNEXPECTED_FRAME(460, false),
    /** The server failed in a way that is not the peer's fault. */
    INTERNAL_ERROR(500, true),
    /** The server is stopping; reconnect elsewhere or later. */
    SERVER_SHUTTING_DOWN(503, true),
    /** The server or client closes the connection normally. */
    NORMAL_CLOSE(200, true);

    private final int code;
    private final boolean retryable;

    ErrorCode(int code, boolean retryable) {
        this.code = code;
        this.retryable = retryable;
    }

    /** The number on the wire. */
    public int code() {
        return code;
    }

    /** Whether the operation that drew this error can succeed if tried again, unchanged. */
    public boolean retryable() {
        return retryable;
    }

    /**
     * The code for a number read from the wire, or {@code null} if this version does not know it;
     * a receiver must treat an unknown code by its {@link Frame.Error#fatal()} bit alone.
     */
    public static @Nullable ErrorCode of(int code) {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return null;
    }
}

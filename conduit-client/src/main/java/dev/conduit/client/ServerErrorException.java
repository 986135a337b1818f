package dev.conduit.client;

import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.ErrorCode;
import org.jspecify.annotations.Nullable;

/** The server sent an ERROR frame. Retryable as its code says. */
public final class ServerErrorException extends ConduitException {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final boolean fatal;

    public ServerErrorException(int code, boolean fatal, String message) {
        super("server error " + code + (fatal ? " (fatal)" : "") + ": " + message,
                retryable(code));
        this.code = code;
        this.fatal = fatal;
    }

    private static boolean retryable(int code) {
        ErrorCode known = ErrorCode.of(code);
        return known != null && known.retryable();
    }

    /** The number on the wire. */
    public int code() {
        return code;
    }

    /** The code, or {@code null} if this version does not know the number. */
    public @Nullable ErrorCode errorCode() {
        return ErrorCode.of(code);
    }

    /** Whether the server closed the connection after it. */
    public boolean fatal() {
        return fatal;
    }
}

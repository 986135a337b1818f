package dev.conduit.protocol;

import org.jspecify.annotations.Nullable;

/**
 * Root of every exception Conduit throws. Each subclass is named after its cause and says, through
 * {@link #retryable()}, whether doing the same thing again later can succeed.
 */
public class ConduitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean retryable;

    public ConduitException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public ConduitException(String message, boolean retryable, @Nullable Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    /** Whether the same operation may succeed if tried again later, unchanged. */
    public boolean retryable() {
        return retryable;
    }
}

package dev.conduit.client;

/** What {@code publish} and {@code request} do when the buffer of unconfirmed frames is full. */
public enum BufferFullPolicy {
    /** Wait for room up to {@link ClientOptions#bufferFullWait()}, then throw {@link BufferFullException}. */
    WAIT,
    /** Throw {@link BufferFullException} at once. */
    THROW,
    /** Return {@code false} from {@code publish} at once; requests fail with {@link BufferFullException}. */
    RETURN_FALSE
}

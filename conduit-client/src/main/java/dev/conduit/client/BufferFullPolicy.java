package dev.conduit.client;

/** What {@code publish} and {@code request} do when the buffer of unconfirmed frames is full. */
public enum BufferFullPolicy {
    /**
     * Wait for room up to {@link ClientOptions#bufferFullWait()}, then throw {@link
     * BufferFullException}. Also paces: while connected, once half the buffer's bound or 4 MiB
     * (whichever is less) awaits confirmation, a publish waits until the server has confirmed down
     * to half of that, the connection drops, or {@code bufferFullWait} passes, and then goes on (and
     * is not paced again until half is confirmed, so a stalled server brings it to the bound and
     * this policy). So a fast publisher keeps about a round trip's worth in flight rather than the
     * whole bound, which is left for outages; pacing itself never fails a publish.
     */
    WAIT,
    /** Throw {@link BufferFullException} at once. */
    THROW,
    /** Return {@code false} from {@code publish} at once; requests fail with {@link BufferFullException}. */
    RETURN_FALSE
}

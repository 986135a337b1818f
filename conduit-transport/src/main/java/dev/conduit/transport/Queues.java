package dev.conduit.transport;

import io.netty.util.internal.PlatformDependent;
import java.util.Queue;

/** Queues for hand-offs between threads, made by the transport so that Netty stays behind its API. */
public final class Queues {
    private Queues() {
    }

    /**
     * Items in one array of the queue: the queue grows by linking another array of this size, and
     * drops each array once it is read. Small, because a queue is kept per connection and per
     * session, and an idle one still holds its current array: with Netty's default (1,024 slots, 4
     * KiB) two such queues were most of an idle session's heap. A burst costs one small array per
     * this many items, which is little beside the items themselves.
     */
    static final int CHUNK_ITEMS = 16;
    /**
     * The most items a queue holds: {@code offer} returns false past it. Every queue made here is
     * bounded far below by what its senders may put in it (the session bounds of docs/guarantees.md):
     * a heap that held 2^30 items would have run out long before.
     */
    public static final int MAX_ITEMS = 1 << 30;

    /**
     * A lock-free queue for many producers and <em>one consumer at a time</em> (whoever polls must
     * be ordered after the previous poller, for example by a flag it holds), which stores items in
     * linked arrays of {@value #CHUNK_ITEMS} rather than a node per item, up to {@link #MAX_ITEMS}
     * (callers check what {@code offer} returns).
     */
    public static <T> Queue<T> mpsc() {
        return PlatformDependent.newMpscQueue(CHUNK_ITEMS, MAX_ITEMS);
    }
}

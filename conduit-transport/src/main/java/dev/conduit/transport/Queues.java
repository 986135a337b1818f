package dev.conduit.transport;

import java.util.Queue;
import org.jctools.queues.atomic.unpadded.MpscUnboundedAtomicUnpaddedArrayQueue;

/** Queues for hand-offs between threads, made by the transport so that Netty stays behind its API. */
public final class Queues {
    /**
     * Slots per array of a {@link #mpsc()} queue. An empty queue holds one array of this many slots;
     * under load a new one is linked every this many items.
     */
    static final int CHUNK = 16;

    private Queues() {
    }

    /**
     * An unbounded lock-free queue for many producers and <em>one consumer at a time</em> (whoever
     * polls must be ordered after the previous poller, for example by a flag it holds).
     *
     * <p>JCTools' linked-array queue without padding, in {@value #CHUNK}-slot arrays: an empty one is
     * about 150 bytes. Such queues are kept per connection and per session, and most of a server's
     * sessions may be idle: Netty's linked-array queue held a 1,024-slot array (4 KiB) and about 600
     * bytes of padding against false sharing, most of an idle session's heap; a
     * {@code ConcurrentLinkedQueue} is small when empty but allocates a node per item, which cost
     * about a quarter more server CPU per message (docs/benchmarks.md, "The hand-off queue"). The
     * atomic (not {@code Unsafe}) variant: JDK 24 and later warn on {@code Unsafe} memory access.
     */
    public static <T> Queue<T> mpsc() {
        return new MpscUnboundedAtomicUnpaddedArrayQueue<>(CHUNK);
    }

    /**
     * {@link #mpsc()} in arrays of {@code chunk} slots (a power of two, at least 2), for the few
     * queues that carry a whole server's traffic, where an array per 16 items would be churn.
     */
    public static <T> Queue<T> mpsc(int chunk) {
        return new MpscUnboundedAtomicUnpaddedArrayQueue<>(chunk);
    }
}

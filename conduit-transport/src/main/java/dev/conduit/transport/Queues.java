package dev.conduit.transport;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Queues for hand-offs between threads, made by the transport so that Netty stays behind its API. */
public final class Queues {
    private Queues() {
    }

    /**
     * An unbounded lock-free queue for many producers and <em>one consumer at a time</em> (whoever
     * polls must be ordered after the previous poller, for example by a flag it holds).
     *
     * <p>A linked queue, a node per item ({@link ConcurrentLinkedQueue}): an empty one holds one
     * node, 48 bytes with the queue. Such queues are kept per connection and per session, and most
     * of a server's sessions may be idle: Netty's linked-array queue held a 1,024-slot array (4 KiB)
     * and about 600 bytes of padding against false sharing each, which was most of an idle
     * session's heap (docs/benchmarks.md, "W8 after the idle work"). The node per item is a short-lived
     * allocation beside the frame or task it carries.
     */
    public static <T> Queue<T> mpsc() {
        return new ConcurrentLinkedQueue<>();
    }
}

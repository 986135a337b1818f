package dev.conduit.transport;

import io.netty.util.internal.PlatformDependent;
import java.util.Queue;

/** Queues for hand-offs between threads, made by the transport so that Netty stays behind its API. */
public final class Queues {
    private Queues() {
    }

    /**
     * An unbounded lock-free queue for many producers and <em>one consumer at a time</em> (whoever
     * polls must be ordered after the previous poller, for example by a flag it holds), which
     * stores items in linked arrays rather than a node per item.
     */
    public static <T> Queue<T> mpsc() {
        return PlatformDependent.newMpscQueue();
    }
}

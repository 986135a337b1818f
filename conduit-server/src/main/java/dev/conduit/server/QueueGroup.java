package dev.conduit.server;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Subscriptions that share a queue group name, wherever their patterns sit in the index: each
 * message that matches any of them goes to one, chosen round robin so work spreads evenly.
 * Reference-counted by the index, which drops it with its last member.
 *
 * <p>Live members come first: while any matching member's session is attached to a connection,
 * the message goes to one of those, and members whose sessions are detached (waiting for a resume)
 * get nothing new. Only when every matching member is detached does one of them hold the message
 * for its resume, as a plain subscription would.
 */
final class QueueGroup {
    final String name;
    private final AtomicLong next = new AtomicLong();
    /** Members in the index; guarded by the index's write lock. */
    int members;

    QueueGroup(String name) {
        this.name = name;
    }

    /** An index in {@code [0, size)}, advancing each call. */
    int pick(int size) {
        return (int) Long.remainderUnsigned(next.getAndIncrement(), size);
    }

    /**
     * The member of {@code matching} (one or more members of this group) that gets a message:
     * round robin over the live ones, or over all of them when none is live.
     */
    ServerSubscription pick(ServerSubscription[] matching) {
        int size = matching.length;
        int live = 0;
        for (int i = 0; i < size; i++) {
            if (matching[i].live()) {
                live++;
            }
        }
        if (live == 0 || live == size) {
            return matching[pick(size)];
        }
        int k = pick(live);
        for (int i = 0; i < size; i++) {
            ServerSubscription s = matching[i];
            if (s.live() && k-- == 0) {
                return s;
            }
        }
        return matching[size - 1]; // a member detached between the count and the walk
    }
}

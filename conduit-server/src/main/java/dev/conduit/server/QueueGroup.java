package dev.conduit.server;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Subscriptions that share a queue group name, wherever their patterns sit in the index: each
 * message that matches any of them goes to one, chosen round robin so work spreads evenly.
 * Reference-counted by the index, which drops it with its last member.
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
}

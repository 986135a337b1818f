package dev.conduit.server;

import java.util.ArrayList;

/**
 * One wake-up per read, for one publisher's connection: the session writers whose drain a delivery
 * from this read claimed ({@link SessionWriter#deliver}) wait here and are started once each at the
 * end of the read, so a read of many PUBLISHes wakes each subscriber's thread once and its drain
 * writes and flushes them together.
 *
 * <p>Touched only on the connection's thread (its {@code onFrame}, {@code onReadComplete} and
 * {@code onClosed}, and routing from them). Bounded: after {@value #MAX_DEFERRED} deliveries the
 * writers are started even though the read goes on, since an in-process connection's read lasts
 * until its inbox is empty, which a fast publisher may keep from happening; so at most that many
 * writers wait here.
 */
final class ReadWakeups {
    /** Deliveries after which the waiting writers are started, read over or not. */
    static final int MAX_DEFERRED = 1024;

    private final ArrayList<SessionWriter> toWake = new ArrayList<>();
    private boolean reading;
    /** Deliveries routed since the writers were last started. */
    private int deferred;

    /** A frame of a read arrived. */
    void reading() {
        reading = true;
    }

    /**
     * Takes over the start of {@code writer}'s drain, which a delivery just claimed, until the end
     * of the read; false (the caller starts it) outside a read.
     */
    boolean takeOver(SessionWriter writer) {
        if (!reading) {
            return false;
        }
        toWake.add(writer);
        return true;
    }

    /** {@code deliveries} are about to be routed from this read. */
    void routing(int deliveries) {
        deferred += deliveries;
        if (deferred >= MAX_DEFERRED) {
            wake(); // those claimed so far; the deliveries that follow claim anew
        }
    }

    /** The read is over (or the connection closed): starts every writer waiting. */
    void readEnded() {
        reading = false;
        wake();
    }

    private void wake() {
        deferred = 0;
        for (int i = 0, n = toWake.size(); i < n; i++) {
            toWake.get(i).wake();
        }
        toWake.clear();
    }
}

package dev.conduit.server;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The last few errors the server reported to peers (limit, protocol and authentication errors), for
 * the dashboard: a bounded ring, oldest dropped first. Thread-safe; errors are rare, so one lock.
 */
final class RecentErrors {
    /** One error: when (wall-clock milliseconds), to which peer, the protocol code and message. */
    record Entry(long timeMillis, String peer, int code, String name, String message) {
    }

    /** A message longer than this is cut: a peer's bad input must not grow the ring. */
    static final int MAX_MESSAGE_CHARS = 300;

    private final int capacity;
    private final LongSupplier wallClockMillis;
    private final ArrayDeque<Entry> entries;

    RecentErrors(int capacity, LongSupplier wallClockMillis) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be > 0: " + capacity);
        }
        this.capacity = capacity;
        this.wallClockMillis = wallClockMillis;
        this.entries = new ArrayDeque<>(capacity);
    }

    void add(String peer, int code, String name, String message) {
        String m = message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "..." : message;
        Entry e = new Entry(wallClockMillis.getAsLong(), peer, code, name, m);
        synchronized (entries) {
            if (entries.size() == capacity) {
                entries.removeFirst();
            }
            entries.addLast(e);
        }
    }

    /** Newest first. */
    List<Entry> latest() {
        synchronized (entries) {
            List<Entry> out = new ArrayList<>(entries);
            java.util.Collections.reverse(out);
            return out;
        }
    }
}

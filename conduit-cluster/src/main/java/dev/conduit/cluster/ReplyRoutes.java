package dev.conduit.cluster;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Reply subjects of requests that came from other nodes, and the node each came from, so that a
 * reply goes straight back to the requester's node even before its inbox interest has reached this
 * one. Bounded: at most {@code max} subjects (the oldest go first), each for {@code ttlNanos}.
 * Thread-safe (a lock: written by the read callbacks, read by the event loops on reply subjects only).
 */
final class ReplyRoutes {
    private record Route(String node, long expiresAt) {
    }

    private final int max;
    private final long ttlNanos;
    private final LongSupplier nanoTime;
    private final LinkedHashMap<String, Route> routes;

    ReplyRoutes(int max, long ttlNanos, LongSupplier nanoTime) {
        this.max = max;
        this.ttlNanos = ttlNanos;
        this.nanoTime = nanoTime;
        this.routes = new LinkedHashMap<>(256, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Route> eldest) {
                return size() > ReplyRoutes.this.max;
            }
        };
    }

    /** Remembers that replies to {@code replySubject} go to {@code node}. */
    synchronized void put(String replySubject, String node) {
        routes.remove(replySubject); // re-inserted last, so that eviction stays oldest-first
        routes.put(replySubject, new Route(node, nanoTime.getAsLong() + ttlNanos));
    }

    /** The node replies to this subject go to, or null if none is known (or it expired). */
    synchronized @Nullable String get(String replySubject) {
        Route r = routes.get(replySubject);
        if (r == null) {
            return null;
        }
        if (r.expiresAt() - nanoTime.getAsLong() <= 0) {
            routes.remove(replySubject);
            return null;
        }
        return r.node();
    }

    synchronized int size() {
        return routes.size();
    }
}

package dev.conduit.server;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server-wide account of what sessions hold ({@link MemoryLimits}): the bytes of sequenced
 * frames not yet acknowledged, in all and for detached sessions, and the detached sessions in the
 * order they detached, so that the oldest can be ended when a bound is passed.
 *
 * <p>Thread-safe. Sessions report their changes from their own writers ({@link #held});
 * the detached set is guarded by this object's monitor, under which no session lock is taken (an
 * eviction picks its victims under the monitor and ends them after releasing it). Ends of sessions
 * that a delivery makes necessary are run on the clock, never under the delivering session's locks.
 */
final class MemoryBudget {
    /** Reasons of recent evictions by session id, for the 410 of a later resume. */
    private static final int REMEMBERED_EVICTIONS = 4096;

    private final MemoryLimits limits;
    private final RoutingServer server;
    private final AtomicLong held = new AtomicLong();
    private final AtomicLong detachedBytes = new AtomicLong();
    private final AtomicBoolean evictionScheduled = new AtomicBoolean();
    private final LongAdder evicted = new LongAdder();
    private final LongAdder refused = new LongAdder();
    /** Guarded by this. */
    private final LinkedHashSet<ServerSession> detached = new LinkedHashSet<>();
    /**
     * Sessions evicted whose writers have not yet given their bytes back, with the bytes they held
     * when picked; guarded by this. Counted off the totals, so that one eviction is not repeated on
     * the next victim before the first victim's bytes are released.
     */
    private final Map<ServerSession, Long> releasing = new java.util.HashMap<>();
    private long releasingBytes;
    /** Guarded by this. */
    private final Map<String, String> evictions = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED_EVICTIONS;
        }
    };

    MemoryBudget(MemoryLimits limits, RoutingServer server) {
        this.limits = limits;
        this.server = server;
    }

    MemoryLimits limits() {
        return limits;
    }

    /**
     * A session's held bytes changed by {@code delta}; from its writer. A detached session that
     * takes the detached bytes or the total past their bound asks for an eviction, on the clock.
     */
    void held(long delta, boolean whileDetached) {
        long total = held.addAndGet(delta);
        if (whileDetached) {
            long d = detachedBytes.addAndGet(delta);
            if (delta > 0 && (d > limits.maxDetachedBytes() || total > limits.maxMemory())) {
                scheduleEviction();
            }
        }
    }

    /** A session moved {@code bytes} it holds into (or, negative, out of) the detached account; from its writer. */
    void moved(long bytes) {
        detachedBytes.addAndGet(bytes);
    }

    /**
     * Whether a delivery to a session holding {@code sessionHeld} bytes is refused for the budget:
     * the server holds more than {@code maxMemory} and the session more than its fair share.
     */
    boolean over(long sessionHeld) {
        if (held.get() <= limits.maxMemory()) {
            return false;
        }
        boolean over = sessionHeld > limits.maxMemory() / Math.max(1, server.sessionCount());
        if (over) {
            refused.increment();
        }
        return over;
    }

    /** A session detached; outside its locks. Ends the oldest detached sessions while a bound is passed. */
    void detached(ServerSession s) {
        synchronized (this) {
            detached.add(s);
        }
        evict();
    }

    /** A session resumed or ended: it is no longer waiting. */
    synchronized void gone(ServerSession s) {
        detached.remove(s);
    }

    private void scheduleEviction() {
        if (evictionScheduled.compareAndSet(false, true)) {
            server.config().clock().schedule(() -> {
                evictionScheduled.set(false);
                evict();
            }, 0, TimeUnit.NANOSECONDS);
        }
    }

    /** Ends detached sessions, oldest first, while any bound is passed; outside every session lock. */
    void evict() {
        while (true) {
            ServerSession victim;
            String reason;
            synchronized (this) {
                reason = passed();
                Iterator<ServerSession> it = detached.iterator();
                if (reason == null || !it.hasNext()) {
                    return;
                }
                victim = it.next();
                it.remove();
                reason = "the session was evicted: " + reason;
                evictions.put(victim.id, reason);
                long bytes = victim.bufferedBytes();
                releasing.put(victim, bytes);
                releasingBytes += bytes;
            }
            if (victim.evict(reason)) {
                evicted.increment();
                server.metrics().sessionEvicted();
            } else {
                released(victim);
            }
        }
    }

    /** An evicted session's writer gave its bytes back (or it was not evicted after all). */
    synchronized void released(ServerSession s) {
        Long bytes = releasing.remove(s);
        if (bytes != null) {
            releasingBytes -= bytes;
        }
    }

    /** Which bound is passed now, not counting what evicted sessions are about to release, or null; under the monitor. */
    private String passed() {
        if (detached.size() > limits.maxDetachedSessions()) {
            return "the server holds its maximum of " + limits.maxDetachedSessions()
                    + " detached sessions (maxDetachedSessions); the one detached longest ago was ended";
        }
        if (detachedBytes.get() - releasingBytes > limits.maxDetachedBytes()) {
            return "detached sessions hold more than " + limits.maxDetachedBytes()
                    + " bytes (maxDetachedBytes); the one detached longest ago was ended";
        }
        if (held.get() - releasingBytes > limits.maxMemory()) {
            return "the server holds more than " + limits.maxMemory()
                    + " bytes for its sessions (maxMemory); the session detached longest ago was ended";
        }
        return null;
    }

    /** Why the session with this id was evicted, if it was recently; else null. */
    synchronized String evictedBecause(String sessionId) {
        return evictions.get(sessionId);
    }

    synchronized int detachedCount() {
        return detached.size();
    }

    long heldBytes() {
        return held.get();
    }

    long detachedBytes() {
        return detachedBytes.get();
    }

    long evictedCount() {
        return evicted.sum();
    }

    long refusedCount() {
        return refused.sum();
    }
}

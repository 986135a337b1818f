package dev.conduit.server;

import dev.conduit.transport.Clock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One session's traffic counters and its sampled request, kept beside the session so that counting
 * a message costs a plain increment under a lock the session already holds: no allocation, no
 * atomic instruction, no shared cache line. The server's totals are the sums over its sessions
 * (see {@link ServerMetrics}), read when metrics are scraped.
 *
 * <p>Threads. The inbound counters are written only under the session's inbound lock, the outbound
 * ones only under its outbound lock: one writer each, so an opaque write of the incremented value is
 * enough, and any thread may read them with an opaque read (never torn, eventually current).
 *
 * <p>Request round trips are sampled: at most one request of the session is timed at a time, from
 * when its PUBLISH was routed to when the first message on its reply subject is delivered back to
 * this session. The reply subject is published through a volatile field, so a delivery on another
 * thread sees the start time written before it.
 */
final class SessionStats {
    private static final VarHandle MESSAGES_IN;
    private static final VarHandle BYTES_IN;
    private static final VarHandle MESSAGES_OUT;
    private static final VarHandle BYTES_OUT;
    private static final VarHandle SAMPLED_REPLY;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            MESSAGES_IN = l.findVarHandle(SessionStats.class, "messagesIn", long.class);
            BYTES_IN = l.findVarHandle(SessionStats.class, "bytesIn", long.class);
            MESSAGES_OUT = l.findVarHandle(SessionStats.class, "messagesOut", long.class);
            BYTES_OUT = l.findVarHandle(SessionStats.class, "bytesOut", long.class);
            SAMPLED_REPLY = l.findVarHandle(SessionStats.class, "sampledReply", String.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Written under the session's inbound lock. */
    private long messagesIn;
    private long bytesIn;
    /** Written under the session's outbound lock. */
    private long messagesOut;
    private long bytesOut;
    /** Reply subject of the request being timed, or null; set by the requester's inbound thread. */
    private volatile String sampledReply;
    /** When that request was routed; written before {@link #sampledReply}. */
    private long sampledAtNanos;
    /** Resumes of this session; written under its locks. */
    private volatile int resumes;
    final long createdNanos;
    /** Rates over the last stats tick: messages in, out, bytes in, out per second; written by the tick only. */
    private volatile double[] rates = NO_RATES;
    private long[] lastCounts = NO_COUNTS;
    private long lastTickNanos;
    /** Errors sent to this session's connections, the latest few and a count; made on the first one. */
    private volatile RecentErrors errors;
    private final java.util.concurrent.atomic.AtomicLong errorCount = new java.util.concurrent.atomic.AtomicLong();

    SessionStats(long createdNanos) {
        this.createdNanos = createdNanos;
        this.lastTickNanos = createdNanos;
    }

    /**
     * The rates and counts of a session that has sent and received nothing: shared by every such
     * session (neither array is ever written; a tick replaces them), so that an idle session holds
     * no arrays of its own and its tick allocates nothing.
     */
    private static final double[] NO_RATES = new double[4];
    private static final long[] NO_COUNTS = new long[4];

    /** The stats tick: the rates since the previous tick. One thread at a time (the tick's). */
    void tick(long nowNanos) {
        double seconds = (nowNanos - lastTickNanos) / 1e9;
        if (seconds <= 0) {
            return;
        }
        long[] last = lastCounts;
        long in = messagesIn();
        long out = messagesOut();
        long bytesIn = bytesIn();
        long bytesOut = bytesOut();
        if (rates == NO_RATES && in == last[0] && out == last[1] && bytesIn == last[2] && bytesOut == last[3]) {
            // Idle since a tick that found it idle too: the rates stay zero, nothing to allocate.
            lastTickNanos = nowNanos;
            return;
        }
        long[] now = {in, out, bytesIn, bytesOut};
        double[] r = new double[4];
        for (int i = 0; i < 4; i++) {
            r[i] = Math.round(Math.max(0, now[i] - lastCounts[i]) / seconds * 1000) / 1000.0;
        }
        rates = r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0 ? NO_RATES : r;
        lastCounts = now;
        lastTickNanos = nowNanos;
    }

    /** Messages in, out, bytes in, out per second over the last tick's interval. */
    double[] rates() {
        return rates.clone();
    }

    /** An ERROR frame was sent to this session's connection; from that connection's thread. */
    void errorSent(String peer, dev.conduit.protocol.ErrorCode code, String message) {
        RecentErrors e = errors;
        if (e == null) {
            synchronized (this) {
                e = errors;
                if (e == null) {
                    e = new RecentErrors(SESSION_ERRORS, System::currentTimeMillis);
                    errors = e;
                }
            }
        }
        errorCount.incrementAndGet();
        e.add(peer, code.code(), code.name(), message);
    }

    /** The latest errors sent to this session, newest first; at most {@value #SESSION_ERRORS}. */
    java.util.List<RecentErrors.Entry> errors() {
        RecentErrors e = errors;
        return e == null ? java.util.List.of() : e.latest();
    }

    long errorCount() {
        return errorCount.get();
    }

    static final int SESSION_ERRORS = 10;

    /**
     * Counts one PUBLISH received from the session; under its inbound lock.
     *
     * @return the session's messages received so far, this one included (a tick for sampling)
     */
    long received(int payloadBytes) {
        long n = messagesIn + 1;
        MESSAGES_IN.setOpaque(this, n);
        BYTES_IN.setOpaque(this, bytesIn + payloadBytes);
        return n;
    }

    /** Counts one message delivered to the session; under its outbound lock. */
    void delivered(int payloadBytes) {
        MESSAGES_OUT.setOpaque(this, messagesOut + 1);
        BYTES_OUT.setOpaque(this, bytesOut + payloadBytes);
    }

    long messagesIn() {
        return (long) MESSAGES_IN.getOpaque(this);
    }

    long bytesIn() {
        return (long) BYTES_IN.getOpaque(this);
    }

    long messagesOut() {
        return (long) MESSAGES_OUT.getOpaque(this);
    }

    long bytesOut() {
        return (long) BYTES_OUT.getOpaque(this);
    }

    void resumed() {
        resumes++; // under the session's locks: one writer at a time
    }

    int resumes() {
        return resumes;
    }

    /** Whether no request of this session is being timed, so the next one may be. */
    boolean sampleFree() {
        return sampledReply == null;
    }

    /** Starts timing a request whose replies come on {@code replySubject}; after {@link #sampleFree}. */
    void requestRouted(String replySubject, long nowNanos) {
        sampledAtNanos = nowNanos;
        sampledReply = replySubject;
    }

    /**
     * A message on {@code subject} is being delivered to this session: if it answers the timed
     * request, stops timing it.
     *
     * @return the round trip in nanoseconds, or -1 if the message is not that reply
     */
    long replyDelivered(String subject, Clock clock) {
        String reply = sampledReply;
        if (reply == null || !reply.equals(subject)) {
            return -1;
        }
        long start = sampledAtNanos; // written before sampledReply, read after it
        return SAMPLED_REPLY.compareAndSet(this, reply, (String) null) ? Math.max(0, clock.nanoTime() - start) : -1;
    }

    /** Gives up on a timed request that had no reply for {@code maxAgeNanos}: its reply is not coming. */
    void expireSample(long nowNanos, long maxAgeNanos) {
        String reply = sampledReply;
        if (reply != null && nowNanos - sampledAtNanos > maxAgeNanos) {
            SAMPLED_REPLY.compareAndSet(this, reply, (String) null);
        }
    }
}

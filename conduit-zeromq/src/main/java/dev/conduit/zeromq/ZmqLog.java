package dev.conduit.zeromq;

import dev.conduit.transport.Clock;
import dev.conduit.transport.LogSafe;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's log lines for what it drops (invalid messages, denied publishes, replies whose
 * requester is gone), one kind per instance, held to {@value #LINES_PER_WINDOW} lines every {@value
 * #WINDOW_SECONDS} seconds as the server's limit log is, so that a flood from ZeroMQ peers cannot
 * flood the log; the first line written after some were left out says how many. Peer text is
 * escaped. Thread-safe.
 */
final class ZmqLog {
    private static final Logger log = LoggerFactory.getLogger("dev.conduit.zeromq");
    static final int LINES_PER_WINDOW = 20;
    static final int WINDOW_SECONDS = 10;
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(WINDOW_SECONDS);
    private static final int MAX_CHARS = 1000;

    private final String kind;
    private final Clock clock;
    private final AtomicLong windowStart;
    private final AtomicInteger lines = new AtomicInteger();
    private final AtomicLong suppressed = new AtomicLong();

    ZmqLog(String kind, Clock clock) {
        this.kind = kind;
        this.clock = clock;
        this.windowStart = new AtomicLong(clock.nanoTime());
    }

    /** Logs {@code "zeromq gateway: <what> (<kind>)"} at WARN, unless over the rate. */
    void note(String what) {
        long now = clock.nanoTime();
        long start = windowStart.get();
        if (now - start >= WINDOW_NANOS && windowStart.compareAndSet(start, now)) {
            lines.set(0);
        }
        if (lines.incrementAndGet() > LINES_PER_WINDOW) {
            suppressed.incrementAndGet();
            return;
        }
        String text = LogSafe.escape(what, MAX_CHARS);
        long left = suppressed.getAndSet(0);
        if (left > 0) {
            log.warn("zeromq gateway: {} ({}); {} similar lines left out since the last one", text, kind, left);
        } else {
            log.warn("zeromq gateway: {} ({})", text, kind);
        }
    }

    /** Lines left out since the last one written. */
    long suppressed() {
        return suppressed.get();
    }
}

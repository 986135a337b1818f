package dev.conduit.zeromq;

import dev.conduit.transport.Clock;
import dev.conduit.transport.LogBudget;
import dev.conduit.transport.LogSafe;
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
    static final int LINES_PER_WINDOW = LogBudget.LINES_PER_WINDOW;
    static final int WINDOW_SECONDS = LogBudget.WINDOW_SECONDS;
    private static final int MAX_CHARS = 1000;

    private final String kind;
    private final LogBudget budget;

    ZmqLog(String kind, Clock clock) {
        this.kind = kind;
        this.budget = new LogBudget(clock);
    }

    /** Logs {@code "zeromq gateway: <what> (<kind>)"} at WARN, unless over the rate. */
    void note(String what) {
        if (!budget.admit()) {
            return;
        }
        String text = LogSafe.escape(what, MAX_CHARS);
        long left = budget.takeSuppressed();
        if (left > 0) {
            log.warn("zeromq gateway: {} ({}); {} similar lines left out since the last one", text, kind, left);
        } else {
            log.warn("zeromq gateway: {} ({})", text, kind);
        }
    }

    /** Lines left out since the last one written. */
    long suppressed() {
        return budget.suppressed();
    }
}

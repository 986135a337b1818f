package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.transport.Clock;
import dev.conduit.transport.LogBudget;
import dev.conduit.transport.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log line written when a peer hits a limit or is closed for what it sent, one per event, held
 * to {@value #LINES_PER_WINDOW} lines per kind (a limit, an error code) every {@value
 * #WINDOW_SECONDS} seconds, so that a flood of hostile peers cannot flood the log as well. The first
 * line written after some were left out says how many.
 *
 * <p>Thread-safe; costs nothing unless a limit is hit.
 */
final class LimitLog {
    private static final Logger log = LoggerFactory.getLogger("dev.conduit.server.limits");
    static final int LINES_PER_WINDOW = LogBudget.LINES_PER_WINDOW;
    static final int WINDOW_SECONDS = LogBudget.WINDOW_SECONDS;

    private final String kind;
    private final LogBudget budget;

    /** @param kind what the lines are about (a setting's name, an error code), named in each line */
    LimitLog(String kind, Clock clock) {
        this.kind = kind;
        this.budget = new LogBudget(clock);
    }

    /**
     * Logs {@code "<peer>: <what> (<kind>, <code> <name>)"} (the kind left out when it is the code's
     * name) at WARN, unless over the log's own rate.
     */
    void hit(Object peer, String what, ErrorCode code) {
        if (budget.admit()) {
            write(peer, what, kind.equals(code.name()) ? code.code() + " " + code : kind + ", " + code.code() + " " + code);
        }
    }

    /** Logs {@code "<peer>: <what> (<kind>)"} at WARN, unless over the log's own rate. */
    void note(Object peer, String what) {
        if (budget.admit()) {
            write(peer, what, kind);
        }
    }

    /** Longest message kept in a line: peer text in it is escaped and cut (see {@link LogSafe#escape}). */
    static final int MAX_MESSAGE_CHARS = 1000;

    private void write(Object peerObject, String message, String tag) {
        // Peer-provided text (client names, subjects, claims, headers) may sit anywhere in these:
        // escaped here, no line of this log can hold a newline or a terminal escape.
        String peer = LogSafe.escape(String.valueOf(peerObject), MAX_MESSAGE_CHARS);
        String what = LogSafe.escape(message, MAX_MESSAGE_CHARS);
        long left = budget.takeSuppressed();
        if (left > 0) {
            log.warn("{}: {} ({}); {} similar lines left out since the last one", peer, what, tag, left);
        } else {
            log.warn("{}: {} ({})", peer, what, tag);
        }
    }

    /**
     * What the log lines for an error code are about: the setting behind it where the message does
     * not name it already, so that every line names its limit; else the code's name.
     */
    static String kindOf(ErrorCode code) {
        return switch (code) {
            case PAYLOAD_TOO_LARGE -> "maxPayloadBytes";
            case HEADERS_TOO_LARGE -> "maxHeaderBytes";
            case FRAME_TOO_LARGE -> "frame size from maxPayloadBytes, maxHeaderBytes and maxSubjectBytes";
            case HANDSHAKE_TIMEOUT -> "handshakeTimeout";
            case SLOW_CONSUMER -> "maxPendingBytesPerSession";
            default -> code.name();
        };
    }

    /** Lines left out since the last one written. */
    long suppressed() {
        return budget.suppressed();
    }
}

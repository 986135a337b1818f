package dev.conduit.cli;

import java.util.Map;
import java.util.TreeMap;

/**
 * Counts what {@code conduit sub --check-seq} reports about the sequence numbers of {@link
 * SeqPayload} messages from one publisher:
 *
 * <ul>
 *   <li><b>received</b>: every message, valid or not;
 *   <li><b>duplicated</b>: messages whose number had already been received;
 *   <li><b>out_of_order</b>: messages, not duplicates, whose number is below the highest received
 *       before them;
 *   <li><b>lost</b>: numbers between 1 and the highest received that never arrived, as of now (a
 *       late message fills its gap and counts as out of order instead), so a subscriber started
 *       before the publisher reports 0 when nothing went missing;
 *   <li><b>invalid</b>: messages whose payload does not start with a sequence number.
 * </ul>
 *
 * <p>The numbers received are kept as disjoint ranges, so memory grows with the number of gaps, not
 * of messages, and any number up to {@link Long#MAX_VALUE} is handled without overflow.
 *
 * <p>Thread-safe: the handler records, and the command's thread reads the result at exit.
 */
final class SeqChecker {
    /** Ranges of numbers received, start to end inclusive, disjoint and not adjacent. */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();
    private long received;
    private long distinct;
    private long highest;
    private long duplicated;
    private long outOfOrder;
    private long invalid;

    /** Counts one message by its payload. */
    synchronized void record(byte[] payload) {
        long seq;
        try {
            seq = SeqPayload.parse(payload);
        } catch (IllegalArgumentException e) {
            received++;
            invalid++;
            return;
        }
        record(seq);
    }

    /** Counts one message by its sequence number, 1 or more. */
    synchronized void record(long seq) {
        if (seq < 1) {
            throw new IllegalArgumentException("sequence numbers start at 1: " + seq);
        }
        received++;
        Map.Entry<Long, Long> below = ranges.floorEntry(seq);
        if (below != null && below.getValue() >= seq) {
            duplicated++;
            return;
        }
        if (seq < highest) {
            outOfOrder++;
        } else {
            highest = seq;
        }
        distinct++;
        long start = seq;
        long end = seq;
        if (below != null && below.getValue() == seq - 1) {
            start = below.getKey();
        }
        if (seq != Long.MAX_VALUE) {
            Long aboveEnd = ranges.remove(seq + 1);
            if (aboveEnd != null) {
                end = aboveEnd;
            }
        }
        ranges.put(start, end);
    }

    /** The counts so far, with no losses reported by the client library. */
    synchronized Summary summary() {
        return summary(0, 0);
    }

    /**
     * The counts so far, with what the client library reported: {@code gap} messages skipped
     * because the subscriber fell behind, and {@code sessionsLost} sessions that could not be
     * resumed. Both are losses that the numbers alone may not show (a skipped tail leaves no
     * missing number below the highest).
     */
    synchronized Summary summary(long gap, long sessionsLost) {
        return new Summary(received, highest - distinct, duplicated, outOfOrder, invalid, gap, sessionsLost);
    }

    /** What {@code --check-seq} prints and decides the exit code by. */
    record Summary(long received, long lost, long duplicated, long outOfOrder, long invalid, long gap,
                   long sessionsLost) {
        /** Whether anything went wrong: lost, skipped, duplicated, out of order, invalid, or a lost session. */
        boolean failed() {
            return lost != 0 || duplicated != 0 || outOfOrder != 0 || invalid != 0 || gap != 0 || sessionsLost != 0;
        }

        @Override
        public String toString() {
            return "received=" + received + " lost=" + lost + " duplicated=" + duplicated
                    + " out_of_order=" + outOfOrder + " invalid=" + invalid + " gap=" + gap
                    + " session_lost=" + sessionsLost;
        }
    }
}

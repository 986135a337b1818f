package dev.conduit.protocol;

import java.util.ArrayList;
import java.util.List;

/**
 * The reference model of {@link SequencedStream}: the obvious, slow way to say what it must do. The
 * sender keeps every item ever sent in one list and a pointer to the last one confirmed; the
 * receiver keeps a count. The property test and the golden vectors both take their expected
 * results from here, never from the class under test.
 */
final class SequencedStreamModel {
    /** A test item: a tag that names it in the vectors, and the bytes it counts for. */
    record Item(int tag, int size) {
    }

    final long maxHeldBytes;
    /** Every item sent in this session: number n is at index n - 1. */
    final List<Item> sentItems = new ArrayList<>();
    long acknowledged;
    long lastReceived;
    long lastAcknowledgedByReceiver;

    SequencedStreamModel(long maxHeldBytes) {
        this.maxHeldBytes = maxHeldBytes;
    }

    long sent() {
        return sentItems.size();
    }

    List<Item> held() {
        return List.copyOf(sentItems.subList((int) acknowledged, sentItems.size()));
    }

    long heldBytes() {
        long sum = 0;
        for (Item i : held()) {
            sum += i.size();
        }
        return sum;
    }

    boolean fits(int size) {
        return heldBytes() == 0 || heldBytes() + size <= maxHeldBytes;
    }

    /** The number given, or 0 (FULL) if it does not fit. */
    long offer(Item item) {
        return fits(item.size()) ? send(item) : 0;
    }

    long send(Item item) {
        sentItems.add(item);
        return sentItems.size();
    }

    /** The outcome's name, and the items it confirmed. */
    record AckResult(String outcome, List<Item> confirmed) {
    }

    /** {@code n} as the wire's unsigned u64. */
    AckResult acknowledge(long n) {
        if (Long.compareUnsigned(n, Long.MAX_VALUE) > 0) {
            return new AckResult("INVALID", List.of());
        }
        if (n > sent()) {
            return new AckResult("BEYOND_SENT", List.of());
        }
        if (n <= acknowledged) {
            return new AckResult("STALE", List.of());
        }
        List<Item> confirmed = List.copyOf(sentItems.subList((int) acknowledged, (int) n));
        acknowledged = n;
        return new AckResult("CONFIRMED", confirmed);
    }

    /** The outcome, the items the resume confirmed, and the items replayed. */
    record ReplayResult(String outcome, List<Item> confirmed, List<Item> frames) {
    }

    ReplayResult replayAfter(long n) {
        if (Long.compareUnsigned(n, Long.MAX_VALUE) > 0 || n > sent()) {
            return new ReplayResult("BEYOND_SENT", List.of(), List.of());
        }
        if (n < acknowledged) {
            return new ReplayResult("NO_LONGER_HELD", List.of(), List.of());
        }
        List<Item> confirmed = List.copyOf(sentItems.subList((int) acknowledged, (int) n));
        acknowledged = n;
        return new ReplayResult("REPLAYED", confirmed, held());
    }

    List<Item> reset() {
        List<Item> unconfirmed = held();
        sentItems.clear();
        acknowledged = 0;
        return unconfirmed;
    }

    String receive(long stated) {
        if (stated == 0 || stated == lastReceived + 1) {
            lastReceived++;
            return "IN_ORDER";
        }
        // Unsigned: 2^63 and more are beyond anything received.
        return stated > 0 && stated <= lastReceived ? "DUPLICATE" : "GAP";
    }

    long ackDue() {
        if (lastReceived > lastAcknowledgedByReceiver) {
            lastAcknowledgedByReceiver = lastReceived;
            return lastReceived;
        }
        return 0;
    }

    void resetReceiver() {
        lastReceived = 0;
        lastAcknowledgedByReceiver = 0;
    }
}

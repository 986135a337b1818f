package dev.conduit.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What could not be forwarded to one node because the send queue was at its bound: a count per
 * subject for up to {@code maxSubjects} distinct subjects, and one count for the rest (their
 * subjects unknown). The sender turns it into lost records ({@link Batch#LOST}) once the messages
 * queued before the loss have landed, and the receiving node reports them with GAP.
 *
 * <p>Threads: {@link #add} on the server's event loops (where {@code forward} runs), {@link #take}
 * on the sender's thread; both under this object's monitor, held for one map update or one copy,
 * never across I/O.
 */
final class Losses {
    private final int maxSubjects;
    private Map<String, Long> bySubject = new HashMap<>();
    private long other;
    private long total;

    Losses(int maxSubjects) {
        this.maxSubjects = maxSubjects;
    }

    /**
     * Counts one message on {@code subject} not forwarded.
     *
     * @return whether nothing was counted before (since the last {@link #take}): the caller then
     *     queues a marker, where the sender will take what is counted by then
     */
    synchronized boolean add(String subject) {
        boolean first = total == 0;
        total++;
        Long n = bySubject.get(subject);
        if (n != null) {
            bySubject.put(subject, n + 1);
        } else if (bySubject.size() < maxSubjects) {
            bySubject.put(subject, 1L);
        } else {
            other++;
        }
        return first;
    }

    /** The lost records for what was counted, and a fresh start. */
    synchronized List<Batch.Item> take() {
        List<Batch.Item> items = new ArrayList<>(bySubject.size() + 1);
        bySubject.forEach((subject, n) -> items.add(Batch.Item.lost(subject, n)));
        if (other > 0) {
            items.add(Batch.Item.lost(null, other));
        }
        bySubject = new HashMap<>();
        other = 0;
        total = 0;
        return items;
    }

    /** Messages counted and not yet taken. */
    synchronized long pending() {
        return total;
    }
}

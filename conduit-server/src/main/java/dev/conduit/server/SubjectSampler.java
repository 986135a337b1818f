package dev.conduit.server;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Estimates which subjects carry the most messages, cheaply enough for the routing path: a session
 * offers a subject only when its own message count is a multiple of the current window's sampling
 * step (a power of two), so most messages cost one mask test. Each window (one stats interval)
 * counts samples per subject in a bounded map; {@link #roll} closes it, scales the counts by the step
 * and picks a step for the next window that keeps samples near {@value #TARGET_SAMPLES} a window:
 * at low rates every message is counted, at high rates one in 2^k.
 *
 * <p>A window holds at most {@value #MAX_SUBJECTS} subjects; samples of further subjects are counted
 * as "other", so a flood of unique subjects (request inboxes) cannot grow it. Frequent subjects are
 * likely sampled early in a window, before it fills. Thread-safe.
 */
final class SubjectSampler {
    static final int TARGET_SAMPLES = 4096;
    static final int MAX_SUBJECTS = 1024;

    /** One subject's estimated messages in a closed window. */
    record SubjectCount(String subject, long messages) {
    }

    private static final class Window {
        final long mask;
        final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        final LongAdder other = new LongAdder();

        Window(long mask) {
            this.mask = mask;
        }
    }

    private volatile Window window = new Window(0);

    /**
     * Called for every PUBLISH routed, with the publishing session's message count: samples the
     * subject when the count falls on the window's step.
     */
    void offer(long sessionTick, String subject) {
        Window w = window;
        if ((sessionTick & w.mask) != 0) {
            return;
        }
        LongAdder n = w.counts.get(subject);
        if (n == null) {
            if (w.counts.size() >= MAX_SUBJECTS) {
                w.other.increment();
                return;
            }
            n = w.counts.computeIfAbsent(subject, s -> new LongAdder());
        }
        n.increment();
    }

    /**
     * Closes the current window and opens the next.
     *
     * @param messagesInWindow messages received in the window closing (sets the next step)
     * @param top              how many subjects to return
     * @return the most frequent subjects of the closed window, estimated messages each, most first
     */
    List<SubjectCount> roll(long messagesInWindow, int top) {
        long step = Long.highestOneBit(Math.max(1, messagesInWindow / TARGET_SAMPLES));
        Window closed = window;
        window = new Window(step - 1);
        long scale = closed.mask + 1;
        List<SubjectCount> counts = new ArrayList<>(closed.counts.size());
        closed.counts.forEach((subject, n) -> counts.add(new SubjectCount(subject, n.sum() * scale)));
        counts.sort(Comparator.comparingLong(SubjectCount::messages).reversed()
                .thenComparing(SubjectCount::subject));
        return counts.size() > top ? List.copyOf(counts.subList(0, top)) : counts;
    }

    /** The current sampling step: one message in this many is sampled. */
    long step() {
        return window.mask + 1;
    }
}

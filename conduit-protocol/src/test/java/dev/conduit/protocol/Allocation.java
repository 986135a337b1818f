package dev.conduit.protocol;

import java.lang.management.ManagementFactory;

/**
 * Bytes allocated by the current thread, from the JVM's own per-thread counter. The counter is
 * exact for heap allocation, needs no agent, and counts only this thread, so other tests running
 * in parallel cannot disturb it.
 */
final class Allocation {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Allocation() {
    }

    static long current() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * Bytes {@code action} allocates once the JVM has warmed up to it: the least of three runs. The
     * first run of a code path can allocate for the JVM itself (class loading, the bootstrap of
     * string concatenation), which is not the code's doing; what the code allocates happens on
     * every run.
     */
    static long steady(Runnable action) {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            least = Math.min(least, during(action));
        }
        return least;
    }

    /** Bytes allocated while running {@code action}, whether it returns or throws. */
    static long during(Runnable action) {
        long before = current();
        try {
            action.run();
        } catch (RuntimeException ignored) {
            // the caller checks the outcome separately; here only the allocation counts
        }
        return current() - before;
    }
}

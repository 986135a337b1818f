package dev.conduit.server;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;

/**
 * A few JVM and process figures for the dashboard ({@code process} in {@code $SYS.stats}), read
 * from the platform's management beans. /metrics has the full set, from Micrometer's binders.
 * Thread-safe (stateless).
 */
final class ProcessFigures {
    /**
     * @param cpuLoad             the process's recent CPU use, 0 to 1 of all cores; -1 if unknown
     * @param openFileDescriptors -1 if unknown (not a Unix-like system)
     */
    record Reading(long heapUsedBytes, long heapMaxBytes, int threads, double cpuLoad, long gcCount, long gcMillis,
                   long openFileDescriptors) {
    }

    private ProcessFigures() {
    }

    /** The heap in use alone: the one figure the history keeps, cheap enough for every tick. */
    static long heapUsedBytes() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static Reading read() {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long gcCount = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcCount += Math.max(0, gc.getCollectionCount());
            gcMillis += Math.max(0, gc.getCollectionTime());
        }
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        double cpu = os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuLoad() : -1;
        long fds = os instanceof com.sun.management.UnixOperatingSystemMXBean unix ? unix.getOpenFileDescriptorCount() : -1;
        return new Reading(heap.getUsed(), heap.getMax(), ManagementFactory.getThreadMXBean().getThreadCount(),
                cpu, gcCount, gcMillis, fds);
    }
}

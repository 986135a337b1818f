package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the connections a server holds, in total and per remote address, against {@link
 * PeerLimits#maxConnections()} and {@link PeerLimits#maxConnectionsPerAddress()}. Checked once per
 * accepted connection: an atomic increment, and for a network peer one map update. Thread-safe.
 */
final class ConnectionCounter {
    private final int maxTotal;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    /** Addresses with at least one connection; an address leaves the map with its last connection. */
    private final Map<String, Integer> perAddress = new ConcurrentHashMap<>();

    ConnectionCounter(PeerLimits limits) {
        this.maxTotal = limits.maxConnections();
        this.maxPerAddress = limits.maxConnectionsPerAddress();
    }

    /**
     * Counts a new connection from {@code host} (null: in process, counted in the total only).
     *
     * @return null if it is admitted and counted (release it with {@link #release}), else the code
     *         to refuse it with; a refused connection is not counted
     */
    ErrorCode admit(String host) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return ErrorCode.TOO_MANY_CONNECTIONS;
        }
        if (host == null) {
            return null;
        }
        boolean[] refused = new boolean[1];
        perAddress.compute(host, (h, n) -> {
            int count = n == null ? 0 : n;
            if (count >= maxPerAddress) {
                refused[0] = true;
                return n;
            }
            return count + 1;
        });
        if (refused[0]) {
            total.decrementAndGet();
            return ErrorCode.TOO_MANY_CONNECTIONS_FROM_ADDRESS;
        }
        return null;
    }

    /** A connection admitted by {@link #admit} with the same host has closed. */
    void release(String host) {
        total.decrementAndGet();
        if (host != null) {
            perAddress.computeIfPresent(host, (h, n) -> n <= 1 ? null : n - 1);
        }
    }

    int total() {
        return total.get();
    }

    int maxTotal() {
        return maxTotal;
    }

    int maxPerAddress() {
        return maxPerAddress;
    }
}

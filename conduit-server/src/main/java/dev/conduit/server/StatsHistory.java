package dev.conduit.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The server's recent past, one {@link Point} per stats tick (a second), in a ring of {@link
 * #CAPACITY} points: 15 minutes. Filled whether or not anybody watches, so that a dashboard opened
 * now shows what happened before it (served by {@link SystemApi#HISTORY}). At the bound the oldest
 * point is overwritten. About 100 bytes a point: 90 KB in all.
 *
 * <p>Thread-safe: the tick adds, any thread reads a copy; one monitor.
 */
final class StatsHistory {
    /** 15 minutes of one point a second. */
    static final int CAPACITY = 900;

    /**
     * One tick's figures. Latencies are milliseconds over the latency window ({@link
     * LatencyWindow#SECONDS}), {@code NaN} when nothing was measured.
     */
    record Point(long timeMillis, double messagesInPerSecond, double messagesOutPerSecond, double bytesInPerSecond,
                 double bytesOutPerSecond, int connections, int sessions, double requestP50Millis,
                 double requestP99Millis, double deliveryP50Millis, double deliveryP99Millis, long heapUsedBytes) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Point[] ring;
    private int next;
    private int size;

    StatsHistory() {
        this(CAPACITY);
    }

    StatsHistory(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be > 0: " + capacity);
        }
        ring = new Point[capacity];
    }

    synchronized void add(Point p) {
        ring[next] = p;
        next = (next + 1) % ring.length;
        size = Math.min(size + 1, ring.length);
    }

    /** The points held, oldest first. */
    synchronized Point[] points() {
        Point[] out = new Point[size];
        int first = (next - size + ring.length) % ring.length;
        for (int i = 0; i < size; i++) {
            out[i] = ring[(first + i) % ring.length];
        }
        return out;
    }

    /**
     * The history as JSON columns ({@code time}, {@code inPerSecond}, ...: one array per figure, one
     * element per point, oldest first; {@code null} for a latency with no samples). Only the newest
     * points that fit in about {@code maxBytes} are included (each takes at most {@value
     * #MAX_POINT_BYTES} bytes), so the answer always fits in one message.
     */
    ObjectNode toJson(int maxBytes) {
        Point[] all = points();
        int fit = Math.max(0, Math.min(all.length, (maxBytes - 512) / MAX_POINT_BYTES));
        ObjectNode o = JSON.createObjectNode();
        o.put("intervalSeconds", 1);
        o.put("capacity", ring.length);
        o.put("points", fit);
        ArrayNode time = o.putArray("time");
        ArrayNode in = o.putArray("inPerSecond");
        ArrayNode out = o.putArray("outPerSecond");
        ArrayNode bytesIn = o.putArray("bytesInPerSecond");
        ArrayNode bytesOut = o.putArray("bytesOutPerSecond");
        ArrayNode connections = o.putArray("connections");
        ArrayNode sessions = o.putArray("sessions");
        ArrayNode requestP50 = o.putArray("requestP50Millis");
        ArrayNode requestP99 = o.putArray("requestP99Millis");
        ArrayNode deliveryP50 = o.putArray("deliveryP50Millis");
        ArrayNode deliveryP99 = o.putArray("deliveryP99Millis");
        ArrayNode heap = o.putArray("heapUsedBytes");
        for (int i = all.length - fit; i < all.length; i++) {
            Point p = all[i];
            time.add(p.timeMillis());
            in.add(p.messagesInPerSecond());
            out.add(p.messagesOutPerSecond());
            bytesIn.add(p.bytesInPerSecond());
            bytesOut.add(p.bytesOutPerSecond());
            connections.add(p.connections());
            sessions.add(p.sessions());
            latency(requestP50, p.requestP50Millis());
            latency(requestP99, p.requestP99Millis());
            latency(deliveryP50, p.deliveryP50Millis());
            latency(deliveryP99, p.deliveryP99Millis());
            heap.add(p.heapUsedBytes());
        }
        return o;
    }

    /** An upper bound of one point's JSON: 12 numbers of at most 20 characters and a comma each. */
    static final int MAX_POINT_BYTES = 12 * 21;

    private static void latency(ArrayNode column, double millis) {
        if (Double.isNaN(millis)) {
            column.addNull();
        } else {
            column.add(millis);
        }
    }
}

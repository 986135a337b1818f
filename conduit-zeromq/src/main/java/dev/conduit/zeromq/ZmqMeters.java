package dev.conduit.zeromq;

import dev.conduit.transport.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntSupplier;

/**
 * The ZeroMQ gateway's meters (names in docs/zeromq.md): messages received and sent per gateway
 * socket, messages dropped per reason, and gauges for the prefixes ZeroMQ SUB peers hold, the
 * Conduit messages waiting for the gateway thread, and the requests in flight. Thread-safe.
 */
final class ZmqMeters {
    private final MeterRegistry registry;
    private final List<Meter> meters = new CopyOnWriteArrayList<>();
    private final Map<String, Counter> received = new ConcurrentHashMap<>();
    private final Map<String, Counter> sent = new ConcurrentHashMap<>();
    private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
    private final ZmqLog invalidLog = new ZmqLog("invalid message", Clock.system());
    private final ZmqLog deniedLog = new ZmqLog("permission denied", Clock.system());
    private final ZmqLog goneLog = new ZmqLog("requester gone", Clock.system());

    ZmqMeters(MeterRegistry registry, IntSupplier prefixes, IntSupplier queued, IntSupplier requests, IntSupplier peers) {
        this.registry = registry;
        meters.add(Gauge.builder("conduit.zeromq.subscriptions", prefixes, IntSupplier::getAsInt)
                .description("distinct prefixes ZeroMQ SUB peers subscribe to").strongReference(true).register(registry));
        meters.add(Gauge.builder("conduit.zeromq.queued", queued, IntSupplier::getAsInt)
                .description("Conduit messages waiting for the gateway thread").strongReference(true).register(registry));
        meters.add(Gauge.builder("conduit.zeromq.requests", requests, IntSupplier::getAsInt)
                .description("requests from ZeroMQ peers in flight").strongReference(true).register(registry));
        meters.add(Gauge.builder("conduit.zeromq.peers", peers, IntSupplier::getAsInt)
                .description("ZeroMQ peers connected to the gateway (counted against the connection limits)")
                .strongReference(true).register(registry));
    }

    void received(String socket) {
        counter(received, "conduit.zeromq.received", "socket", socket, "messages from ZeroMQ peers").increment();
    }

    void sent(String socket) {
        counter(sent, "conduit.zeromq.sent", "socket", socket, "messages to ZeroMQ peers").increment();
    }

    void dropped(String reason) {
        counter(dropped, "conduit.zeromq.dropped", "reason", reason, "messages the gateway dropped").increment();
    }

    /** A message that does not follow the mapping: dropped, counted, logged (at most 20 lines per 10 s). */
    void invalid(String what) {
        dropped("invalid");
        invalidLog.note(what);
    }

    /** A publish the server refused because the gateway's principal may not make it: dropped, counted, logged. */
    void denied(String what) {
        dropped("denied");
        deniedLog.note(what);
    }

    /**
     * A reply (to a REQ or DEALER peer) that could not be sent: the requester has gone away
     * ({@code requester_gone}: its connection closed, so the ROUTER no longer knows it) or has no
     * room ({@code slow_requester}: its queue is at the high-water mark). Dropped, counted, logged.
     */
    void replyLost(String reason, String what) {
        dropped(reason);
        goneLog.note(what + " (" + reason + ")");
    }

    /** The count of a reason so far (tests and the dashboard). */
    double droppedCount(String reason) {
        Counter c = dropped.get(reason);
        return c == null ? 0 : c.count();
    }

    double receivedCount(String socket) {
        Counter c = received.get(socket);
        return c == null ? 0 : c.count();
    }

    private Counter counter(Map<String, Counter> map, String name, String tag, String value, String description) {
        return map.computeIfAbsent(value, v -> {
            Counter c = Counter.builder(name).tag(tag, v).description(description).register(registry);
            meters.add(c);
            return c;
        });
    }

    void close() {
        meters.forEach(registry::remove);
    }
}

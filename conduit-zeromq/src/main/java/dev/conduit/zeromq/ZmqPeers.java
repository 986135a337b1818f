package dev.conduit.zeromq;

import org.jspecify.annotations.Nullable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * The gateway's ZeroMQ peers, counted against the server's {@code maxConnections} and {@code
 * maxConnectionsPerAddress} like its other connections. JeroMQ accepts the TCP connections itself,
 * so the gateway learns of them from each socket's monitor ({@code ACCEPTED}, {@code DISCONNECTED},
 * which carry the channel) and refuses one over a limit in the ZMTP handshake, through ZAP (RFC 27):
 * every gateway socket has a ZAP domain, and this class answers the requests on {@code
 * inproc://zeromq.zap.01} with 200 or 400. A refused peer's handshake fails and JeroMQ closes it.
 *
 * <p>A connection is counted from its ZAP request (the end of its handshake, where it is admitted or
 * refused) until its DISCONNECTED event. ZAP names only the peer's address, not its connection, so
 * a request is matched to the oldest accepted connection from that address still waiting for one
 * (connections from one address may finish their greetings out of order; then which of them holds
 * the place may differ, and while an older one that never finished its handshake lives, the count
 * can be one low).
 *
 * <p>Owned by the gateway thread, except {@link #count()}, read by the meters.
 */
final class ZmqPeers implements AutoCloseable {
    /** ZAP's well-known endpoint, in the gateway's own context. */
    static final String ZAP_ENDPOINT = "inproc://zeromq.zap.01";
    static final String ZAP_DOMAIN = "conduit";

    private final ZContext context;
    /** Counts a peer from an address: its release, or null if it is over a limit (then logged). */
    private final Function<String, @Nullable Runnable> admit;
    private final ZMQ.Socket zap;
    private final List<ZMQ.Socket> monitors = new ArrayList<>();
    private final Map<SocketChannel, Peer> byChannel = new HashMap<>();
    private final Map<String, ArrayDeque<Peer>> awaitingZap = new HashMap<>();
    private final AtomicInteger counted = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();

    /** One accepted connection; {@code release} is set once its ZAP request was let in (and counted). */
    private static final class Peer {
        final String host;
        @Nullable Runnable release;

        Peer(String host) {
            this.host = host;
        }
    }

    ZmqPeers(ZContext context, Function<String, @Nullable Runnable> admit) {
        this.context = context;
        this.admit = admit;
        this.zap = context.createSocket(SocketType.ROUTER);
        zap.setLinger(0);
        zap.bind(ZAP_ENDPOINT);
    }

    /** Before {@code socket} binds: its handshakes ask ZAP, and its monitor reports its connections. */
    void watch(ZMQ.Socket socket, int index) {
        socket.setZAPDomain(ZAP_DOMAIN);
        String endpoint = "inproc://zeromq-gateway-monitor-" + index;
        socket.monitor(endpoint, ZMQ.EVENT_ACCEPTED | ZMQ.EVENT_DISCONNECTED);
        ZMQ.Socket monitor = context.createSocket(SocketType.PAIR);
        monitor.setLinger(0);
        monitor.connect(endpoint);
        monitors.add(monitor);
    }

    /** The sockets the gateway thread polls for this class: the ZAP handler and the monitors. */
    List<ZMQ.Socket> sockets() {
        List<ZMQ.Socket> all = new ArrayList<>(monitors);
        all.add(zap);
        return all;
    }

    /** Peers counted against the connection limits now. Any thread. */
    int count() {
        return counted.get();
    }

    /** Peers refused over a limit so far. Any thread. */
    int refused() {
        return refused.get();
    }

    /** Handles what the monitors and ZAP have: the monitors first, so a request finds its connection. */
    void poll() {
        readMonitors();
        for (int i = 0; i < 512; i++) {
            byte[] first = zap.recv(ZMQ.DONTWAIT);
            if (first == null) {
                return;
            }
            List<byte[]> parts = new ArrayList<>(9);
            parts.add(first);
            while (zap.hasReceiveMore() && parts.size() < 16) {
                parts.add(zap.recv(0));
            }
            while (zap.hasReceiveMore()) {
                zap.recv(0);
            }
            answer(parts);
        }
    }

    private void readMonitors() {
        for (ZMQ.Socket m : monitors) {
            for (ZMQ.Event e = ZMQ.Event.recv(m, ZMQ.DONTWAIT); e != null; e = ZMQ.Event.recv(m, ZMQ.DONTWAIT)) {
                // The channel itself (getValue() is JeroMQ's handle for it). byChannel holds the
                // accepted ones strongly, so JeroMQ's weak reference still finds it at DISCONNECTED.
                Object value = e.resolveValue();
                if (!(value instanceof SocketChannel channel)) {
                    continue;
                }
                if (e.getEvent() == ZMQ.EVENT_ACCEPTED) {
                    accepted(channel);
                } else if (e.getEvent() == ZMQ.EVENT_DISCONNECTED) {
                    disconnected(channel);
                }
            }
        }
    }

    private void accepted(SocketChannel channel) {
        String host;
        try {
            host = ((InetSocketAddress) channel.getRemoteAddress()).getAddress().getHostAddress();
        } catch (IOException | RuntimeException closedAlready) {
            return; // gone before we looked: nothing to count, and it sends no ZAP request
        }
        Peer p = new Peer(host);
        byChannel.put(channel, p);
        awaitingZap.computeIfAbsent(host, h -> new ArrayDeque<>()).addLast(p);
    }

    private void disconnected(SocketChannel channel) {
        Peer p = byChannel.remove(channel);
        if (p == null) {
            return;
        }
        ArrayDeque<Peer> waiting = awaitingZap.get(p.host);
        if (waiting != null && waiting.remove(p) && waiting.isEmpty()) {
            awaitingZap.remove(p.host);
        }
        if (p.release != null) {
            p.release.run();
            counted.decrementAndGet();
        }
    }

    /** A ZAP request: [routing id][""]["1.0"][request id][domain][address][identity][mechanism](credentials). */
    private void answer(List<byte[]> request) {
        if (request.size() < 8) {
            return; // not a ZAP request; JeroMQ sends none such
        }
        String host = new String(request.get(5), StandardCharsets.UTF_8);
        // Events sent before this request (its ACCEPTED, the DISCONNECTED of a connection it replaces)
        // are in the monitors' pipes by now: take them in first, so the count is today's.
        readMonitors();
        ArrayDeque<Peer> waiting = awaitingZap.get(host);
        Peer p = waiting == null ? null : waiting.pollFirst();
        if (waiting != null && waiting.isEmpty()) {
            awaitingZap.remove(host);
        }
        // A connection the monitor did not report (accepted before the monitor was in place) is let in.
        boolean allowed = true;
        if (p != null) {
            p.release = admit.apply(host);
            allowed = p.release != null;
            if (allowed) {
                counted.incrementAndGet();
            }
        }
        if (!allowed) {
            refused.incrementAndGet();
        }
        zap.send(request.get(0), ZMQ.SNDMORE);
        zap.send(new byte[0], ZMQ.SNDMORE);
        zap.send("1.0", ZMQ.SNDMORE);
        zap.send(request.get(3), ZMQ.SNDMORE);
        zap.send(allowed ? "200" : "400", ZMQ.SNDMORE);
        zap.send(allowed ? "OK" : "over the server's connection limits", ZMQ.SNDMORE);
        zap.send("", ZMQ.SNDMORE);
        zap.send(new byte[0], 0);
    }

    /** Releases what is still counted (the gateway stops; its sockets close without DISCONNECTED events). */
    @Override
    public void close() {
        byChannel.values().forEach(p -> {
            if (p.release != null) {
                p.release.run();
            }
        });
        byChannel.clear();
        awaitingZap.clear();
        counted.set(0);
    }
}

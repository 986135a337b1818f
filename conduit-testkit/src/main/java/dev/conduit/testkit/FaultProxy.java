package dev.conduit.testkit;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A TCP proxy between a client and a server that injects faults: it cuts connections, delays and
 * throttles what they carry, silences them or refuses them. Point the client at {@link #endpoint()}
 * instead of the server:
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.start(server.address());
 *      Client client = Client.connect(proxy.endpoint())) {
 *     proxy.cutAll();   // the client sees its connection reset
 * }
 * }</pre>
 *
 * <p>The proxy listens on 127.0.0.1 on an ephemeral port. For each connection it accepts, it opens
 * one to the target and forwards bytes both ways, in order, without looking at them. Faults can be
 * switched at any time and apply to connections already open as well as to new ones (except {@link
 * #refuse}, which only concerns new ones); {@link #clearFaults()} switches them all off. A method
 * that changes a fault returns once every open connection has seen the change, so that, for
 * example, nothing is forwarded after {@code blackHole(true)} returns.
 *
 * <p>When one side closes its connection normally, what the proxy still holds for the other side is
 * delivered (subject to the faults in force) and then the other side is closed too; when one side
 * resets its connection, the other side is reset. Half-closed connections are not kept: a side that
 * shuts down its output has its whole connection closed.
 *
 * <p>Timing faults use real time: the proxy is for tests of how code behaves on a real socket, not
 * for deterministic unit tests of time (use {@link ManualClock} for those). It reads with
 * back-pressure, holding at most about a megabyte per connection and direction, and is not the
 * bottleneck up to hundreds of megabytes per second. It runs on one I/O thread of its own.
 *
 * <p>Thread-safe.
 */
public interface FaultProxy extends AutoCloseable {

    /** Which way bytes flow through the proxy. */
    enum Direction {
        /** From the client that connected to the proxy to the target. */
        TO_TARGET,
        /** From the target back to the client. */
        FROM_TARGET
    }

    /**
     * Starts a proxy on 127.0.0.1 with an ephemeral port, forwarding to {@code target}. Nothing
     * connects to the target until a client connects to the proxy.
     *
     * @throws java.io.UncheckedIOException if the proxy cannot listen
     */
    static FaultProxy start(InetSocketAddress target) {
        return NettyFaultProxy.start(target);
    }

    /** The address the proxy listens on. */
    InetSocketAddress address();

    /** The port the proxy listens on. */
    default int port() {
        return address().getPort();
    }

    /** Where clients connect: {@code tcp://127.0.0.1:PORT}. */
    default String endpoint() {
        return "tcp://" + address().getHostString() + ":" + port();
    }

    /** Where the proxy forwards to. */
    InetSocketAddress target();

    /**
     * Resets every proxied connection at once, both the client's side and the target's, without
     * delivering what the proxy still holds: each side sees a TCP reset (SO_LINGER 0), as when a
     * network device drops the connection. The proxy goes on accepting new connections. Returns
     * once the connections are closed.
     */
    void cutAll();

    /**
     * Cuts connections once {@code bytes} bytes have crossed the proxy in either direction: each
     * direction of each connection may forward {@code bytes} more bytes, counted from this call for
     * connections already open and from their start for new ones; when either direction has
     * forwarded exactly that many, those bytes are written to the receiving socket and then both
     * sides are reset as by {@link #cutAll()}. {@code 0} cuts at once (new connections: as soon as
     * the target has accepted). Stays in force for every new connection until changed or cleared;
     * {@link Long#MAX_VALUE} means no limit.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    void cutAfterBytes(long bytes);

    /**
     * As {@link #cutAfterBytes(long)}, counting only the bytes flowing in {@code direction}; the
     * limit on the other direction is left as it was.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    void cutAfterBytes(Direction direction, long bytes);

    /**
     * Holds each chunk of bytes read from either side for {@code latency} before forwarding it,
     * keeping their order. Applies to bytes read after the call; {@link Duration#ZERO} removes the
     * delay.
     *
     * @throws IllegalArgumentException if {@code latency} is negative
     */
    void delay(Duration latency);

    /**
     * Limits each direction of each connection to {@code bytesPerSecond}, in slices of at most a
     * fiftieth of a second's worth. Over any interval of length {@code t}, a direction forwards at
     * most one slice more than {@code bytesPerSecond * t}. {@code 0} removes the limit.
     *
     * @throws IllegalArgumentException if {@code bytesPerSecond} is negative
     */
    void throttle(long bytesPerSecond);

    /**
     * While on, nothing crosses the proxy in either direction, neither bytes nor closes: the proxy
     * stops reading, keeps every connection open and accepts new ones, so each peer sees a silent
     * link, as when a network path goes dead without anyone closing anything. Writers fill their
     * socket buffers and then block. Turning it off delivers what was held back and resumes.
     */
    void blackHole(boolean on);

    /**
     * While on, each new connection is reset as soon as it is accepted, before the target is
     * contacted: the client sees its connection established and then reset at once. Connections
     * already open are not touched.
     */
    void refuse(boolean on);

    /** Switches every fault off: no cut limit, delay, throttle, black hole or refusal. */
    void clearFaults();

    /** Connections open through the proxy now (each counts once, both sides together). */
    int connectionCount();

    /** Connections accepted since the proxy started, refused ones included. */
    long acceptedCount();

    /** Connections refused since the proxy started (see {@link #refuse}). */
    long refusedCount();

    /** Connections cut since the proxy started, by {@link #cutAll()} or by a byte limit. */
    long cutCount();

    /** Bytes forwarded in {@code direction} since the proxy started, over all connections. */
    long bytesForwarded(Direction direction);

    /** Stops listening, resets every connection and stops the proxy's thread. Idempotent. */
    @Override
    void close();
}

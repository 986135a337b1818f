package dev.conduit.zeromq;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.util.function.Consumer;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * The JeroMQ sockets that play ZeroMQ peers of the gateway in tests: they connect with a handshake
 * interval of {@value #HANDSHAKE_MILLIS} ms, so that a JeroMQ bug on the connecting side costs a
 * test two seconds instead of failing it.
 *
 * <p>The bug (JeroMQ 0.6.0, the latest release; open upstream as zeromq/jeromq pull request 1022):
 * when a TCP connect completes, the client's I/O thread cancels the connecter's selection key and
 * the new ZMTP engine adds a handle for the same channel. If the engine's attach command is handled
 * in the same round of the I/O thread's poller, {@code keyFor} still returns the cancelled key and
 * the engine's channel is never registered with the selector: the TCP connection is up, the
 * gateway's greeting sits unread in the client's socket buffer, the client never sends its own, and
 * nothing moves until {@code ZMQ_HANDSHAKE_IVL} (30 s by default) ends the connection and the
 * socket reconnects, sending what it had queued. That was the gateway tests' intermittent "no reply
 * within 30 s" (between 1 in 170 and 1 in 60 fresh connections in our runs under load; ZmqGatewayTest's REQ test stalled at
 * its first request). The gateway only binds and accepts, so its own sockets never take this path.
 */
final class JeroMqPeers implements AutoCloseable {
    static final int HANDSHAKE_MILLIS = 2_000;
    private final ZContext context = new ZContext(1);

    /** A socket of {@code type}, configured by {@code configure}, connected to {@code address}. */
    ZMQ.Socket connect(SocketType type, String address, Consumer<ZMQ.Socket> configure) {
        ZMQ.Socket socket = context.createSocket(type);
        socket.setLinger(0);
        socket.setHandshakeIvl(HANDSHAKE_MILLIS);
        configure.accept(socket);
        socket.connect(address);
        return socket;
    }

    ZMQ.Socket connect(SocketType type, String address) {
        return connect(type, address, s -> { });
    }

    /**
     * An in-process Conduit client of a test's server. Its drain is short: closing an in-process
     * client that has subscriptions waits its whole drain for an ACK that does not come (on main as
     * of this module's creation, gateway or not; a TCP client closes at once), which would add 5 s
     * to every test. The tests check what arrives, not the drain.
     */
    static dev.conduit.client.Client local(Server server) {
        return dev.conduit.client.Client.connect(dev.conduit.client.ClientOptions.builder()
                .drainTimeout(java.time.Duration.ofMillis(200)).build(), server.localConnector());
    }

    /** The gateway a test's server runs. */
    static ZmqGateway gateway(Server server) {
        return (ZmqGateway) ZeroMqGateway.of(server).orElseThrow(() -> new AssertionError("no ZeroMQ gateway runs"));
    }

    /** Closes the context, and so every socket (a thread blocked in one of them gets an exception). */
    @Override
    public void close() {
        context.close();
    }
}

package dev.conduit.zeromq;

import dev.conduit.server.Server;
import java.util.Optional;

/**
 * A running ZeroMQ gateway: what an embedder (or a test) that let it pick free ports needs to know.
 * The gateway starts and stops with its server ({@link ZeroMqExtension}); this is a view of it.
 * Thread-safe.
 */
public interface ZeroMqGateway {
    /** The gateway of a started server, or empty if the server runs none (or has stopped). */
    static Optional<ZeroMqGateway> of(Server server) {
        return Optional.ofNullable(ZeroMqExtension.running(server.serverId()));
    }

    /**
     * The bound ports, in the order of {@link ZeroMqConfig}: PUB peers, SUB peers, REQ/DEALER
     * peers, PUSH peers, REP workers. A new array at each call.
     */
    int[] ports();

    /** ZeroMQ peers connected now (counted against the server's connection limits). */
    int peerCount();
}

package dev.conduit.server.spi;

import java.util.List;
import java.util.Objects;

/**
 * How a {@link Backplane} is doing, as {@code /readyz}, the dashboard and tests read it
 * ({@link Backplane#status}). A snapshot: each call makes a new one.
 *
 * @param degraded    whether cross-node traffic is held up: the engine (Redis) is unreachable, or
 *                    a write to it failed a short while ago. Local traffic is unaffected either way.
 * @param reason      why it is degraded, for people ({@code "backplane: Redis unreachable ..."});
 *                    empty when it is not
 * @param heldBytes   bytes of messages queued for other nodes and not yet landed in the engine
 * @param lagMillis   age of the oldest message queued for another node and not yet landed; 0 when
 *                    nothing is queued
 * @param readLagMillis how far behind its own inbound stream this node's reader was at its last
 *                    read (by the engine's entry ids, so across hosts it carries their clock skew);
 *                    0 when it had caught up
 * @param errors      failed engine commands since start
 * @param nodes       the nodes of the cluster this node knows, itself included
 */
public record BackplaneStatus(boolean degraded, String reason, long heldBytes, long lagMillis, long readLagMillis,
                              long errors, List<Node> nodes) {

    public BackplaneStatus {
        Objects.requireNonNull(reason, "reason");
        nodes = List.copyOf(nodes);
    }

    /**
     * One node of the cluster.
     *
     * @param id        its node id
     * @param advertise the URL it advertises to clients; empty for none
     * @param alive     whether its presence record is live (refreshed within its time to live)
     * @param self      whether it is this node
     */
    public record Node(String id, String advertise, boolean alive, boolean self) {
        public Node {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(advertise, "advertise");
        }
    }
}

package dev.conduit.cluster;

/**
 * The Redis keys of the backplane (docs/cluster.md, "Keys"). Every one carries the hash tag {@code
 * {conduit}}, so that a Redis Cluster keeps them in one slot.
 */
final class ClusterKeys {
    static final String NODES = "{conduit}:nodes";
    static final String HINTS = "{conduit}:hints";

    private ClusterKeys() {
    }

    /** The node's presence: {@code <epoch> <advertise>}, expiring. */
    static String presence(String node) {
        return "{conduit}:node:" + node;
    }

    /** The node's interest: a hash of interest keys ({@link InterestKey}) to subscription counts. */
    static String interest(String node) {
        return "{conduit}:interest:" + node;
    }

    /** The node's inbound stream, which the other nodes write to. */
    static String inbound(String node) {
        return "{conduit}:in:" + node;
    }
}

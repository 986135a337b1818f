package dev.conduit.server;

import java.net.URI;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@code cluster} section: this server is one node of several that act as one, linked through
 * Redis (docs/cluster.md). Keys {@code cluster.redis} ({@code CONDUIT_CLUSTER_REDIS}, {@code
 * --cluster}), {@code cluster.nodeId}, {@code cluster.advertise}, {@code cluster.durableSessions}
 * ({@code --durable-sessions}).
 *
 * @param redis     the Redis server, {@code redis://host:port} (or {@code rediss://}, with Lettuce's
 *                  URI options such as a password)
 * @param nodeId    this node's name in the cluster, unique among the nodes: letters, digits, {@code
 *                  -} and {@code _}, at most 64; null for a random one
 * @param advertise the URL clients should use to reach this node (for other nodes to name); null
 *                  for none yet
 * @param durableSessions whether every session's state lives in Redis as it flows, so that a
 *                  session survives even a crash ({@code kill -9}) of its node (docs/cluster.md,
 *                  "Durable sessions"); every node of the cluster must say the same. Off by default:
 *                  then a crashed node's sessions are lost, and their clients told so
 */
public record ClusterConfig(URI redis, @Nullable String nodeId, @Nullable String advertise, boolean durableSessions) {

    public ClusterConfig {
        Objects.requireNonNull(redis, "redis");
        if (!"redis".equals(redis.getScheme()) && !"rediss".equals(redis.getScheme())) {
            throw new IllegalArgumentException("cluster.redis must be a redis:// or rediss:// URI: " + redis);
        }
        if (nodeId != null && !nodeId.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("cluster.nodeId must be 1 to 64 letters, digits, '-' or '_': " + nodeId);
        }
    }

    /** A node without durable sessions. */
    public ClusterConfig(URI redis, @Nullable String nodeId, @Nullable String advertise) {
        this(redis, nodeId, advertise, false);
    }

    /** A node of the cluster on this Redis, with a random node id. */
    public static ClusterConfig of(String redisUri) {
        return new ClusterConfig(URI.create(redisUri), null, null);
    }

    /** This config with another node id. */
    public ClusterConfig withNodeId(String id) {
        return new ClusterConfig(redis, id, advertise, durableSessions);
    }

    /** This config with durable sessions on or off. */
    public ClusterConfig withDurableSessions(boolean on) {
        return new ClusterConfig(redis, nodeId, advertise, on);
    }
}

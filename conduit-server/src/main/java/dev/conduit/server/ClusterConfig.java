package dev.conduit.server;

import java.net.URI;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@code cluster} section: this server is one node of several that act as one, linked through
 * Redis (docs/cluster.md). Keys {@code cluster.redis} ({@code CONDUIT_CLUSTER_REDIS}, {@code
 * --cluster}), {@code cluster.nodeId}, {@code cluster.advertise}.
 *
 * @param redis     the Redis server, {@code redis://host:port} (or {@code rediss://}, with Lettuce's
 *                  URI options such as a password)
 * @param nodeId    this node's name in the cluster, unique among the nodes: letters, digits, {@code
 *                  -} and {@code _}, at most 64; null for a random one
 * @param advertise the URL clients should use to reach this node (for other nodes to name); null
 *                  for none yet
 */
public record ClusterConfig(URI redis, @Nullable String nodeId, @Nullable String advertise) {

    public ClusterConfig {
        Objects.requireNonNull(redis, "redis");
        if (!"redis".equals(redis.getScheme()) && !"rediss".equals(redis.getScheme())) {
            throw new IllegalArgumentException("cluster.redis must be a redis:// or rediss:// URI: " + redis);
        }
        if (nodeId != null && !nodeId.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("cluster.nodeId must be 1 to 64 letters, digits, '-' or '_': " + nodeId);
        }
    }

    /** A node of the cluster on this Redis, with a random node id. */
    public static ClusterConfig of(String redisUri) {
        return new ClusterConfig(URI.create(redisUri), null, null);
    }

    /** This config with another node id. */
    public ClusterConfig withNodeId(String id) {
        return new ClusterConfig(redis, id, advertise);
    }
}

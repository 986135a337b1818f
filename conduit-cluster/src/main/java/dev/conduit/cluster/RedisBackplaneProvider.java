package dev.conduit.cluster;

import dev.conduit.server.ClusterConfig;
import dev.conduit.server.spi.Backplane;
import dev.conduit.server.spi.BackplaneProvider;

/**
 * The Redis backplane's entry for {@link java.util.ServiceLoader}: a server with a {@code cluster}
 * setting and this module on its class or module path becomes a node of the cluster named by
 * {@link ClusterConfig#redis()}. Applications do not call it; they add the module and the setting.
 */
public final class RedisBackplaneProvider implements BackplaneProvider {
    /** The bounds and periods of the backplanes made from now on; tests shorten them, and set them back. */
    static volatile ClusterTuning tuning = ClusterTuning.DEFAULT;

    /** For the service loader. */
    public RedisBackplaneProvider() {
    }

    @Override
    public Backplane create(ClusterConfig config) {
        return new RedisBackplane(config, tuning);
    }
}

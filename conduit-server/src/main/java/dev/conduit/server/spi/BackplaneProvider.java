package dev.conduit.server.spi;

import dev.conduit.server.ClusterConfig;

/**
 * Makes the {@link Backplane} of a server whose configuration has a {@code cluster} section.
 * Found with {@link java.util.ServiceLoader} (conduit-cluster provides the Redis one); a server with
 * a {@code cluster} setting and no provider on its class or module path cannot be created ({@code
 * Server.create} throws {@link IllegalStateException} saying so).
 */
public interface BackplaneProvider {

    /** A backplane for this configuration, not yet started. */
    Backplane create(ClusterConfig config);
}

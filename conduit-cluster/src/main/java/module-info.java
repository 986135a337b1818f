/**
 * Several Conduit servers as one, over Redis Streams (docs/cluster.md): the server's {@link
 * dev.conduit.server.spi.Backplane}, found through {@link java.util.ServiceLoader} when a server has a
 * {@code cluster} setting.
 */
module dev.conduit.cluster {
    requires static org.jspecify;
    requires transitive dev.conduit.server;
    requires lettuce.core;
    requires io.netty.common;
    requires io.netty.transport;
    requires org.slf4j;

    exports dev.conduit.cluster;

    provides dev.conduit.server.spi.BackplaneProvider with dev.conduit.cluster.RedisBackplaneProvider;
}

/**
 * Conduit's cluster over Redis: {@link dev.conduit.cluster.RedisBackplaneProvider} makes the backplane
 * of a server whose configuration has a {@code cluster} section ({@link
 * dev.conduit.server.ClusterConfig}). Everything else here is package-private; docs/cluster.md
 * explains the design.
 *
 * <p>Null-marked: a type in this package's API is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.conduit.cluster;

import org.jspecify.annotations.NullMarked;

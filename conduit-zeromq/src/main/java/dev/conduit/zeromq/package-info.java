/**
 * The ZeroMQ gateway's public face: its settings ({@link dev.conduit.zeromq.ZeroMqConfig}), the
 * server extension that runs it ({@link dev.conduit.zeromq.ZeroMqExtension}) and a running
 * gateway's ports ({@link dev.conduit.zeromq.ZeroMqGateway}). Everything else is package-private.
 *
 * <p>Null-marked: a type in this package's API is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.conduit.zeromq;

import org.jspecify.annotations.NullMarked;

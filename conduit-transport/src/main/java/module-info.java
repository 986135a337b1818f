/**
 * Connections that carry Conduit frames: TCP, and WebSocket on an HTTP port, over Netty (native epoll
 * or io_uring when they load, NIO otherwise), and in-memory pairs for in-process use and tests. Netty
 * stays behind this API.
 */
module dev.conduit.transport {
    requires static org.jspecify;
    requires transitive dev.conduit.protocol;
    requires io.netty.common;
    requires io.netty.buffer;
    requires io.netty.transport;
    requires io.netty.handler;
    requires io.netty.codec;
    requires io.netty.codec.http;
    requires io.netty.transport.classes.epoll;
    requires io.netty.transport.classes.io_uring;
    requires io.netty.transport.unix.common;
    requires org.slf4j;
    requires org.jctools.core;

    exports dev.conduit.transport;
}

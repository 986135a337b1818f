/**
 * The ZeroMQ gateway: ZeroMQ sockets (ZMTP 3, through JeroMQ) joining a Conduit server as peers
 * (docs/zeromq.md). A server extension: with this module on the path, a server whose settings turn
 * the gateway on ({@code zeromq:} in YAML, {@code zeromqPort}, {@code conduit server --zmq-port})
 * runs it. Start at {@link dev.conduit.zeromq.ZeroMqConfig}.
 */
module dev.conduit.zeromq {
    requires static org.jspecify;
    requires transitive dev.conduit.server;
    requires dev.conduit.client;
    requires org.zeromq.jeromq;
    requires org.slf4j;

    exports dev.conduit.zeromq;

    provides dev.conduit.server.spi.ServerExtension with dev.conduit.zeromq.ZeroMqExtension;
}

package dev.conduit.transport;

import dev.conduit.protocol.ProtocolLimits;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A set of I/O threads (event loops) and the sockets they serve. One transport can both connect and
 * listen; each connection lives on one of its event loops for its whole life.
 */
public interface Transport extends Connector, AutoCloseable {

    /** Creates a transport with its event loops started. */
    static Transport create(TransportOptions options) {
        return NettyTransport.create(options);
    }

    /** The socket implementation in use: {@code epoll}, {@code io_uring} or {@code nio}. */
    String kind();

    /**
     * The event loops themselves, for a library built on the same Netty that can run its own
     * channels on them instead of on threads of its own (the cluster's Redis client, docs/cluster.md):
     * a Netty {@code EventLoopGroup} whose channels are of this transport's {@link #kind()}, or null
     * if this transport has none to share. Whatever runs there must never block or run user code,
     * and must be closed before this transport shuts down.
     */
    default java.util.concurrent.@Nullable ScheduledExecutorService eventLoops() {
        return null;
    }

    /**
     * Binds and starts accepting. For each accepted connection, {@code acceptor} is called on its I/O
     * thread to make the handler that receives its frames; frames are decoded within {@code limits}
     * until {@link Connection#inboundLimits} changes them.
     */
    default Listener listen(InetSocketAddress address, ProtocolLimits limits, Function<Connection, FrameHandler> acceptor) {
        return listen(address, limits, null, acceptor);
    }

    /**
     * As {@link #listen(InetSocketAddress, ProtocolLimits, Function)}, speaking TLS when {@code tls}
     * is not null: each accepted connection first completes a TLS handshake (its transport name is
     * then {@code tls}); bytes that are not TLS close it. The certificate files are read at once (a
     * bad one fails here, with an {@link IllegalArgumentException} naming it) and again when they
     * change (open connections whose client certificate a changed revocation list revokes are then
     * closed, after {@link FrameHandler#onPeerCertificateRevoked}); the returned listener's close
     * stops watching them. The TLS handshake has no deadline of
     * its own here: the acceptor's handler must close a connection that does not finish its
     * handshake in time (the server's handshake deadline does).
     */
    Listener listen(InetSocketAddress address, ProtocolLimits limits, @Nullable ServerTls tls,
                    Function<Connection, FrameHandler> acceptor);

    /**
     * Binds a Unix domain socket and starts accepting, as {@link #listen(InetSocketAddress,
     * ProtocolLimits, Function)} does; accepted connections are named {@code unix}. The file is
     * handled as {@link UnixSocket} describes (a stale one removed, the mode and owner set, the file
     * removed on close). The returned listener's {@link Listener#address()} is null.
     *
     * @throws java.io.UncheckedIOException naming the file if it cannot be bound or given its mode or owner
     */
    Listener listenUnix(UnixSocket socket, ProtocolLimits limits, Function<Connection, FrameHandler> acceptor);

    /**
     * Binds an HTTP port and starts accepting. A WebSocket upgrade at {@code webSocket.path()} from
     * an allowed origin becomes a {@link Connection} (transport name {@code ws}) whose frames travel
     * in binary WebSocket messages, each holding one or more whole frames; {@code acceptor} is called
     * on its I/O thread once the upgrade is done, and frames are decoded within {@code limits}, as
     * for {@link #listen}. A refused origin gets 403. Every other request is answered by {@code http}
     * on the I/O thread (GET and HEAD only; other methods get 405).
     */
    default Listener listenHttp(InetSocketAddress address, ProtocolLimits limits, WebSocketOptions webSocket,
                                Function<Connection, FrameHandler> acceptor, HttpService http) {
        return listenHttp(address, limits, webSocket, null, acceptor, http);
    }

    /**
     * As {@link #listenHttp(InetSocketAddress, ProtocolLimits, WebSocketOptions, Function,
     * HttpService)}, speaking TLS (https, and wss for WebSocket links) when {@code tls} is not null,
     * as {@link #listen(InetSocketAddress, ProtocolLimits, ServerTls, Function)} does.
     */
    default Listener listenHttp(InetSocketAddress address, ProtocolLimits limits, WebSocketOptions webSocket,
                                @Nullable ServerTls tls, Function<Connection, FrameHandler> acceptor, HttpService http) {
        return listenHttp(address, limits, webSocket, HttpPortOptions.DEFAULT, tls, acceptor, http);
    }

    /**
     * As {@link #listenHttp(InetSocketAddress, ProtocolLimits, WebSocketOptions, ServerTls, Function,
     * HttpService)}, with the port's limits before the upgrade: each accepted socket is first
     * admitted by {@code port.gate()} (a refused one is closed at once), then held to one deadline
     * for its TLS handshake, request, upgrade and response, to a bound on unread responses, and to
     * the allowed {@code Host} names (see {@link HttpPortOptions}).
     */
    Listener listenHttp(InetSocketAddress address, ProtocolLimits limits, WebSocketOptions webSocket,
                        HttpPortOptions port, @Nullable ServerTls tls, Function<Connection, FrameHandler> acceptor,
                        HttpService http);

    /** Shuts the event loops down; open connections are closed. */
    CompletableFuture<Void> shutdown();

    /** Shuts down and waits for it. */
    @Override
    void close();
}

package dev.conduit.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The client side of a {@code tls://} link, behind the TLS handler until its handshake is done: then
 * it puts the frame decoder in its place (which makes the connection's handler and completes the
 * connect). A failed handshake fails the connect with its reason (a wrong certificate authority, a
 * host name the certificate does not name, a refused protocol version), instead of handing out a
 * connection that then closes. Runs on the channel's event loop.
 */
final class TlsHandshakeGate extends ChannelInboundHandlerAdapter {
    private final NettyConnection connection;
    private final Function<Connection, FrameHandler> handlerFactory;
    private final CompletableFuture<Connection> pending;

    TlsHandshakeGate(NettyConnection connection, Function<Connection, FrameHandler> handlerFactory,
                     CompletableFuture<Connection> pending) {
        this.connection = connection;
        this.handlerFactory = handlerFactory;
        this.pending = pending;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (done.isSuccess()) {
                ctx.pipeline().replace(this, "conduit-frames", FrameDecoder.afterHandshake(connection, handlerFactory));
            } else {
                pending.completeExceptionally(done.cause());
                ctx.close();
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        pending.completeExceptionally(cause);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        pending.completeExceptionally(new IOException("the link closed before the TLS handshake completed"));
        super.channelInactive(ctx);
    }
}

package dev.conduit.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * The whole pipeline of an HTTP connection its {@link AcceptGate} refused (over a connection
 * limit): a plain one is written a 503 at once, before its request is read, and closed; a TLS one is
 * closed (answering would mean a handshake first). Nothing it sends is read.
 */
final class HttpRefusal extends ChannelInboundHandlerAdapter {
    private static final String BODY = "too many connections; try again later\n";
    private static final byte[] RESPONSE = ("HTTP/1.1 503 Service Unavailable\r\n"
            + "content-type: text/plain; charset=utf-8\r\ncontent-length: " + BODY.length() + "\r\n"
            + "connection: close\r\nretry-after: 1\r\n\r\n" + BODY).getBytes(StandardCharsets.US_ASCII);

    private final boolean plain;

    HttpRefusal(boolean plain) {
        this.plain = plain;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (plain) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(RESPONSE)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}

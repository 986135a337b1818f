package dev.conduit.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the WebSocket PONGs a peer that reads nothing can make us queue. Netty's WebSocket protocol
 * handler answers each PING frame by writing a PONG straight into the channel, past the connection's
 * own queue and its write back-pressure; this handler, just before it, counts the PONG bytes due
 * while the channel is not writable (the peer is not reading what we write) and closes the
 * connection once they pass {@link #MAX_BACKLOG_BYTES}. A writable channel starts the count again.
 *
 * <p>One per channel; runs on its event loop.
 */
final class PongBacklog extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(PongBacklog.class);
    /** 1 MiB of PONGs, as the server's default {@code maxPongBacklogBytes} for Conduit's own PINGs. */
    static final long MAX_BACKLOG_BYTES = 1 << 20;
    /** A server's unmasked PONG frame header: 2 bytes, plus 2 for a payload of 126 bytes or more. */
    private static final int HEADER_BYTES = 4;

    private final long maxBytes;
    private long backlog;

    PongBacklog(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof PingWebSocketFrame ping) {
            if (ctx.channel().isWritable()) {
                backlog = 0;
            } else {
                backlog += ping.content().readableBytes() + HEADER_BYTES;
                if (backlog > maxBytes) {
                    ping.release();
                    log.warn("closing WebSocket link {}: more than {} bytes of PONG queued for a peer that is not "
                            + "reading (WebSocket PING flood)", ctx.channel().remoteAddress(), maxBytes);
                    ctx.close();
                    return;
                }
            }
        }
        ctx.fireChannelRead(msg);
    }
}

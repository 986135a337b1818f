package dev.conduit.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * Answers a connection to the HTTP port whose first bytes cannot start an HTTP request with a 400
 * at once, and closes it. Netty's {@code HttpServerCodec} would otherwise wait for the end of a
 * request line that never comes (up to {@link WebSocketPipelines#MAX_INITIAL_LINE_BYTES} or the
 * request deadline): a Conduit client pointed with {@code tcp://} at this port sends a binary HELLO
 * and would wait for its connect timeout, where the 400 lets it say at once what is wrong.
 *
 * <p>A request starts with its method, a token (RFC 9110 section 5.6.2: letters, digits and {@code
 * !#$%&'*+-.^_`|~}), after optional empty lines (RFC 9112 section 2.2), and the method ends at a
 * space. Each byte before that space is checked as it arrives; the bytes pass on unchanged, and once
 * the space has passed the handler removes itself, so the codec alone judges the rest. It sits after
 * TLS, so it sees what the peer sent inside it. Runs on the channel's event loop; one per connection.
 */
final class NotHttpGuard extends ChannelInboundHandlerAdapter {
    static final String NAME = "not-http-guard";
    private static final String BODY = "not an HTTP request: this is a Conduit server's HTTP port, for WebSocket "
            + "links and HTTP pages; Conduit clients connect to it with ws://HOST:PORT/conduit\n";
    private static final byte[] RESPONSE = ("HTTP/1.1 400 Bad Request\r\n"
            + "content-type: text/plain; charset=utf-8\r\ncontent-length: " + BODY.length() + "\r\n"
            + "connection: close\r\n\r\n" + BODY).getBytes(StandardCharsets.US_ASCII);

    /** Whether a byte of the method has arrived (before it, empty lines are allowed). */
    private boolean inMethod;
    /** Answered 400: whatever else arrives before the close is dropped. */
    private boolean refused;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof ByteBuf bytes)) {
            super.channelRead(ctx, msg);
            return;
        }
        for (int i = bytes.readerIndex(); i < bytes.writerIndex(); i++) {
            byte b = bytes.getByte(i);
            if (b == ' ' && inMethod) {
                ctx.pipeline().remove(this);
                ctx.fireChannelRead(msg);
                return;
            } else if ((b == '\r' || b == '\n') && !inMethod) {
                continue;
            } else if (!isTokenChar(b)) {
                refused = true;
                ReferenceCountUtil.release(msg);
                ctx.channel().config().setAutoRead(false);
                ctx.writeAndFlush(Unpooled.wrappedBuffer(RESPONSE)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            inMethod = true;
        }
        ctx.fireChannelRead(msg);
    }

    static boolean isTokenChar(byte b) {
        return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
    }
}

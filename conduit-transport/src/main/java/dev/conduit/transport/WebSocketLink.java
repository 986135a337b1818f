package dev.conduit.transport;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Carries Conduit frames over an established WebSocket, between Netty's WebSocket codec (below)
 * and the {@link FrameDecoder} (above). Inbound, each binary message's payload goes up as one read,
 * which must hold whole frames; a text message, or a WebSocket frame Netty's decoder refuses
 * (malformed, or larger than the bound), is a fatal protocol error that the connection's handler
 * answers with an ERROR frame before the link closes. Outbound, the bytes {@link NettyConnection}
 * writes between two flushes become one binary message (it bounds a flush by {@link #flushBytes}).
 *
 * <p>Closing: a graceful close sends a close frame, keeps reading until the peer's close frame
 * arrives (or the linger ends), then closes the socket; a close frame from the peer is answered
 * with one and the socket closed. Ping and pong are answered and dropped by Netty below.
 *
 * <p>Runs on the channel's event loop; created when the upgrade completes, one per link.
 */
final class WebSocketLink extends ChannelDuplexHandler implements LinkStyle {
    /** Most bytes one message carries when it holds several frames: the smallest frame bound. */
    static final int MESSAGE_BATCH_BYTES = ProtocolLimits.MIN_FRAME_BYTES;

    private final FrameDecoder decoder;
    private final NettyConnection connection;
    private @Nullable CompositeByteBuf pending;
    private final List<ChannelPromise> pendingPromises = new ArrayList<>();
    private boolean closeSent;
    /** The close code sent when the link closes: set by the protocol error that ends it. */
    private WebSocketCloseStatus closeStatus = WebSocketCloseStatus.NORMAL_CLOSURE;

    /** {@code ws}, or {@code wss} over TLS. */
    private final String name;

    private WebSocketLink(Channel channel, ProtocolLimits limits, Function<Connection, FrameHandler> handlerFactory) {
        this.name = channel.pipeline().get(SslHandler.class) != null ? "wss" : "ws";
        this.connection = new NettyConnection(channel, limits, this);
        this.decoder = FrameDecoder.forMessages(connection, handlerFactory);
    }

    /**
     * Runs on the event loop once the upgrade is done: adds the link and its frame decoder at the
     * end of the pipeline, which makes the connection's handler.
     */
    static void attach(Channel channel, ProtocolLimits limits, Function<Connection, FrameHandler> handlerFactory) {
        WebSocketLink link = new WebSocketLink(channel, limits, handlerFactory);
        channel.pipeline().addLast("conduit-ws-link", link);
        channel.pipeline().addLast("conduit-frames", link.decoder);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long flushBytes() {
        return MESSAGE_BATCH_BYTES;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof BinaryWebSocketFrame binary) {
            ctx.fireChannelRead(binary.content());
        } else if (msg instanceof CloseWebSocketFrame close) {
            try {
                peerClosed(ctx, close);
            } finally {
                close.release();
            }
        } else if (msg instanceof WebSocketFrame frame) {
            frame.release();
            refuse(WebSocketCloseStatus.INVALID_MESSAGE_TYPE, "text WebSocket messages are not allowed:"
                    + " Conduit frames travel in binary messages");
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void peerClosed(ChannelHandlerContext ctx, CloseWebSocketFrame close) {
        if (closeSent) {
            ctx.close();
            return;
        }
        closeSent = true;
        flushPending(ctx);
        int code = close.statusCode();
        CloseWebSocketFrame answer = code == -1 ? new CloseWebSocketFrame()
                : new CloseWebSocketFrame(code, "");
        ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof Violation v) {
            refuse(v.status(), v.message());
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Violation v = Violation.of(cause);
        if (v != null) {
            refuse(v.status(), v.message());
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    private void refuse(WebSocketCloseStatus status, String message) {
        ErrorCode code = status.code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code() ? ErrorCode.FRAME_TOO_LARGE
                : ErrorCode.PROTOCOL_ERROR;
        closeStatus = status;
        decoder.fail(new ProtocolException(code, message));
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.write(msg, promise);
            return;
        }
        if (closeSent) {
            ReferenceCountUtil.release(buf);
            promise.tryFailure(new java.nio.channels.ClosedChannelException());
            return;
        }
        if (!buf.isReadable() && pending == null) {
            ctx.write(buf, promise);
            return;
        }
        if (pending == null) {
            pending = ctx.alloc().compositeDirectBuffer(Integer.MAX_VALUE);
        }
        pending.addComponent(true, buf);
        if (!promise.isVoid()) {
            pendingPromises.add(promise);
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        flushPending(ctx);
        ctx.flush();
    }

    private void flushPending(ChannelHandlerContext ctx) {
        CompositeByteBuf bytes = pending;
        if (bytes == null) {
            return;
        }
        pending = null;
        BinaryWebSocketFrame message = new BinaryWebSocketFrame(bytes);
        if (pendingPromises.isEmpty()) {
            ctx.write(message, ctx.voidPromise());
            return;
        }
        List<ChannelPromise> waiting = List.copyOf(pendingPromises);
        pendingPromises.clear();
        ctx.write(message).addListener(f -> {
            for (ChannelPromise p : waiting) {
                if (f.isSuccess()) {
                    p.trySuccess();
                } else {
                    p.tryFailure(f.cause());
                }
            }
        });
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    @Override
    public void closeGracefully(Channel channel, long lingerMillis) {
        ChannelHandlerContext ctx = channel.pipeline().context(this);
        if (ctx == null || closeSent) {
            channel.close();
            return;
        }
        flushPending(ctx);
        closeSent = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(closeStatus)).addListener(f -> {
            if (!f.isSuccess()) {
                channel.close();
            }
        });
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, lingerMillis, TimeUnit.MILLISECONDS);
    }

    /** A WebSocket frame or message the codec refused, on its way from {@link Violations} to the link. */
    record Violation(WebSocketCloseStatus status, String message) {
        static @Nullable Violation of(Throwable cause) {
            if (cause instanceof CorruptedWebSocketFrameException corrupted) {
                return new Violation(corrupted.closeStatus(), "bad WebSocket frame: " + corrupted.getMessage());
            }
            if (cause instanceof TooLongFrameException tooLong) {
                return new Violation(WebSocketCloseStatus.MESSAGE_TOO_BIG,
                        "WebSocket message too large: " + tooLong.getMessage());
            }
            return null;
        }
    }

    /**
     * Sits below Netty's WebSocket protocol handler, which closes the socket at once on any
     * exception: turns the codec's refusals into a {@link Violation} event for the link, so the peer
     * gets an ERROR frame and a close frame saying why.
     */
    @Sharable
    static final class Violations extends ChannelInboundHandlerAdapter {
        static final Violations INSTANCE = new Violations();

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Violation v = Violation.of(cause);
            if (v != null) {
                ctx.fireUserEventTriggered(v);
            } else {
                ctx.fireExceptionCaught(cause);
            }
        }
    }
}

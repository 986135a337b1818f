package dev.conduit.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The first handler of an accepted HTTP connection (before TLS): one absolute deadline ({@link
 * HttpPortOptions#requestDeadline}) for the TLS handshake, the request and the response, armed at
 * accept and again only once a response has been fully written, never by bytes arriving; and the
 * write water marks that tell {@link HttpFront} when a peer leaves more than {@link
 * HttpPortOptions#maxQueuedResponseBytes} unread. Removed, with the channel's own water marks put
 * back, once the connection has upgraded to a WebSocket link.
 *
 * <p>Runs on the channel's event loop; one per connection.
 */
final class HttpGuard extends ChannelInboundHandlerAdapter {
    static final String NAME = "http-guard";

    private final HttpPortOptions options;
    @SuppressWarnings("NullAway.Init") // set by handlerAdded, before anything else runs
    private ChannelHandlerContext ctx;
    private @Nullable ScheduledFuture<?> deadline;
    @SuppressWarnings("NullAway.Init") // set by handlerAdded
    private WriteBufferWaterMark original;
    /** Whether anything arrived since the deadline was last armed: a silent idle connection is closed quietly. */
    private boolean heard;

    HttpGuard(HttpPortOptions options) {
        this.options = options;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        original = ctx.channel().config().getWriteBufferWaterMark();
        int high = options.maxQueuedResponseBytes();
        ctx.channel().config().setWriteBufferWaterMark(new WriteBufferWaterMark(Math.max(1, high / 2), high));
        rearm();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
        if (ctx.channel().isOpen()) {
            ctx.channel().config().setWriteBufferWaterMark(original);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        heard = true;
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    /** A response was fully written on a kept-alive connection: the next request gets a whole deadline. */
    void rearm() {
        cancel();
        heard = false;
        long nanos = options.requestDeadline().toNanos();
        deadline = ctx.executor().schedule(() -> {
            if (ctx.channel().isOpen() && heard) {
                options.gate().refused(String.valueOf(ctx.channel().remoteAddress()), "handshakeTimeout",
                        "closed: no complete request, upgrade and response within "
                                + options.requestDeadline().toMillis() + " ms");
            }
            ctx.close(); // an idle kept-alive connection, or a browser's unused preconnect, goes unlogged
        }, nanos, TimeUnit.NANOSECONDS);
    }

    /** Whether the peer has left more than the bound of responses unread (until it reads half of them). */
    boolean overQueued() {
        return !ctx.channel().isWritable();
    }

    private void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}

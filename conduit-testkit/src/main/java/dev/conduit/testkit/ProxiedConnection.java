package dev.conduit.testkit;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One connection through the proxy: the socket a client opened to it, the socket the proxy opened
 * to the target, and a {@link Pipe} each way between them.
 *
 * <p>Runs on one event loop: both channels are registered with the loop that accepted the client,
 * and every method here is called on it, so nothing here is guarded.
 */
final class ProxiedConnection {

    /**
     * CONNECTING (to the target) -> OPEN -> CLOSED. A byte limit reached goes OPEN -> CUTTING ->
     * CLOSED: CUTTING forwards nothing more and waits for the last bytes to be written before the
     * reset. Either channel closing does not change the state; the pipes finish their work first.
     */
    private enum State { CONNECTING, OPEN, CUTTING, CLOSED }

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private final NettyFaultProxy proxy;
    private final Channel client;
    private final Pipe toTarget;
    private final Pipe fromTarget;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private @Nullable Channel target;
    private State state = State.CONNECTING;
    private int openChannels;

    ProxiedConnection(NettyFaultProxy proxy, Channel client) {
        this.proxy = proxy;
        this.client = client;
        this.toTarget = new Pipe(this, proxy, FaultProxy.Direction.TO_TARGET);
        this.fromTarget = new Pipe(this, proxy, FaultProxy.Direction.FROM_TARGET);
    }

    EventLoop loop() {
        return client.eventLoop();
    }

    /** Completes, on the event loop, once both sockets are closed. */
    CompletableFuture<Void> closeFuture() {
        return closed;
    }

    boolean isOpen() {
        return state == State.OPEN;
    }

    /** Connects to the target; the client's socket is read only once that has succeeded. */
    void open() {
        client.pipeline().addLast(new Relay(toTarget, fromTarget));
        track(client);
        ChannelFuture connect = new Bootstrap()
                .group(client.eventLoop())
                .channel(NioSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, NettyFaultProxy.waterMark())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .handler(new Relay(fromTarget, toTarget))
                .connect(proxy.target());
        target = connect.channel();
        track(target);
        toTarget.attach(client, target);
        fromTarget.attach(target, client);
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                reset(); // nothing to forward to: the client sees its connection reset
            } else if (state == State.CONNECTING) {
                state = State.OPEN;
                applyFaults();
            }
        });
    }

    /** Picks up changed faults (a new byte limit, a black hole lifted) and acts on them. */
    void applyFaults() {
        if (state == State.OPEN) {
            toTarget.applyFaults();
        }
        if (state == State.OPEN) {
            fromTarget.applyFaults();
        }
    }

    /** Resets both sides now, counting a cut. */
    void cut() {
        if (state == State.CLOSED) {
            return;
        }
        proxy.countCut();
        reset();
    }

    /** A byte limit was reached: forwards nothing more and cuts once {@code sink} has written all it holds. */
    void cutAfterFlush(Channel sink) {
        if (state != State.OPEN) {
            return;
        }
        state = State.CUTTING;
        client.config().setAutoRead(false);
        Objects.requireNonNull(target, "an open connection has its target").config().setAutoRead(false);
        sink.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> cut());
    }

    /** Resets both sides now, without counting a cut (the proxy closing, the target unreachable). */
    void reset() {
        state = State.CLOSED;
        toTarget.release();
        fromTarget.release();
        reset(client);
        reset(target);
    }

    /** Closes {@code channel} with a TCP reset rather than an orderly FIN. */
    static void reset(@Nullable Channel channel) {
        if (channel == null || !channel.isOpen()) {
            return;
        }
        try {
            channel.config().setOption(ChannelOption.SO_LINGER, 0);
        } catch (RuntimeException notConnectedYet) {
            // A socket still connecting has nothing to reset; closing it is enough.
        }
        channel.close();
    }

    private void track(Channel channel) {
        openChannels++;
        channel.closeFuture().addListener(f -> {
            if (--openChannels == 0) {
                state = State.CLOSED;
                toTarget.release();
                fromTarget.release();
                proxy.closed(this); // before completing, so that whoever waits sees it gone
                closed.complete(null);
            }
        });
    }

    /** Hands what one channel reads to the pipe it feeds, and its writability to the pipe it drains. */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        private final Pipe out;
        private final Pipe in;

        Relay(Pipe out, Pipe in) {
            this.out = out;
            this.in = in;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            out.received((ByteBuf) msg);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            in.pump();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            in.release(); // nothing more can be written to this side
            out.sourceEnded();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Typically "connection reset by peer": pass the reset on to the other side.
            out.sourceFailed();
            ctx.close();
        }
    }
}

package dev.conduit.benchmarks;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * W7's upper bound: a length-prefixed (4-byte length, then payload) echo server and client on raw
 * Netty, native epoll when it loads. The server writes back every frame it reads, flushing once per
 * read and pausing reads while its socket is not writable.
 */
final class NettyEcho implements AutoCloseable {
    private static final int MAX_FRAME = 1 << 20;

    private final EventLoopGroup group;
    private final Channel channel;

    private NettyEcho(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    static IoHandlerFactory ioHandler() {
        return Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    static Class<? extends ServerSocketChannel> serverChannel() {
        return Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    static Class<? extends SocketChannel> clientChannel() {
        return Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** An echo server on 127.0.0.1:port (0 for any free one). */
    static NettyEcho start(int port, int ioThreads) throws InterruptedException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(ioThreads, ioHandler());
        Channel ch = new ServerBootstrap().group(group).channel(serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        c.pipeline().addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4), new Echo());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
        return new NettyEcho(group, ch);
    }

    int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Runs an echo server in its own process: prints {@code PORT n}, stops when stdin closes or says quit. */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
        try (NettyEcho echo = start(port, threads)) {
            System.out.println("PORT " + echo.port());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.equals("quit")) {
                ServerMain.answer(line);
            }
        }
    }

    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** The client side: one connection to an echo server on 127.0.0.1:port. */
    static final class Client implements AutoCloseable {
        private final EventLoopGroup group;
        private final Channel channel;
        private final Receiver receiver;

        Client(int port) throws InterruptedException {
            group = new MultiThreadIoEventLoopGroup(1, ioHandler());
            receiver = new Receiver();
            channel = new Bootstrap().group(group).channel(clientChannel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            c.pipeline().addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME, 0, 4), receiver);
                        }
                    })
                    .connect(new InetSocketAddress("127.0.0.1", port)).sync().channel();
        }

        /**
         * W7 stream: writes {@code count} frames as fast as the socket takes them (on the event loop,
         * while writable) and counts the echoes; frames per second at the receiving side.
         */
        double[] stream(int count, int size, Deadline deadline) throws Exception {
            Sender sender = new Sender(count, size);
            receiver.expect(count, null);
            channel.pipeline().addFirst(sender.writability);
            channel.eventLoop().execute(() -> sender.send(channel));
            try {
                deadline.await(receiver.done, "echo stream (received " + receiver.received.get() + " of " + count + ")");
            } finally {
                channel.pipeline().remove(sender.writability);
            }
            return new double[] {Runs.rate(count, receiver.first, receiver.last), count};
        }

        /** W7 ping-pong: one frame at a time; p50, p99, p99.9 round trip in microseconds. */
        double[] pingPong(int count, int size, Deadline deadline) throws Exception {
            Histogram h = Runs.histogram();
            for (int i = 0; i < count; i++) {
                CompletableFuture<Void> echoed = new CompletableFuture<>();
                receiver.expect(1, echoed);
                long t0 = System.nanoTime();
                ByteBuf frame = channel.alloc().buffer(4 + size).writeInt(size).writeZero(size);
                channel.writeAndFlush(frame, channel.voidPromise());
                try {
                    echoed.get(deadline.remainingNanos() + 1_000_000, TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    throw new TimeoutException("echo ping-pong: no echo within " + deadline.budget());
                }
                h.recordValue(System.nanoTime() - t0);
            }
            return Runs.percentilesMicros(h);
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static final class Sender {
        final int count;
        final int size;
        int sent;
        final ChannelInboundHandlerAdapter writability = new ChannelInboundHandlerAdapter() {
            @Override
            public boolean isSharable() {
                return true;
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                if (ctx.channel().isWritable()) {
                    send(ctx.channel());
                }
                ctx.fireChannelWritabilityChanged();
            }
        };

        Sender(int count, int size) {
            this.count = count;
            this.size = size;
        }

        /** On the event loop: writes while the channel is writable, flushing every 64 frames. */
        void send(Channel ch) {
            int batch = 0;
            while (sent < count && ch.isWritable()) {
                ByteBuf frame = ch.alloc().buffer(4 + size).writeInt(size).writeZero(size);
                ch.write(frame, ch.voidPromise());
                sent++;
                if (++batch == 64) {
                    ch.flush();
                    batch = 0;
                }
            }
            ch.flush();
        }
    }

    @io.netty.channel.ChannelHandler.Sharable
    private static final class Receiver extends ChannelInboundHandlerAdapter {
        final AtomicLong received = new AtomicLong();
        volatile long expected;
        volatile CountDownLatch done = new CountDownLatch(1);
        volatile CompletableFuture<Void> single;
        volatile long first;
        volatile long last;

        void expect(long n, CompletableFuture<Void> future) {
            received.set(0);
            expected = n;
            done = new CountDownLatch(1);
            single = future;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
            long now = System.nanoTime();
            long n = received.incrementAndGet();
            if (n == 1) {
                first = now;
            }
            if (n == expected) {
                last = now;
                done.countDown();
                CompletableFuture<Void> f = single;
                if (f != null) {
                    f.complete(null);
                }
            }
        }
    }
}

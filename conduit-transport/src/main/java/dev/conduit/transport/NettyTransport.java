package dev.conduit.transport;

import dev.conduit.protocol.ProtocolLimits;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link Transport} over Netty event loops with the best socket implementation that loads. */
final class NettyTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(NettyTransport.class);

    private final EventLoopGroup group;
    private final Class<? extends Channel> channelType;
    private final Class<? extends ServerChannel> serverChannelType;
    private final String kind;

    private NettyTransport(EventLoopGroup group, Class<? extends Channel> channelType,
                           Class<? extends ServerChannel> serverChannelType, String kind) {
        this.group = group;
        this.channelType = channelType;
        this.serverChannelType = serverChannelType;
        this.kind = kind;
    }

    static NettyTransport create(TransportOptions options) {
        TransportOptions.Kind kind = options.kind();
        if (kind == TransportOptions.Kind.AUTO) {
            kind = Epoll.isAvailable() ? TransportOptions.Kind.EPOLL : TransportOptions.Kind.NIO;
            if (kind == TransportOptions.Kind.NIO) {
                log.debug("native epoll unavailable, using NIO", Epoll.unavailabilityCause());
            }
        }
        IoHandlerFactory factory;
        Class<? extends Channel> channel;
        Class<? extends ServerChannel> server;
        String name;
        switch (kind) {
            case EPOLL -> {
                Epoll.ensureAvailability();
                factory = EpollIoHandler.newFactory();
                channel = EpollSocketChannel.class;
                server = EpollServerSocketChannel.class;
                name = "epoll";
            }
            case IO_URING -> {
                IoUring.ensureAvailability();
                factory = IoUringIoHandler.newFactory();
                channel = IoUringSocketChannel.class;
                server = IoUringServerSocketChannel.class;
                name = "io_uring";
            }
            default -> {
                factory = NioIoHandler.newFactory();
                channel = NioSocketChannel.class;
                server = NioServerSocketChannel.class;
                name = "nio";
            }
        }
        DefaultThreadFactory threads = new DefaultThreadFactory("conduit-io", options.daemon());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(options.ioThreads(), threads, factory);
        return new NettyTransport(group, channel, server, name);
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public CompletableFuture<Connection> connect(Endpoint endpoint, Duration timeout,
                                                 Function<Connection, FrameHandler> handlerFactory) {
        CompletableFuture<Connection> result = new CompletableFuture<>();
        if (!endpoint.scheme().equals("tcp") && !endpoint.scheme().equals("ws")) {
            result.completeExceptionally(new UnsupportedOperationException(
                    "this transport cannot connect to " + endpoint.scheme() + " endpoints yet: " + endpoint));
            return result;
        }
        // Netty fulfils the connect promise before channelActive, where the handler is made: hand
        // the connection out only once its handler exists.
        Function<Connection, FrameHandler> factory = c -> {
            FrameHandler handler = handlerFactory.apply(c);
            result.complete(c);
            return handler;
        };
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (endpoint.webSocket()) {
                            WebSocketPipelines.client(ch, endpoint, timeout, factory, result);
                        } else {
                            ch.pipeline().addLast(new FrameDecoder(new NettyConnection(ch, ProtocolLimits.DEFAULT), factory));
                        }
                    }
                });
        ChannelFuture future;
        try {
            future = bootstrap.connect(endpoint.host(), endpoint.port());
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return result;
        }
        future.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
            }
        });
        return result;
    }

    @Override
    public Listener listen(InetSocketAddress address, ProtocolLimits limits,
                           Function<Connection, FrameHandler> acceptor) {
        return bind(address, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                NettyConnection c = new NettyConnection(ch, limits);
                ch.pipeline().addLast(new FrameDecoder(c, acceptor));
            }
        });
    }

    @Override
    public Listener listenHttp(InetSocketAddress address, ProtocolLimits limits, WebSocketOptions webSocket,
                               Function<Connection, FrameHandler> acceptor, HttpService http) {
        OriginPolicy origins = new OriginPolicy(webSocket, false);
        return bind(address, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                WebSocketPipelines.server(ch, limits, webSocket, origins, acceptor, http);
            }
        });
    }

    private Listener bind(InetSocketAddress address, ChannelInitializer<Channel> initializer) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(serverChannelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(initializer);
        Channel server = bootstrap.bind(address).syncUninterruptibly().channel();
        InetSocketAddress bound = (InetSocketAddress) server.localAddress();
        return new Listener() {
            @Override
            public InetSocketAddress address() {
                return bound;
            }

            @Override
            public CompletableFuture<Void> close() {
                CompletableFuture<Void> done = new CompletableFuture<>();
                server.close().addListener(f -> done.complete(null));
                return done;
            }
        };
    }

    @Override
    public CompletableFuture<Void> shutdown() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).addListener(f -> done.complete(null));
        return done;
    }

    @Override
    public void close() {
        shutdown().join();
    }
}

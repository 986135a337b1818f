package dev.conduit.transport;

import dev.conduit.protocol.ProtocolLimits;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
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
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerDomainSocketChannel;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link Transport} over Netty event loops with the best socket implementation that loads. */
final class NettyTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(NettyTransport.class);

    private final EventLoopGroup group;
    private final Class<? extends Channel> channelType;
    private final Class<? extends ServerChannel> serverChannelType;
    /** Unix domain socket channels of the same implementation as the TCP ones. */
    private final Class<? extends Channel> domainChannelType;
    private final Class<? extends ServerChannel> domainServerChannelType;
    private final String kind;
    /** Client TLS contexts by configuration, so that reconnects do not read the files again. */
    private final Map<ClientTls, SslContext> clientContexts = new ConcurrentHashMap<>();
    /** Times the listeners' TLS file checks. */
    private final Clock clock;

    private NettyTransport(EventLoopGroup group, Class<? extends Channel> channelType,
                           Class<? extends ServerChannel> serverChannelType, Class<? extends Channel> domainChannelType,
                           Class<? extends ServerChannel> domainServerChannelType, String kind,
                           Clock clock) {
        this.group = group;
        this.clock = clock;
        this.channelType = channelType;
        this.serverChannelType = serverChannelType;
        this.domainChannelType = domainChannelType;
        this.domainServerChannelType = domainServerChannelType;
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
        Class<? extends Channel> domain;
        Class<? extends ServerChannel> domainServer;
        String name;
        switch (kind) {
            case EPOLL -> {
                Epoll.ensureAvailability();
                factory = EpollIoHandler.newFactory();
                channel = EpollSocketChannel.class;
                server = EpollServerSocketChannel.class;
                domain = EpollDomainSocketChannel.class;
                domainServer = EpollServerDomainSocketChannel.class;
                name = "epoll";
            }
            case IO_URING -> {
                IoUring.ensureAvailability();
                factory = IoUringIoHandler.newFactory();
                channel = IoUringSocketChannel.class;
                server = IoUringServerSocketChannel.class;
                domain = IoUringDomainSocketChannel.class;
                domainServer = IoUringServerDomainSocketChannel.class;
                name = "io_uring";
            }
            default -> {
                factory = NioIoHandler.newFactory();
                channel = NioSocketChannel.class;
                server = NioServerSocketChannel.class;
                domain = NioDomainSocketChannel.class;
                domainServer = NioServerDomainSocketChannel.class;
                name = "nio";
            }
        }
        DefaultThreadFactory threads = new DefaultThreadFactory("conduit-io", options.daemon());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(options.ioThreads(), threads, factory);
        return new NettyTransport(group, channel, server, domain, domainServer, name, options.clock());
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public EventLoopGroup eventLoops() {
        return group;
    }

    @Override
    public CompletableFuture<Connection> connect(Endpoint endpoint, Duration timeout,
                                                 Function<Connection, FrameHandler> handlerFactory) {
        return connect(endpoint, timeout, ClientTls.DEFAULT, handlerFactory);
    }

    @Override
    public CompletableFuture<Connection> connect(Endpoint endpoint, Duration timeout, ClientTls tls,
                                                 Function<Connection, FrameHandler> handlerFactory) {
        CompletableFuture<Connection> result = new CompletableFuture<>();
        SslContext ssl;
        try {
            ssl = endpoint.secure() ? clientContexts.computeIfAbsent(tls, TlsContexts::client) : null;
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            return result;
        }
        // Netty fulfils the connect promise before channelActive, where the handler is made: hand
        // the connection out only once its handler exists.
        Function<Connection, FrameHandler> factory = c -> {
            FrameHandler handler = handlerFactory.apply(c);
            result.complete(c);
            return handler;
        };
        long timeoutMillis = Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        if (endpoint.unix()) {
            return connectUnix(endpoint, timeoutMillis, factory, result);
        }
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, NettyConnection.WATER_MARK)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMillis)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (ssl != null) {
                            SslHandler handler = ssl.newHandler(ch.alloc(), endpoint.host(), endpoint.port());
                            handler.setHandshakeTimeoutMillis(timeoutMillis);
                            ch.pipeline().addLast("tls", handler);
                        }
                        if (endpoint.webSocket()) {
                            WebSocketPipelines.client(ch, endpoint, timeout, factory, result);
                        } else if (ssl != null) {
                            ch.pipeline().addLast("tls-handshake", new TlsHandshakeGate(
                                    new NettyConnection(ch, ProtocolLimits.DEFAULT, LinkStyle.TLS), factory, result));
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

    private CompletableFuture<Connection> connectUnix(Endpoint endpoint, long timeoutMillis,
                                                      Function<Connection, FrameHandler> factory,
                                                      CompletableFuture<Connection> result) {
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(domainChannelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMillis)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new FrameDecoder(
                                new NettyConnection(ch, ProtocolLimits.DEFAULT, LinkStyle.UNIX), factory));
                    }
                });
        try {
            bootstrap.connect(unixAddress(Path.of(endpoint.path()))).addListener(f -> {
                if (!f.isSuccess()) {
                    result.completeExceptionally(f.cause());
                }
            });
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    /** The address type the domain socket channels of this implementation take. */
    private SocketAddress unixAddress(Path path) {
        return kind.equals("nio") ? UnixDomainSocketAddress.of(path) : new DomainSocketAddress(path.toString());
    }

    @Override
    public Listener listenUnix(UnixSocket socket, ProtocolLimits limits, Function<Connection, FrameHandler> acceptor) {
        Path path = socket.path();
        UnixSocketFiles.clearStale(path);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(domainServerChannelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new FrameDecoder(new NettyConnection(ch, limits, LinkStyle.UNIX), acceptor));
                    }
                });
        Channel server = bootstrap.bind(unixAddress(path)).syncUninterruptibly().channel();
        try {
            UnixSocketFiles.applyAttributes(socket);
        } catch (RuntimeException e) {
            server.close().syncUninterruptibly();
            UnixSocketFiles.remove(path);
            throw e;
        }
        return new Listener() {
            @Override
            public @Nullable InetSocketAddress address() {
                return null;
            }

            @Override
            public CompletableFuture<Void> close() {
                CompletableFuture<Void> done = new CompletableFuture<>();
                server.close().addListener(f -> {
                    UnixSocketFiles.remove(path);
                    done.complete(null);
                });
                return done;
            }
        };
    }

    @Override
    public Listener listen(InetSocketAddress address, ProtocolLimits limits, @Nullable ServerTls tls,
                           Function<Connection, FrameHandler> acceptor) {
        return listen(address, limits, tls == null ? null : new ServerTlsContext(tls, clock), acceptor);
    }

    /** As {@link #listen(InetSocketAddress, ProtocolLimits, ServerTls, Function)}, with its TLS context made; for tests. */
    Listener listen(InetSocketAddress address, ProtocolLimits limits, @Nullable ServerTlsContext ssl,
                    Function<Connection, FrameHandler> acceptor) {
        return bind(address, ssl, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                if (ssl != null) {
                    // The acceptor's own handshake deadline (from accept to WELCOME) bounds the TLS
                    // handshake too; Netty's fixed 10 s would cut a longer configured one short.
                    ssl.addHandler(ch).setHandshakeTimeoutMillis(0);
                }
                NettyConnection c = new NettyConnection(ch, limits, ssl != null ? LinkStyle.TLS : LinkStyle.TCP);
                ch.pipeline().addLast(new FrameDecoder(c, acceptor));
            }
        });
    }

    @Override
    public Listener listenHttp(InetSocketAddress address, ProtocolLimits limits, WebSocketOptions webSocket,
                               HttpPortOptions port, @Nullable ServerTls tls, Function<Connection, FrameHandler> acceptor,
                               HttpService http) {
        AllowedHosts hosts = new AllowedHosts(port.allowedHosts());
        OriginPolicy origins = new OriginPolicy(webSocket, tls != null, hosts);
        ServerTlsContext ssl = tls == null ? null : new ServerTlsContext(tls, clock);
        AcceptGate gate = port.gate();
        return bind(address, ssl, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                String remoteHost = ch.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                        ? a.getAddress().getHostAddress() : null;
                Runnable release = gate.admit(remoteHost);
                if (release == null) {
                    ch.pipeline().addLast(new HttpRefusal(ssl == null));
                    return;
                }
                ch.closeFuture().addListener(f -> release.run());
                if (ssl != null) {
                    // HttpGuard's deadline bounds the TLS handshake with the rest.
                    ssl.addHandler(ch).setHandshakeTimeoutMillis(0);
                }
                WebSocketPipelines.server(ch, limits, webSocket, port, origins, hosts, acceptor, http);
            }
        });
    }

    /** Binds, or fails (closing {@code tls}); the listener's close closes {@code tls} too. */
    private Listener bind(InetSocketAddress address, @Nullable ServerTlsContext tls, ChannelInitializer<Channel> initializer) {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(serverChannelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, NettyConnection.WATER_MARK)
                .childHandler(initializer);
        Channel server;
        try {
            server = bootstrap.bind(address).syncUninterruptibly().channel();
        } catch (Throwable e) { // Netty rethrows a bind failure's IOException unchecked
            if (tls != null) {
                tls.close();
            }
            throw e;
        }
        InetSocketAddress bound = (InetSocketAddress) server.localAddress();
        return new Listener() {
            @Override
            public InetSocketAddress address() {
                return bound;
            }

            @Override
            public CompletableFuture<Void> close() {
                CompletableFuture<Void> done = new CompletableFuture<>();
                if (tls != null) {
                    tls.close();
                }
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

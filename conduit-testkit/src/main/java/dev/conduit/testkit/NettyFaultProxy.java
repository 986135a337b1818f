package dev.conduit.testkit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The {@link FaultProxy} behind {@link FaultProxy#start}: a Netty NIO server socket and one event
 * loop. Both channels of a proxied connection live on that loop, so a {@link ProxiedConnection}'s
 * state needs no locks; the faults are volatile fields here, set by the test's thread and read by
 * the loop, and each change is followed by a task on the loop (see {@link #applyToEach}) that makes
 * every connection act on it before the setter returns.
 */
final class NettyFaultProxy implements FaultProxy {

    /** How long a setter or {@link #cutAll()} waits for the event loop before giving up. */
    private static final long LOOP_WAIT_SECONDS = 10;

    /** A byte limit for one direction; a new instance per call, so connections can tell a new one. */
    record Limit(long bytes) {
        static final Limit NONE = new Limit(Long.MAX_VALUE);
    }

    private final InetSocketAddress target;
    private final EventLoopGroup group;
    private final Channel server;
    private final Set<ProxiedConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    private volatile Limit toTargetLimit = Limit.NONE;
    private volatile Limit fromTargetLimit = Limit.NONE;
    private volatile long delayNanos;
    private volatile long bytesPerSecond;
    private volatile boolean blackHole;
    private volatile boolean refuse;

    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong cuts = new AtomicLong();
    private final LongAdder forwardedToTarget = new LongAdder();
    private final LongAdder forwardedFromTarget = new LongAdder();

    private NettyFaultProxy(InetSocketAddress target) {
        this.target = target;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("conduit-fault-proxy", true),
                NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false) // reading starts once the target has accepted
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, waterMark())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accept(ch);
                    }
                });
        try {
            server = bootstrap.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the bind failure's IOException unchecked
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new UncheckedIOException("fault proxy cannot listen on 127.0.0.1: " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    static NettyFaultProxy start(InetSocketAddress target) {
        return new NettyFaultProxy(Objects.requireNonNull(target, "target"));
    }

    static WriteBufferWaterMark waterMark() {
        return new WriteBufferWaterMark(256 * 1024, 1024 * 1024);
    }

    /** Runs on the event loop for each accepted socket. */
    private void accept(SocketChannel ch) {
        accepted.incrementAndGet();
        if (refuse || closed.get()) {
            refused.incrementAndGet();
            ProxiedConnection.reset(ch);
            return;
        }
        ProxiedConnection connection = new ProxiedConnection(this, ch);
        // Registered before it reads the faults, so that a setter either finds it or was done first.
        connections.add(connection);
        connection.open();
    }

    @Override
    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public InetSocketAddress target() {
        return target;
    }

    @Override
    public void cutAll() {
        // Connections accepted meanwhile are not cut, and not waited for.
        for (ProxiedConnection c : applyToEach(ProxiedConnection::cut)) {
            c.closeFuture().orTimeout(LOOP_WAIT_SECONDS, TimeUnit.SECONDS).join();
        }
    }

    @Override
    public void cutAfterBytes(long bytes) {
        requireNonNegative(bytes, "bytes");
        toTargetLimit = new Limit(bytes);
        fromTargetLimit = new Limit(bytes);
        applyToEach(ProxiedConnection::applyFaults);
    }

    @Override
    public void cutAfterBytes(Direction direction, long bytes) {
        Objects.requireNonNull(direction, "direction");
        requireNonNegative(bytes, "bytes");
        if (direction == Direction.TO_TARGET) {
            toTargetLimit = new Limit(bytes);
        } else {
            fromTargetLimit = new Limit(bytes);
        }
        applyToEach(ProxiedConnection::applyFaults);
    }

    @Override
    public void delay(Duration latency) {
        Objects.requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must be >= 0: " + latency);
        }
        delayNanos = latency.toNanos();
        applyToEach(ProxiedConnection::applyFaults);
    }

    @Override
    public void throttle(long bytesPerSecond) {
        requireNonNegative(bytesPerSecond, "bytesPerSecond");
        this.bytesPerSecond = bytesPerSecond;
        applyToEach(ProxiedConnection::applyFaults);
    }

    @Override
    public void blackHole(boolean on) {
        blackHole = on;
        applyToEach(ProxiedConnection::applyFaults);
    }

    @Override
    public void refuse(boolean on) {
        refuse = on;
    }

    @Override
    public void clearFaults() {
        toTargetLimit = Limit.NONE;
        fromTargetLimit = Limit.NONE;
        delayNanos = 0;
        bytesPerSecond = 0;
        blackHole = false;
        refuse = false;
        applyToEach(ProxiedConnection::applyFaults);
    }

    @Override
    public int connectionCount() {
        return connections.size();
    }

    @Override
    public long acceptedCount() {
        return accepted.get();
    }

    @Override
    public long refusedCount() {
        return refused.get();
    }

    @Override
    public long cutCount() {
        return cuts.get();
    }

    @Override
    public long bytesForwarded(Direction direction) {
        return (direction == Direction.TO_TARGET ? forwardedToTarget : forwardedFromTarget).sum();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.close().awaitUninterruptibly(LOOP_WAIT_SECONDS, TimeUnit.SECONDS);
        applyToEach(ProxiedConnection::reset);
        group.shutdownGracefully(0, LOOP_WAIT_SECONDS, TimeUnit.SECONDS)
                .awaitUninterruptibly(LOOP_WAIT_SECONDS + 1, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "FaultProxy[" + endpoint() + " -> " + target.getHostString() + ":" + target.getPort() + "]";
    }

    /**
     * Runs {@code action} on each open connection's event loop and waits for all of them: once this
     * returns, no connection acts on the faults as they were before.
     *
     * @return the connections it ran on
     */
    private List<ProxiedConnection> applyToEach(Consumer<ProxiedConnection> action) {
        List<ProxiedConnection> each = new ArrayList<>(connections);
        List<Future<?>> done = new ArrayList<>();
        for (ProxiedConnection c : each) {
            done.add(c.loop().submit(() -> action.accept(c)));
        }
        for (Future<?> f : done) {
            if (!f.awaitUninterruptibly(LOOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("fault proxy event loop did not answer within " + LOOP_WAIT_SECONDS + " s");
            }
        }
        return each;
    }

    private static void requireNonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0: " + value);
        }
    }

    // Read by connections on the event loop.

    EventLoopGroup group() {
        return group;
    }

    Limit limit(Direction direction) {
        return direction == Direction.TO_TARGET ? toTargetLimit : fromTargetLimit;
    }

    long delayNanos() {
        return delayNanos;
    }

    long bytesPerSecond() {
        return bytesPerSecond;
    }

    boolean blackHole() {
        return blackHole;
    }

    void closed(ProxiedConnection connection) {
        connections.remove(connection);
    }

    void countCut() {
        cuts.incrementAndGet();
    }

    void countForwarded(Direction direction, long bytes) {
        (direction == Direction.TO_TARGET ? forwardedToTarget : forwardedFromTarget).add(bytes);
    }
}

package dev.conduit.cluster;

import dev.conduit.server.spi.BackplaneHost;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lettuce's event loops are the server's own (docs/cluster.md, Threads): an {@code XADD} written by
 * the event loop that routed a publish goes out on the socket at once when its connection lives on
 * that loop, and an {@code XREAD} reply is routed to a session of that loop without a hand-off,
 * where with loops of Lettuce's own each is a wake-up of another thread. The server owns the loops:
 * releasing or shutting them down here does nothing (the server shuts them down after the backplane
 * has closed). Only used when Lettuce would make channels of the server's socket implementation
 * ({@link #of}), since a channel registers only on loops of its own kind.
 */
final class SharedEventLoops implements EventLoopGroupProvider {
    private static final Logger log = LoggerFactory.getLogger(SharedEventLoops.class);

    private final EventLoopGroup group;
    private final int threads;

    private SharedEventLoops(EventLoopGroup group) {
        this.group = group;
        int n = 0;
        for (var ignored : group) {
            n++;
        }
        this.threads = n;
    }

    /**
     * Gives Lettuce the server's loops when they can host its channels ({@link #of}); otherwise
     * leaves it its own, and logs that.
     */
    static ClientResources.Builder onto(ClientResources.Builder resources, BackplaneHost host) {
        SharedEventLoops loops = of(host.eventLoops(), host.eventLoopKind());
        if (loops != null) {
            return resources.eventLoopGroupProvider(loops);
        }
        log.info("the server's event loops ({}) cannot host Lettuce's channels: it runs loops of its own",
                host.eventLoopKind());
        return resources;
    }

    /**
     * The server's loops for Lettuce, or null if they cannot host its channels: none given, not a
     * Netty group, or of another socket implementation than the one Lettuce picks ({@code kind}
     * is the server's: {@code epoll}, {@code io_uring} or {@code nio}).
     */
    static @Nullable SharedEventLoops of(@Nullable ScheduledExecutorService loops, String kind) {
        if (!(loops instanceof EventLoopGroup group)) {
            return null;
        }
        String lettuce = Transports.socketChannelClass().getSimpleName();
        boolean same = switch (kind) {
            case "epoll" -> lettuce.equals("EpollSocketChannel");
            case "io_uring" -> lettuce.equals("IoUringSocketChannel");
            case "nio" -> lettuce.equals("NioSocketChannel");
            default -> false;
        };
        return same ? new SharedEventLoops(group) : null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends EventLoopGroup> T allocate(Class<T> type) {
        if (!type.isInstance(group)) {
            throw new IllegalStateException("Lettuce asked for a " + type.getName() + ", the server's loops are a "
                    + group.getClass().getName());
        }
        return (T) group;
    }

    @Override
    public int threadPoolSize() {
        return threads;
    }

    @Override
    public Future<Boolean> release(EventExecutorGroup eventLoopGroup, long quietPeriod, long timeout, TimeUnit unit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true); // the server's: it shuts them down
    }

    @Override
    public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit timeUnit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
    }
}

package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SharedEventLoopsTest {
    /** The server's kind that matches the channels Lettuce makes on this machine. */
    private static final String LETTUCE_KIND = switch (Transports.socketChannelClass().getSimpleName()) {
        case "EpollSocketChannel" -> "epoll";
        case "IoUringSocketChannel" -> "io_uring";
        default -> "nio";
    };

    @Test
    void onlyANettyGroupOfLettucesKindIsShared() {
        assertThat(SharedEventLoops.of(null, LETTUCE_KIND)).isNull();
        ScheduledExecutorService plain = Executors.newSingleThreadScheduledExecutor();
        try {
            assertThat(SharedEventLoops.of(plain, LETTUCE_KIND)).isNull();
        } finally {
            plain.shutdownNow();
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try {
            String other = LETTUCE_KIND.equals("nio") ? "epoll" : "nio";
            assertThat(SharedEventLoops.of(group, other)).isNull();
            assertThat(SharedEventLoops.of(group, "unknown")).isNull();
            assertThat(SharedEventLoops.of(group, LETTUCE_KIND)).isNotNull();
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
    }

    @Test
    void lettuceGetsTheServersLoopsAndCannotShutThemDown() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try {
            SharedEventLoops loops = SharedEventLoops.of(group, LETTUCE_KIND);
            assertThat(loops).isNotNull();
            assertThat(loops.allocate(MultiThreadIoEventLoopGroup.class)).isSameAs(group);
            assertThat(loops.threadPoolSize()).isEqualTo(2);
            assertThatThrownBy(() -> loops.allocate(NioEventLoopGroup.class))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("NioEventLoopGroup");

            assertThat(loops.release(group, 0, 0, TimeUnit.MILLISECONDS).get()).isTrue();
            assertThat(loops.shutdown(0, 0, TimeUnit.MILLISECONDS).get()).isTrue();
            assertThat(group.isShuttingDown()).isFalse();
            assertThat(group.submit(() -> 42).get(10, TimeUnit.SECONDS)).isEqualTo(42);
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
    }
}

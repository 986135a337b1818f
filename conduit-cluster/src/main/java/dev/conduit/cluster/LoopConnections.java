package dev.conduit.cluster;

import dev.conduit.server.spi.BackplaneHost;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.RedisCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A send connection on each of the server's event loops that Lettuce runs on ({@link
 * Sender#onLoops}), so that a send round's commands leave from the loop it runs on, without a
 * hand-off to another loop (docs/cluster.md, "Where C2's round trip goes").
 */
final class LoopConnections {
    private static final Logger log = LoggerFactory.getLogger(LoopConnections.class);

    private LoopConnections() {
    }

    /**
     * Makes a few more send connections besides {@code first} (Lettuce gives a new connection's
     * channel the group's next loop), keeps one per loop (the loop a connection's replies complete
     * on is its channel's), closes the rest, and gives the sender those it kept.
     *
     * @return the connections made and kept, besides {@code first}; empty when Lettuce runs loops
     *     of its own, or if one could not be made (then the sender sends on {@code first} only)
     */
    static List<StatefulRedisConnection<String, byte[]>> onEachLoop(RedisClient client,
            RedisCodec<String, byte[]> codec, StatefulRedisConnection<String, byte[]> first, BackplaneHost host,
            Duration timeout, Sender sender) {
        // A target above the server's loop count on purpose: it bounds the tries (twice this), and
        // with exactly the count (SharedEventLoops.threadPoolSize) a C2 profile run showed every
        // send on one loop's connection (a wake-up more per request on each node); not understood yet.
        int loops = SharedEventLoops.of(host.eventLoops(), host.eventLoopKind()) == null ? 0
                : Math.min(8, Runtime.getRuntime().availableProcessors() * 2);
        if (loops <= 1) {
            return List.of();
        }
        Map<Thread, StatefulRedisConnection<String, byte[]>> kept = new HashMap<>();
        List<StatefulRedisConnection<String, byte[]>> extra = new ArrayList<>();
        try {
            kept.put(loopOf(first, timeout), first);
            for (int i = 0; i < loops * 2 && kept.size() < loops; i++) {
                StatefulRedisConnection<String, byte[]> c = client.connect(codec);
                if (kept.putIfAbsent(loopOf(c, timeout), c) == null) {
                    extra.add(c);
                } else {
                    c.close();
                }
            }
        } catch (RuntimeException e) {
            log.warn("one send connection per event loop could not be made ({}); sending on one", e.getMessage());
            extra.forEach(StatefulRedisConnection::close);
            return List.of();
        }
        Map<Thread, RedisAsyncCommands<String, byte[]>> byLoop = new HashMap<>();
        kept.forEach((thread, c) -> byLoop.put(thread, c.async()));
        sender.onLoops(byLoop);
        return List.copyOf(extra);
    }

    /** The event loop thread a connection's replies complete on. */
    private static Thread loopOf(StatefulRedisConnection<String, byte[]> c, Duration timeout) {
        Thread caller = Thread.currentThread();
        try {
            for (int attempt = 0; attempt < 5; attempt++) {
                // A reply that came before the callback was added runs it here, on the caller: ask again.
                Thread t = c.async().ping().toCompletableFuture().thenApply(pong -> Thread.currentThread())
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (t != caller) {
                    return t;
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("no reply to PING: " + e.getMessage(), e);
        }
        throw new IllegalStateException("the replies to PING never completed on an event loop");
    }
}

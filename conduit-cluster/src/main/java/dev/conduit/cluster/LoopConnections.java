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
 * A connection on each of the server's event loops that Lettuce runs on: for sending ({@link
 * Sender#onLoops}), so that a send round's commands leave from the loop it runs on, and for reading
 * ({@link Reader}), so that the reads can follow this node's sessions to their loop; either way
 * without a hand-off to another loop (docs/cluster.md, "Where C2's round trip goes").
 */
final class LoopConnections {
    private static final Logger log = LoggerFactory.getLogger(LoopConnections.class);

    private LoopConnections() {
    }

    /**
     * Makes a few more connections besides {@code first} (Lettuce gives a new connection's channel
     * the group's next loop), keeps one per loop (the loop a connection's replies complete on is
     * its channel's), and closes the rest.
     *
     * @return the connections kept, {@link Kept#NONE} when Lettuce runs loops of its own, or if one
     *     could not be made (then its user stays on {@code first} only)
     */
    static Kept onEachLoop(RedisClient client,
            RedisCodec<String, byte[]> codec, StatefulRedisConnection<String, byte[]> first, BackplaneHost host,
            Duration timeout) {
        // A target above the server's loop count on purpose: it bounds the tries (twice this), and
        // with exactly the count (SharedEventLoops.threadPoolSize) a C2 profile run showed every
        // send on one loop's connection (a wake-up more per request on each node); not understood yet.
        int loops = SharedEventLoops.of(host.eventLoops(), host.eventLoopKind()) == null ? 0
                : Math.min(8, Runtime.getRuntime().availableProcessors() * 2);
        if (loops <= 1) {
            return Kept.NONE;
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
            log.warn("one Redis connection per event loop could not be made ({}); using one", e.getMessage());
            extra.forEach(StatefulRedisConnection::close);
            return Kept.NONE;
        }
        Map<Thread, RedisAsyncCommands<String, byte[]>> commands = new HashMap<>();
        kept.forEach((thread, c) -> commands.put(thread, c.async()));
        return new Kept(Map.copyOf(commands), List.copyOf(extra));
    }

    /**
     * What {@link #onEachLoop} kept.
     *
     * @param commands each kept connection's commands, by the loop thread its replies complete on
     *                 ({@code first} among them)
     * @param made     the connections it made and kept, besides {@code first}
     */
    record Kept(Map<Thread, RedisAsyncCommands<String, byte[]>> commands,
                List<StatefulRedisConnection<String, byte[]>> made) {
        static final Kept NONE = new Kept(Map.of(), List.of());
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

package dev.conduit.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One direction of a {@link ProxiedConnection}: what its source channel reads, held in order until
 * the faults let it go, then written to its sink channel.
 *
 * <p>Back-pressure: the source is read only while the sink is writable, no black hole is on, and
 * less than {@link #HIGH_WATER} bytes are held (reading resumes below {@link #LOW_WATER}). So a
 * slow or silent side, a long delay or a low throttle stop the reading instead of filling memory.
 *
 * <p>Runs on the connection's event loop; nothing here is guarded.
 */
final class Pipe {
    static final long HIGH_WATER = 1 << 20;
    static final long LOW_WATER = 256 << 10;
    /** A throttled pipe forwards at most a fiftieth of a second's worth of bytes at a time. */
    static final long SLICES_PER_SECOND = 50;

    private final ProxiedConnection connection;
    private final NettyFaultProxy proxy;
    private final FaultProxy.Direction direction;
    private final ArrayDeque<Chunk> held = new ArrayDeque<>();
    @SuppressWarnings("NullAway.Init") // set by attach(), before any bytes move
    private Channel source;
    @SuppressWarnings("NullAway.Init") // set by attach()
    private Channel sink;
    private long heldBytes;
    /** The limit last applied, compared by identity: a new limit restarts the count. */
    private NettyFaultProxy.@Nullable Limit limit;
    /** Bytes still allowed before the cut; {@link Long#MAX_VALUE} for no limit. */
    private long remaining = Long.MAX_VALUE;
    /** Throttle: when the next slice may leave. */
    private long nextSliceAt;
    private boolean sourceEnded;
    private boolean sourceFailed;
    private boolean finished;
    private @Nullable ScheduledFuture<?> wakeUp;
    private long wakeUpAt;

    /** Bytes read and when they may be forwarded. */
    private record Chunk(ByteBuf bytes, long releaseAt) {
    }

    Pipe(ProxiedConnection connection, NettyFaultProxy proxy, FaultProxy.Direction direction) {
        this.connection = connection;
        this.proxy = proxy;
        this.direction = direction;
    }

    void attach(Channel source, Channel sink) {
        this.source = source;
        this.sink = sink;
    }

    void received(ByteBuf bytes) {
        if (!connection.isOpen()) {
            bytes.release();
            return;
        }
        held.add(new Chunk(bytes, System.nanoTime() + proxy.delayNanos()));
        heldBytes += bytes.readableBytes();
        pump();
    }

    void applyFaults() {
        NettyFaultProxy.Limit current = proxy.limit(direction);
        if (current != limit) {
            limit = current;
            remaining = current.bytes();
        }
        pump();
    }

    void sourceEnded() {
        sourceEnded = true;
        pump();
    }

    void sourceFailed() {
        sourceFailed = true;
    }

    /** Forwards whatever the faults allow now, and arranges to be called again when more is allowed. */
    void pump() {
        if (!connection.isOpen() || !sink.isActive()) {
            release();
            return;
        }
        if (proxy.blackHole()) {
            updateReading();
            return;
        }
        if (remaining == 0) {
            connection.cutAfterFlush(sink);
            return;
        }
        long now = System.nanoTime();
        boolean wrote = false;
        while (!held.isEmpty() && sink.isWritable()) {
            Chunk chunk = held.peek();
            if (chunk.releaseAt - now > 0) {
                wakeUpAt(chunk.releaseAt);
                break;
            }
            long n = chunk.bytes.readableBytes();
            long rate = proxy.bytesPerSecond();
            if (rate > 0) {
                if (nextSliceAt - now > 0) {
                    wakeUpAt(nextSliceAt);
                    break;
                }
                n = Math.min(n, Math.max(1, rate / SLICES_PER_SECOND));
                nextSliceAt = now + Math.ceilDiv(n * 1_000_000_000L, rate);
            }
            n = Math.min(n, remaining);
            sink.write(chunk.bytes.readRetainedSlice((int) n));
            wrote = true;
            heldBytes -= n;
            if (remaining != Long.MAX_VALUE) {
                remaining -= n;
            }
            proxy.countForwarded(direction, n);
            if (!chunk.bytes.isReadable()) {
                held.poll().bytes.release();
            }
            if (remaining == 0) {
                sink.flush();
                connection.cutAfterFlush(sink);
                return;
            }
        }
        if (wrote) {
            sink.flush();
        }
        if (sourceEnded && held.isEmpty()) {
            finish();
        }
        updateReading();
    }

    /** The source has ended and everything it sent is forwarded: ends the sink the same way. */
    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        if (sourceFailed) {
            ProxiedConnection.reset(sink);
        } else {
            sink.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void updateReading() {
        if (!source.isActive()) {
            return;
        }
        boolean reading = source.config().isAutoRead();
        boolean read = connection.isOpen() && !proxy.blackHole() && sink.isActive() && sink.isWritable()
                && heldBytes < (reading ? HIGH_WATER : LOW_WATER);
        if (read != reading) {
            source.config().setAutoRead(read);
        }
    }

    private void wakeUpAt(long at) {
        if (wakeUp != null) {
            if (wakeUpAt - at <= 0) {
                return; // an earlier wake-up is on its way and will look again
            }
            wakeUp.cancel(false);
        }
        wakeUpAt = at;
        wakeUp = source.eventLoop().schedule(() -> {
            wakeUp = null;
            pump();
        }, at - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    /** Drops everything held: its sink is gone or the connection was cut. */
    void release() {
        for (Chunk chunk : held) {
            chunk.bytes.release();
        }
        held.clear();
        heldBytes = 0;
        if (wakeUp != null) {
            wakeUp.cancel(false);
            wakeUp = null;
        }
    }
}

package dev.conduit.transport;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.ByteBuffer;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP or WebSocket connection ({@link LinkStyle}). Outbound frames go through a lock-free queue that the channel's event loop
 * drains: everything queued by the time the drain runs is encoded into as few buffers as possible,
 * written, and flushed once. A burst of small frames therefore leaves in one syscall, and a lone
 * frame leaves as soon as the event loop gets to it, with no timer holding it back.
 *
 * <p>MESSAGE frames write their body from {@link MessageBody#encoded()}, which is computed once
 * per published message however many subscribers receive it; large bodies are not even copied into
 * the batch but written as a shared view. (That view is of a heap buffer, which Netty's socket
 * channels copy into a direct buffer as they write it: each subscriber still costs one copy of the
 * body; what the view saves is the second copy into the batch.)
 *
 * <p>Write back-pressure: the drain stops writing into the channel while it is not writable (its
 * own buffer above {@link #WATER_MARK}'s high mark, because the peer reads more slowly than we
 * write) and goes on when it becomes writable again ({@link #writabilityChanged}). Frames wait in
 * the queue meanwhile, so the channel's buffer holds at most the high mark plus one batch (and one
 * shared body); what the queue may hold is bounded by its senders (the server's session bounds).
 *
 * <p>Lifecycle ({@link State}): OPEN; {@link #close()} moves it to CLOSING, where what was queued
 * before the close is still written, then the output is shut down (FIN) and the connection closes
 * when the peer closes its side, or after a short linger; {@link #abort()} or the channel closing
 * moves it to CLOSED, where nothing more is written and whatever is queued is discarded.
 */
final class NettyConnection implements Connection {
    private static final Logger log = LoggerFactory.getLogger(NettyConnection.class);

    /** Marks the end of what is sent before closing. */
    private static final Frame CLOSE = new Frame.Ping(Long.MIN_VALUE);
    /** Bodies at least this large are written as a shared view rather than copied into the batch. */
    private static final int SHARE_BODY_BYTES = 8 << 10;
    private static final int BATCH_BUFFER_BYTES = 32 << 10;
    /** Frames written per drain before yielding the event loop to other connections. */
    private static final int MAX_FRAMES_PER_DRAIN = 4096;
    /**
     * The channel's write buffer marks: above the high one the channel is not writable and the drain
     * stops; below the low one it is writable again. Set on every TCP channel by {@link NettyTransport}.
     */
    static final io.netty.channel.WriteBufferWaterMark WATER_MARK =
            new io.netty.channel.WriteBufferWaterMark(256 << 10, 512 << 10);
    /** After a graceful close has sent FIN: how long the peer gets to close its side. */
    private static final long LINGER_MILLIS = 2_000;

    private enum State {
        /** Sends are accepted. */
        OPEN,
        /** {@link #close()} was called: sends are refused, frames queued before it are still written. */
        CLOSING,
        /** Aborted, or the channel closed: nothing more is written, the queue is discarded. */
        CLOSED
    }

    private final Channel channel;
    private final EventLoop loop;
    private final Queue<Frame> outbound = Queues.mpsc();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    /**
     * Bytes in {@link #outbound}: added by {@link #send} before it offers a frame, subtracted by the
     * event loop for each frame it polls (written or discarded). The channel's own buffer counts the
     * rest.
     */
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Moved OPEN to CLOSING by compare-and-set in {@link #close()}; set to CLOSED by abort and on close. */
    private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private final Runnable drainTask = this::drain;
    private volatile FrameCodec inbound;
    /** Read and written on the event loop only: see {@link #suspendReading}. */
    private boolean readingSuspended;
    private final LinkStyle style;

    NettyConnection(Channel channel, ProtocolLimits limits) {
        this(channel, limits, LinkStyle.TCP);
    }

    NettyConnection(Channel channel, ProtocolLimits limits, LinkStyle style) {
        this.style = style;
        this.channel = channel;
        this.loop = channel.eventLoop();
        this.inbound = new FrameCodec(limits);
        // Runs on the event loop, like drain(), so the two never interleave.
        channel.closeFuture().addListener(f -> {
            state.set(State.CLOSED);
            discardQueued();
            closeFuture.complete(null);
        });
    }

    FrameCodec inboundCodec() {
        return inbound;
    }

    @Override
    public boolean send(Frame frame) {
        if (state.get() != State.OPEN) {
            return false;
        }
        int length;
        try {
            length = FrameCodec.encodedLength(frame);
        } catch (IllegalArgumentException e) {
            // Dropping it would leave a gap the peer cannot see (a sequenced frame is numbered by now):
            // end the connection instead; the session's replay still holds what was numbered.
            log.error("closing {}: a {} frame cannot be encoded: {}", this, frame.type(), e.getMessage());
            abort();
            return false;
        }
        queuedBytes.addAndGet(length);
        outbound.offer(frame);
        scheduleDrain();
        return true;
    }

    @Override
    public void sendAndClose(Frame frame) {
        send(frame);
        close();
    }

    @Override
    public void close() {
        if (state.compareAndSet(State.OPEN, State.CLOSING)) {
            outbound.offer(CLOSE);
            scheduleDrain();
        }
    }

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            loop.execute(drainTask);
        }
    }

    /** Runs on the event loop. */
    private void drain() {
        drainScheduled.set(false);
        if (state.get() == State.CLOSED) {
            // Aborted (perhaps from another thread, with the channel not closed yet): write nothing.
            discardQueued();
            return;
        }
        ByteBuf batch = null;
        long drained = 0;
        long sinceFlush = 0;
        int frames = 0;
        Frame frame;
        while (frames < MAX_FRAMES_PER_DRAIN && channel.isWritable() && (frame = outbound.poll()) != null) {
            frames++;
            if (frame == CLOSE) {
                write(batch);
                // Before closing: on this loop the close listener may run at once, and it discards
                // (and subtracts) only what is still queued.
                queuedBytes.addAndGet(-drained);
                channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> closeGracefully(f.isSuccess()));
                return;
            }
            int length = FrameCodec.encodedLength(frame); // computed by send() already: cannot throw here
            if (sinceFlush > 0 && sinceFlush + length > style.flushBytes()) {
                // A WebSocket link makes one message of each flush: keep messages within the peer's bound.
                write(batch);
                batch = null;
                channel.flush();
                sinceFlush = 0;
            }
            sinceFlush += length;
            drained += length;
            try {
                batch = encodeInto(batch, frame, length);
            } catch (RuntimeException e) {
                // Skipping it would break the peer's count of sequenced frames: end the connection.
                log.error("closing {}: a {} frame cannot be encoded: {}", this, frame.type(), e.getMessage());
                queuedBytes.addAndGet(-drained);
                abort();
                discardQueued();
                return;
            }
        }
        write(batch);
        queuedBytes.addAndGet(-drained);
        channel.flush();
        if (!outbound.isEmpty() && channel.isWritable()) {
            scheduleDrain();
        } // else the channel is full: writabilityChanged drains again once the peer has read enough
    }

    /**
     * Encodes one frame of {@code length} bytes into {@code batch} (or a new one), writing full
     * batches and large shared bodies out as it goes; returns the batch to go on with (or null).
     *
     * @throws IllegalArgumentException if the frame cannot be encoded (a string field over 65535
     *         bytes); the batch not yet written is then released
     */
    private @Nullable ByteBuf encodeInto(@Nullable ByteBuf batch, Frame frame, int length) {
        {
            if (frame instanceof Frame.Message m && m.body().encodedLength() >= SHARE_BODY_BYTES) {
                batch = ensure(batch, FrameCodec.MESSAGE_HEAD_BYTES);
                FrameCodec.encodeMessageHead(nio(batch, FrameCodec.MESSAGE_HEAD_BYTES), m.sequence(),
                        m.subscriptionId(), m.body());
                batch.writerIndex(batch.writerIndex() + FrameCodec.MESSAGE_HEAD_BYTES);
                write(batch);
                batch = null;
                channel.write(Unpooled.wrappedBuffer(m.body().encoded()), channel.voidPromise());
                return null;
            }
            batch = ensure(batch, length);
            ByteBuffer out = nio(batch, length);
            if (frame instanceof Frame.Message m) {
                FrameCodec.encodeMessageHead(out, m.sequence(), m.subscriptionId(), m.body());
                m.body().writeEncoded(out);
            } else {
                try {
                    FrameCodec.encode(frame, out);
                } catch (RuntimeException e) {
                    batch.release();
                    throw e;
                }
            }
            batch.writerIndex(batch.writerIndex() + length);
            return batch;
        }
    }

    /** Runs on the event loop when the channel's writability changes: goes on draining once it is writable. */
    void writabilityChanged() {
        if (channel.isWritable() && !outbound.isEmpty()) {
            scheduleDrain();
        }
    }

    /**
     * Runs on the event loop once everything queued is written: ends the link the way its {@link
     * LinkStyle} does (for TCP: FIN, then up to {@link #LINGER_MILLIS} for the peer to close its side,
     * reading and handing on what it still sends), so the last frames before a GOAWAY or a fatal
     * ERROR are not lost to a reset.
     */
    private void closeGracefully(boolean written) {
        if (written && channel.isActive()) {
            style.closeGracefully(channel, LINGER_MILLIS);
        } else {
            channel.close();
        }
    }

    /**
     * Runs on the event loop: empties the queue without writing, keeping {@link #queuedBytes} equal
     * to what is left in it. A send racing the close may still enqueue afterwards; its own drain
     * discards it here.
     */
    private void discardQueued() {
        long discarded = 0;
        Frame frame;
        while ((frame = outbound.poll()) != null) {
            if (frame != CLOSE) {
                discarded += FrameCodec.encodedLength(frame);
            }
        }
        queuedBytes.addAndGet(-discarded);
    }

    private ByteBuf ensure(@Nullable ByteBuf batch, int length) {
        if (batch != null && batch.writableBytes() >= length) {
            return batch;
        }
        write(batch);
        return channel.alloc().directBuffer(Math.max(length, BATCH_BUFFER_BYTES));
    }

    private static ByteBuffer nio(ByteBuf buf, int length) {
        return buf.internalNioBuffer(buf.writerIndex(), length);
    }

    private void write(@Nullable ByteBuf batch) {
        if (batch == null) {
            return;
        }
        if (batch.isReadable()) {
            channel.write(batch, channel.voidPromise());
        } else {
            batch.release();
        }
    }

    @Override
    public boolean isOpen() {
        return state.get() == State.OPEN && channel.isActive();
    }

    @Override
    public long pendingOutboundBytes() {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return queuedBytes.get() + (buffer == null ? 0 : buffer.totalPendingWriteBytes());
    }

    @Override
    public void inboundLimits(ProtocolLimits limits) {
        this.inbound = new FrameCodec(limits);
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
        ScheduledFuture<?> f = loop.schedule(task, delay, unit);
        return () -> f.cancel(false);
    }

    @Override
    public void abort() {
        state.set(State.CLOSED);
        channel.close();
    }

    @Override
    public String remoteAddress() {
        return String.valueOf(channel.remoteAddress());
    }

    @Override
    public @Nullable String remoteHost() {
        return channel.remoteAddress() instanceof java.net.InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : null;
    }

    /** Turns auto-read off; {@link FrameDecoder} stops at the next frame and asks for no read of its own. */
    @Override
    public void suspendReading() {
        if (!readingSuspended) {
            readingSuspended = true;
            channel.config().setAutoRead(false);
        }
    }

    /**
     * Turns auto-read back on, and has the decoder go on with the bytes it holds (none may arrive to
     * wake it: the peer may have sent everything already). Not from inside the handler's {@code
     * onFrame}: from a task scheduled on the event loop.
     */
    @Override
    public void resumeReading() {
        if (readingSuspended && channel.isActive()) {
            readingSuspended = false;
            channel.pipeline().fireChannelRead(Unpooled.EMPTY_BUFFER);
            channel.pipeline().fireChannelReadComplete();
            if (!readingSuspended) { // not suspended again by what was handed on
                channel.config().setAutoRead(true);
            }
        } else {
            readingSuspended = false;
        }
    }

    /** Whether reading is suspended by {@link #suspendReading}; on the event loop. */
    boolean readingSuspended() {
        return readingSuspended;
    }

    @Override
    public String transportName() {
        return style.name();
    }

    @Override
    public List<X509Certificate> peerCertificates() {
        SslHandler tls = channel.pipeline().get(SslHandler.class);
        if (tls == null) {
            return List.of();
        }
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate c : tls.engine().getSession().getPeerCertificates()) {
                if (c instanceof X509Certificate x509) {
                    chain.add(x509);
                }
            }
            return List.copyOf(chain);
        } catch (SSLPeerUnverifiedException e) {
            return List.of(); // no certificate presented, or the handshake is not done
        }
    }

    @Override
    public String toString() {
        return style.name() + ":" + remoteAddress();
    }
}

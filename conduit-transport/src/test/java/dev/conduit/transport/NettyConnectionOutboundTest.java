package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The batched writer of {@link NettyConnection} on an {@link EmbeddedChannel}: its event loop runs
 * only when the test says so ({@link EmbeddedChannel#runPendingTasks()}), which makes "everything
 * sent before the event loop runs" exact.
 */
class NettyConnectionOutboundTest {
    private EmbeddedChannel ch;
    private NettyConnection connection;
    private int flushes;
    private int closes;

    @BeforeEach
    void setUp() {
        ch = new EmbeddedChannel();
        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes++;
                ctx.flush();
            }
        });
        connection = new NettyConnection(ch, ProtocolLimits.DEFAULT);
        ch.pipeline().addLast(new FrameDecoder(connection, c -> new FrameHandler() {
            @Override
            public void onFrame(Frame frame) {
            }

            @Override
            public void onProtocolError(ProtocolException error, boolean inSync) {
            }

            @Override
            public void onClosed(Throwable cause) {
                closes++;
            }
        }));
        ch.pipeline().fireChannelActive();
    }

    /** The buffers written since the last call, each copied out and released. */
    private List<byte[]> written() {
        List<byte[]> out = new ArrayList<>();
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            ByteBuf b = (ByteBuf) o;
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            b.release();
            out.add(bytes);
        }
        return out;
    }

    private static List<Frame> decode(List<byte[]> buffers) {
        ByteBuf all = Unpooled.buffer();
        buffers.forEach(all::writeBytes);
        ByteBuffer nio = all.nioBuffer();
        FrameCodec codec = new FrameCodec(ProtocolLimits.DEFAULT);
        List<Frame> frames = new ArrayList<>();
        for (Frame f = codec.decode(nio); f != null; f = codec.decode(nio)) {
            frames.add(f);
        }
        assertThat(nio.remaining()).as("bytes left after the last whole frame").isZero();
        return frames;
    }

    private static MessageBody body(int payloadBytes) {
        byte[] payload = new byte[payloadBytes];
        new Random(payloadBytes).nextBytes(payload);
        return MessageBody.of("big", null, Headers.EMPTY, payload);
    }

    @Test
    void framesAreWrittenInOrderAndDecodeToEqualFrames() {
        List<Frame> sent = List.of(
                new Frame.Welcome(1, "server", "session", 42, false, 0, 1 << 20, 65536, 512, 0, 0),
                new Frame.Message(0, 7, MessageBody.of("a.b", "_INBOX.x", Headers.of("h", "v"), new byte[] {9})),
                new Frame.NoResponders("_INBOX.y"),
                new Frame.Pong(Long.MAX_VALUE),
                new Frame.Error(ErrorCode.DUPLICATE_SUBSCRIPTION, false, "dup"),
                new Frame.GoAway(503, 1000, "stopping"));
        for (Frame f : sent) {
            assertThat(connection.send(f)).isTrue();
        }
        ch.runPendingTasks();
        assertThat(decode(written())).containsExactlyElementsOf(sent);
    }

    @Test
    void manySendsBeforeTheEventLoopRunsLeaveInOneFlushAndFewBuffers() {
        int count = 3_000;
        List<Frame> sent = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            Frame f = new Frame.Ping(i);
            sent.add(f);
            bytes += FrameCodec.encodedLength(f);
            connection.send(f);
        }
        assertThat(flushes).as("nothing is written before the event loop runs").isZero();
        ch.runPendingTasks();
        List<byte[]> buffers = written();
        assertThat(flushes).isEqualTo(1);
        // 3,000 frames of 14 bytes fill 42,000 bytes: two 32 KiB batch buffers, not one per frame.
        assertThat(buffers).hasSizeLessThanOrEqualTo((int) (bytes / (32 << 10)) + 1);
        assertThat(decode(buffers)).containsExactlyElementsOf(sent);
    }

    @Test
    void nothingIsWrittenWhileTheChannelIsNotWritableAndEverythingOnceItIsAgain() {
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false); // as if the peer stopped reading
        assertThat(ch.isWritable()).isFalse();
        List<Frame> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            sent.add(new Frame.Ping(i));
            connection.send(sent.get(i));
        }
        ch.runPendingTasks();
        assertThat(written()).as("held in the queue, not pushed into the channel").isEmpty();
        assertThat(connection.pendingOutboundBytes()).isEqualTo(100L * FrameCodec.encodedLength(new Frame.Ping(0)));

        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, true); // fires channelWritabilityChanged
        ch.runPendingTasks();
        assertThat(decode(written())).containsExactlyElementsOf(sent);
        assertThat(connection.pendingOutboundBytes()).isZero();
    }

    @Test
    void aDrainStopsOnceItsOwnWritesFillTheChannelPastTheHighMark() {
        ch.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(1024, 4096));
        ch.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                // holds every write in the channel's buffer, like a socket whose peer reads nothing
            }
        });
        MessageBody body = body(16 << 10); // written as a shared view: each one alone passes the high mark
        for (int i = 0; i < 10; i++) {
            connection.send(new Frame.Message(i + 1, 1, body));
        }
        ch.runPendingTasks();
        assertThat(ch.isWritable()).isFalse();
        long perMessage = FrameCodec.encodedLength(new Frame.Message(1, 1, body));
        long inChannel = ch.unsafe().outboundBuffer().totalPendingWriteBytes(); // plus Netty's 96 bytes per entry
        assertThat(inChannel).as("the drain stopped after one message went past the mark")
                .isBetween(perMessage, perMessage + 2 * 96);
        assertThat(connection.pendingOutboundBytes()).as("the other nine wait in the queue")
                .isEqualTo(9 * perMessage + inChannel);
    }

    @Test
    void aFrameThatCannotBeEncodedEndsTheConnectionInsteadOfBeingSkipped() {
        connection.send(new Frame.Ping(1));
        Frame unencodable = new Frame.Error(ErrorCode.PROTOCOL_ERROR, false, "x".repeat(70_000)); // str16: too long
        assertThat(connection.send(unencodable)).as("refused, not queued").isFalse();
        assertThat(connection.send(new Frame.Ping(2))).isFalse();
        ch.runPendingTasks();
        assertThat(ch.isOpen()).as("closed rather than skipping a frame the peer may count").isFalse();
        assertThat(decode(written())).as("nothing after it is written").doesNotContain(new Frame.Ping(2));
        assertThat(connection.pendingOutboundBytes()).isZero();
        assertThat(closes).isEqualTo(1);
    }

    @Test
    void aLoneFrameSentLaterLeavesInItsOwnFlush() {
        connection.send(new Frame.Ping(1));
        ch.runPendingTasks();
        assertThat(flushes).isEqualTo(1);
        connection.send(new Frame.Ping(2));
        ch.runPendingTasks();
        assertThat(flushes).isEqualTo(2);
        assertThat(decode(written())).containsExactly(new Frame.Ping(1), new Frame.Ping(2));
    }

    @Test
    void moreFramesThanOneDrainTakesAllLeaveInOrder() {
        List<Frame> sent = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            sent.add(new Frame.Ack(i));
            connection.send(sent.get(i));
        }
        ch.runPendingTasks();
        assertThat(decode(written())).containsExactlyElementsOf(sent);
        assertThat(flushes).as("a few flushes for 10,000 frames, not one each").isBetween(1, 10);
        assertThat(connection.pendingOutboundBytes()).isZero();
    }

    @Test
    void aMessageBodyOfAtLeast8KiBIsWrittenAsHeadPlusTheSharedBody() {
        MessageBody body = body((8 << 10) - 15); // subject "big", no reply, no headers: 15 bytes of fields
        assertThat(body.encodedLength()).isEqualTo(8 << 10);
        Frame first = new Frame.Message(0, 1, body);
        Frame second = new Frame.Message(0, 2, body);
        connection.send(first);
        connection.send(second);
        ch.runPendingTasks();
        List<ByteBuf> raw = new ArrayList<>();
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            raw.add((ByteBuf) o);
        }
        assertThat(raw).hasSize(4);
        assertThat(raw.get(0).readableBytes()).isEqualTo(FrameCodec.MESSAGE_HEAD_BYTES);
        assertThat(raw.get(1).readableBytes()).isEqualTo(body.encodedLength());
        assertThat(raw.get(1).isReadOnly()).as("a view of the body's shared encoding, not a copy").isTrue();
        assertThat(raw.get(1).nioBuffer()).isEqualTo(body.encoded());
        assertThat(raw.get(2).readableBytes()).isEqualTo(FrameCodec.MESSAGE_HEAD_BYTES);
        assertThat(raw.get(3).nioBuffer()).isEqualTo(body.encoded());
        List<byte[]> copies = new ArrayList<>();
        for (ByteBuf b : raw) {
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            b.release();
            copies.add(bytes);
        }
        assertThat(decode(copies)).containsExactly(first, second);
    }

    @Test
    void aBodyJustUnder8KiBIsCopiedIntoTheBatch() {
        MessageBody body = body((8 << 10) - 16);
        assertThat(body.encodedLength()).isEqualTo((8 << 10) - 1);
        Frame m = new Frame.Message(0, 1, body);
        connection.send(new Frame.Ping(1));
        connection.send(m);
        connection.send(new Frame.Ping(2));
        ch.runPendingTasks();
        List<byte[]> buffers = written();
        assertThat(buffers).hasSize(1);
        assertThat(decode(buffers)).containsExactly(new Frame.Ping(1), m, new Frame.Ping(2));
    }

    @Test
    void largeAndSmallFramesInterleavedKeepTheirOrder() {
        ch.config().setWriteBufferWaterMark(NettyConnection.WATER_MARK); // as on a real channel: both fit
        MessageBody big = body(50_000);
        List<Frame> sent = List.of(new Frame.Ping(1), new Frame.Message(0, 1, big), new Frame.Ping(2),
                new Frame.Message(3, 2, big), new Frame.Message(0, 3, body(10)), new Frame.Pong(3));
        sent.forEach(connection::send);
        ch.runPendingTasks();
        assertThat(decode(written())).containsExactlyElementsOf(sent);
        assertThat(flushes).isEqualTo(1);
    }

    @Test
    void pendingOutboundBytesCountsQueuedFramesAndReturnsToZeroOnceFlushed() {
        assertThat(connection.pendingOutboundBytes()).isZero();
        Frame a = new Frame.Ping(1);
        Frame b = new Frame.Message(0, 1, body(20_000));
        connection.send(a);
        connection.send(b);
        assertThat(connection.pendingOutboundBytes())
                .isEqualTo(FrameCodec.encodedLength(a) + FrameCodec.encodedLength(b));
        ch.runPendingTasks();
        assertThat(connection.pendingOutboundBytes()).isZero();
        assertThat(decode(written())).containsExactly(a, b);
    }

    @Test
    void sendAndCloseWritesTheFrameAfterWhatWasQueuedThenCloses() {
        connection.send(new Frame.Ping(1));
        connection.sendAndClose(new Frame.Error(ErrorCode.UNEXPECTED_FRAME, true, "bye"));
        assertThat(connection.isOpen()).isFalse();
        assertThat(connection.send(new Frame.Ping(2))).isFalse();
        ch.runPendingTasks();
        assertThat(decode(written())).containsExactly(new Frame.Ping(1),
                new Frame.Error(ErrorCode.UNEXPECTED_FRAME, true, "bye"));
        assertThat(ch.isOpen()).isFalse();
        assertThat(connection.closeFuture()).isCompleted();
        assertThat(closes).isEqualTo(1);
    }

    @Test
    void pendingOutboundBytesIsZeroNotNegativeAfterSendAndClose() {
        connection.send(new Frame.Ping(1));
        connection.sendAndClose(new Frame.Pong(2));
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(connection.pendingOutboundBytes()).isZero();
    }

    @Test
    void pendingOutboundBytesIsZeroAfterAPlainCloseToo() {
        for (int i = 0; i < 10; i++) {
            connection.send(new Frame.Ping(i));
        }
        connection.close();
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        assertThat(connection.pendingOutboundBytes()).isZero();
        assertThat(decode(written())).hasSize(10);
    }

    @Test
    void abortWritesNothingOfWhatIsQueuedEvenIfItsDrainRunsBeforeTheChannelCloses() {
        // EmbeddedChannel.close() runs pending tasks (here, the drain) before it closes, as a real
        // event loop does when abort() is called from another thread while a drain is scheduled.
        connection.send(new Frame.Ping(1));
        connection.send(new Frame.Message(0, 1, body(20_000)));
        connection.abort();
        ch.runPendingTasks();
        assertThat(written()).as("nothing written after abort").isEmpty();
        assertThat(flushes).isZero();
        assertThat(connection.pendingOutboundBytes()).isZero();
        assertThat(closes).isEqualTo(1);
    }

    @Test
    void abortAfterCloseStillDiscardsWhatIsQueued() {
        connection.send(new Frame.Ping(1));
        connection.close();
        connection.abort();
        ch.runPendingTasks();
        assertThat(written()).isEmpty();
        assertThat(ch.isOpen()).isFalse();
        assertThat(connection.pendingOutboundBytes()).isZero();
        assertThat(connection.closeFuture()).isCompleted();
        assertThat(closes).isEqualTo(1);
    }

    @Test
    void sendAfterCloseReturnsFalseAndIsNotWritten() {
        connection.send(new Frame.Ping(1));
        connection.close();
        assertThat(connection.send(new Frame.Ping(2))).isFalse();
        connection.sendAndClose(new Frame.Ping(3));
        connection.close();
        ch.runPendingTasks();
        assertThat(decode(written())).containsExactly(new Frame.Ping(1));
        assertThat(ch.isOpen()).isFalse();
        assertThat(connection.send(new Frame.Ping(4))).isFalse();
        assertThat(closes).isEqualTo(1);
    }

    @Test
    void abortClosesAtOnceAndRefusesFurtherSends() {
        // (EmbeddedChannel runs pending tasks before it closes, so whether abort discards frames whose
        // drain was already scheduled cannot be observed here.)
        connection.send(new Frame.Ping(1));
        connection.abort();
        assertThat(connection.isOpen()).isFalse();
        assertThat(ch.isOpen()).isFalse();
        assertThat(connection.closeFuture()).isCompleted();
        ch.runPendingTasks();
        assertThat(connection.pendingOutboundBytes()).isZero();
        assertThat(connection.send(new Frame.Ping(3))).isFalse();
        assertThat(closes).isEqualTo(1);
    }
}

package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.FrameTooLargeException;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.InvalidSubjectException;
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
import org.junit.jupiter.api.Test;

/** The TCP connection's decoder and batched writer, on Netty's in-memory EmbeddedChannel. */
class NettyConnectionTest {
    private final List<Frame> received = new ArrayList<>();
    private final List<ProtocolException> errors = new ArrayList<>();
    private final List<Boolean> inSync = new ArrayList<>();
    private int handlersMade;
    private int closes;
    private int flushes;
    private NettyConnection connection;

    private EmbeddedChannel channel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
            @Override
            public void flush(ChannelHandlerContext ctx) {
                flushes++;
                ctx.flush();
            }
        });
        connection = new NettyConnection(ch, ProtocolLimits.DEFAULT);
        ch.pipeline().addLast(new FrameDecoder(connection, c -> {
            handlersMade++;
            return new FrameHandler() {
                @Override
                public void onFrame(Frame frame) {
                    received.add(frame);
                }

                @Override
                public void onProtocolError(ProtocolException error, boolean sync) {
                    errors.add(error);
                    inSync.add(sync);
                }

                @Override
                public void onClosed(Throwable cause) {
                    closes++;
                }
            };
        }));
        ch.pipeline().fireChannelActive();
        return ch;
    }

    private static byte[] bytes(Frame... frames) {
        ByteBuf all = Unpooled.buffer();
        for (Frame f : frames) {
            all.writeBytes(FrameCodec.encode(f));
        }
        byte[] b = new byte[all.readableBytes()];
        all.readBytes(b);
        return b;
    }

    private static Frame.Publish publish(String subject, int size) {
        return new Frame.Publish(0, false, MessageBody.of(subject, null, Headers.EMPTY, new byte[size]));
    }

    @Test
    void framesSplitAtEveryByteArriveWholeAndInOrder() {
        EmbeddedChannel ch = channel();
        Frame[] frames = {publish("a.b", 10), new Frame.Ping(3), new Frame.Subscribe(1, "a.>", "q")};
        byte[] stream = bytes(frames);
        for (byte b : stream) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        assertThat(received).containsExactly(frames);
        assertThat(handlersMade).isEqualTo(1);
    }

    @Test
    void manyFramesInOneReadAreAllDelivered() {
        EmbeddedChannel ch = channel();
        Frame[] frames = new Frame[50];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = new Frame.Ping(i);
        }
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(frames)));
        assertThat(received).containsExactly(frames);
    }

    @Test
    void suspendedReadingStopsAtTheNextFrameAndResumingHandsOnWhatWasHeldWithoutNewBytes() {
        EmbeddedChannel ch = channel();
        Frame[] frames = {new Frame.Ping(1), new Frame.Ping(2), new Frame.Ping(3)};
        connection.suspendReading();
        assertThat(ch.config().isAutoRead()).isFalse();
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(frames)));
        assertThat(received).as("nothing is handed on while suspended").isEmpty();
        ch.runPendingTasks();
        connection.resumeReading();
        assertThat(ch.config().isAutoRead()).isTrue();
        assertThat(received).containsExactly(frames);
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(new Frame.Ping(4))));
        assertThat(received).hasSize(4);
    }

    @Test
    void anOversizedLengthStopsDecodingForGood() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x7f, 0, 0, 0, 8, 0}));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(new Frame.Ping(1))));
        assertThat(errors).singleElement().isInstanceOf(FrameTooLargeException.class);
        assertThat(inSync).containsExactly(false);
        assertThat(received).isEmpty();
    }

    @Test
    void aBadSubjectInAWellFramedFrameIsSkippedAndTheNextFrameDecodes() {
        EmbeddedChannel ch = channel();
        ByteBuffer bad = FrameCodec.encode(publish("a.b", 1));
        bad.put(FrameCodec.HEAD_BYTES + 8 + 2 + 1, (byte) '*'); // "a.b" becomes "a*b"
        byte[] badBytes = new byte[bad.remaining()];
        bad.get(badBytes);
        ch.writeInbound(Unpooled.wrappedBuffer(badBytes, bytes(new Frame.Ping(9))));
        assertThat(errors).singleElement().isInstanceOf(InvalidSubjectException.class);
        assertThat(inSync).containsExactly(true);
        assertThat(received).containsExactly(new Frame.Ping(9));
    }

    @Test
    void sendsQueuedTogetherLeaveInOneFlushInOrder() {
        EmbeddedChannel ch = channel();
        flushes = 0;
        List<Frame> sent = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Frame f = i % 2 == 0 ? new Frame.Ping(i) : publish("s." + i, i);
            sent.add(f);
            assertThat(connection.send(f)).isTrue();
        }
        assertThat(connection.pendingOutboundBytes()).isPositive();
        ch.runPendingTasks();
        assertThat(flushes).isEqualTo(1);
        List<Frame> decoded = decodeOutbound(ch);
        assertThat(decoded).containsExactlyElementsOf(sent);
        assertThat(connection.pendingOutboundBytes()).isZero();
    }

    @Test
    void aLargeMessageBodyIsWrittenAsASharedViewAndDecodesTheSame() {
        EmbeddedChannel ch = channel();
        byte[] payload = new byte[20_000];
        new java.util.Random(1).nextBytes(payload);
        MessageBody body = MessageBody.of("big", "r", Headers.of("k", "v"), payload);
        connection.send(new Frame.Message(0, 1, body));
        connection.send(new Frame.Message(0, 2, body));
        connection.send(new Frame.Ping(5));
        ch.runPendingTasks();
        assertThat(decodeOutbound(ch)).containsExactly(new Frame.Message(0, 1, body), new Frame.Message(0, 2, body),
                new Frame.Ping(5));
    }

    @Test
    void sendAndCloseWritesTheFrameThenCloses() {
        EmbeddedChannel ch = channel();
        connection.send(new Frame.Ping(1));
        connection.sendAndClose(new Frame.Pong(2));
        assertThat(connection.send(new Frame.Ping(3))).isFalse();
        ch.runPendingTasks();
        assertThat(decodeOutbound(ch)).containsExactly(new Frame.Ping(1), new Frame.Pong(2));
        assertThat(ch.isOpen()).isFalse();
        assertThat(connection.closeFuture()).isDone();
        assertThat(closes).isEqualTo(1);
    }

    private static List<Frame> decodeOutbound(EmbeddedChannel ch) {
        ByteBuf all = Unpooled.buffer();
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            ByteBuf b = (ByteBuf) o;
            all.writeBytes(b);
            b.release();
        }
        FrameCodec codec = new FrameCodec(ProtocolLimits.DEFAULT);
        ByteBuffer nio = all.nioBuffer();
        List<Frame> frames = new ArrayList<>();
        for (Frame f = codec.decode(nio); f != null; f = codec.decode(nio)) {
            frames.add(f);
        }
        assertThat(nio.hasRemaining()).isFalse();
        return frames;
    }
}

package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.FrameTooLargeException;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.InvalidSubjectException;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.PayloadTooLargeException;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolLimits;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * {@link FrameDecoder} in a real Netty pipeline ({@link EmbeddedChannel}), set up the way {@link
 * NettyTransport} sets it up: a channel initializer adds the decoder, and registration fires
 * channelActive, which is where the handler is made.
 */
class FrameDecoderEmbeddedTest {

    /** What one connection's handler saw, in order. */
    private static final class Seen implements FrameHandler {
        final List<Frame> frames = new ArrayList<>();
        final List<ProtocolException> errors = new ArrayList<>();
        final List<Boolean> inSync = new ArrayList<>();
        final List<Throwable> closes = new ArrayList<>();
        int handlersMade;
        Connection madeFor;
        Consumer<Frame> onFrame = f -> { };

        @Override
        public void onFrame(Frame frame) {
            frames.add(frame);
            onFrame.accept(frame);
        }

        @Override
        public void onProtocolError(ProtocolException error, boolean sync) {
            errors.add(error);
            inSync.add(sync);
        }

        @Override
        public void onClosed(Throwable cause) {
            closes.add(cause);
        }
    }

    private final Seen seen = new Seen();
    private NettyConnection connection;

    private EmbeddedChannel channel() {
        return new EmbeddedChannel(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                connection = new NettyConnection(ch, ProtocolLimits.DEFAULT);
                ch.pipeline().addLast(new FrameDecoder(connection, c -> {
                    seen.handlersMade++;
                    seen.madeFor = c;
                    return seen;
                }));
            }
        });
    }

    private static byte[] bytes(Frame... frames) {
        int total = Arrays.stream(frames).mapToInt(FrameCodec::encodedLength).sum();
        ByteBuffer all = ByteBuffer.allocate(total);
        for (Frame f : frames) {
            all.put(FrameCodec.encode(f));
        }
        return all.array();
    }

    /** Several frame types, with headers, reply subjects, queue groups and an empty payload. */
    private static Frame[] mixedFrames() {
        return new Frame[] {
            Frame.Hello.anonymous(1, "decoder-test"),
            new Frame.Publish(7, true, MessageBody.of("orders.eu", "_INBOX.r1", Headers.of("k", "v", "k", "w"),
                    new byte[] {1, 2, 3})),
            new Frame.Subscribe(3, "orders.*.created", "workers"),
            new Frame.Unsubscribe(3, 12),
            new Frame.Ping(-1),
            new Frame.Message(0, 9, MessageBody.of("a", null, Headers.EMPTY, new byte[0])),
            new Frame.Error(ErrorCode.INVALID_SUBJECT, false, "ünïcödé message"),
            new Frame.GoAway(503, 250, "bye"),
        };
    }

    @Test
    void theHandlerIsMadeOnceWhenTheChannelBecomesActive() {
        EmbeddedChannel ch = channel();
        assertThat(seen.handlersMade).isEqualTo(1);
        assertThat(seen.madeFor).isSameAs(connection);
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(new Frame.Ping(1))));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(new Frame.Ping(2))));
        assertThat(seen.handlersMade).isEqualTo(1);
        assertThat(seen.frames).containsExactly(new Frame.Ping(1), new Frame.Ping(2));
        assertThat((Object) ch.readInbound()).as("frames are handed to the handler, not down the pipeline").isNull();
    }

    @Test
    void aStreamSplitInTwoAtEveryByteBoundaryDeliversWholeFramesInOrder() {
        Frame[] frames = mixedFrames();
        byte[] stream = bytes(frames);
        int[] ends = new int[frames.length];
        for (int i = 0, end = 0; i < frames.length; i++) {
            end += FrameCodec.encodedLength(frames[i]);
            ends[i] = end;
        }
        for (int split = 1; split < stream.length; split++) {
            Seen s = new Seen();
            EmbeddedChannel ch = new EmbeddedChannel(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel c) {
                    c.pipeline().addLast(new FrameDecoder(new NettyConnection(c, ProtocolLimits.DEFAULT), x -> s));
                }
            });
            ch.writeInbound(Unpooled.wrappedBuffer(stream, 0, split));
            int whole = 0;
            while (whole < ends.length && ends[whole] <= split) {
                whole++;
            }
            assertThat(s.frames).as("after the first %d bytes", split)
                    .containsExactly(Arrays.copyOf(frames, whole));
            ch.writeInbound(Unpooled.wrappedBuffer(stream, split, stream.length - split));
            assertThat(s.frames).as("split at %d", split).containsExactly(frames);
            assertThat(s.errors).isEmpty();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aStreamFedOneByteAtATimeDeliversEveryFrameOnceItIsComplete() {
        EmbeddedChannel ch = channel();
        Frame[] frames = mixedFrames();
        byte[] stream = bytes(frames);
        int expected = 0;
        int nextEnd = FrameCodec.encodedLength(frames[0]);
        for (int i = 0; i < stream.length; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {stream[i]}));
            if (i + 1 == nextEnd) {
                expected++;
                nextEnd += expected < frames.length ? FrameCodec.encodedLength(frames[expected]) : 0;
            }
            assertThat(seen.frames).as("after byte %d", i).hasSize(expected);
        }
        assertThat(seen.frames).containsExactly(frames);
    }

    @Test
    void severalFramesInOneReadAreAllDeliveredInOrder() {
        EmbeddedChannel ch = channel();
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            frames.add(i % 3 == 0 ? new Frame.Ping(i)
                    : new Frame.Publish(i, false, MessageBody.of("s." + i, null, Headers.EMPTY, new byte[i])));
        }
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(frames.toArray(Frame[]::new))));
        assertThat(seen.frames).containsExactlyElementsOf(frames);
        assertThat(seen.errors).isEmpty();
    }

    @Test
    void anOversizedLengthPrefixIsReportedOutOfSyncAndEverythingAfterIsDiscarded() {
        EmbeddedChannel ch = channel();
        ByteBuffer tooLong = ByteBuffer.allocate(6).putInt(ProtocolLimits.DEFAULT.maxFrameBytes() + 1)
                .put((byte) 8).put((byte) 0);
        byte[] first = bytes(new Frame.Ping(1));
        byte[] read = new byte[first.length + 6];
        System.arraycopy(first, 0, read, 0, first.length);
        System.arraycopy(tooLong.array(), 0, read, first.length, 6);
        ch.writeInbound(Unpooled.wrappedBuffer(read, bytes(new Frame.Ping(2))));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(new Frame.Ping(3), new Frame.Pong(4))));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(new Frame.Subscribe(1, "x", null))));

        assertThat(seen.frames).containsExactly(new Frame.Ping(1));
        assertThat(seen.errors).singleElement().isInstanceOf(FrameTooLargeException.class)
                .extracting(ProtocolException::code).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        assertThat(seen.inSync).containsExactly(false);
        assertThat(seen.closes).as("the decoder reports; closing is the handler's decision").isEmpty();
    }

    @Test
    void anInvalidSubjectInAWellFramedPublishIsSkippedAndTheNextFrameDecodes() {
        EmbeddedChannel ch = channel();
        Frame bad = new Frame.Publish(0, false, MessageBody.of("a.*", null, Headers.EMPTY, new byte[] {5}));
        Frame alsoBad = new Frame.Publish(0, false, MessageBody.of("a..b", null, Headers.EMPTY, new byte[0]));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(new Frame.Ping(1), bad, new Frame.Ping(2))));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(alsoBad)));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(new Frame.Pong(3))));

        assertThat(seen.frames).containsExactly(new Frame.Ping(1), new Frame.Ping(2), new Frame.Pong(3));
        assertThat(seen.errors).hasSize(2).allSatisfy(e -> {
            assertThat(e).isInstanceOf(InvalidSubjectException.class);
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_SUBJECT);
        });
        assertThat(seen.errors.get(0)).hasMessageContaining("a.*");
        assertThat(seen.inSync).containsExactly(true, true);
    }

    @Test
    void tighterInboundLimitsApplyFromTheNextFrameInTheSameRead() {
        EmbeddedChannel ch = channel();
        seen.onFrame = f -> {
            if (f instanceof Frame.Ping) {
                connection.inboundLimits(new ProtocolLimits(100, 1024, 64));
            }
        };
        Frame big = new Frame.Publish(0, false, MessageBody.of("big", null, Headers.EMPTY, new byte[101]));
        Frame small = new Frame.Publish(0, false, MessageBody.of("small", null, Headers.EMPTY, new byte[100]));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(big, new Frame.Ping(1), big, small)));
        assertThat(seen.frames).containsExactly(big, new Frame.Ping(1), small);
        assertThat(seen.errors).singleElement().isInstanceOf(PayloadTooLargeException.class);
        assertThat(seen.inSync).containsExactly(true);
    }

    @Test
    void closingCallsOnClosedOnceWithNoCause() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(new Frame.Ping(1))));
        ch.close();
        ch.close();
        connection.close();
        connection.abort();
        ch.runPendingTasks();
        assertThat(seen.closes).hasSize(1).containsOnlyNulls();
        assertThat(connection.isOpen()).isFalse();
        assertThat(connection.closeFuture()).isDone();
    }

    @Test
    void aPartialFrameAtCloseIsNotDeliveredAndOnClosedStillComesOnce() {
        EmbeddedChannel ch = channel();
        byte[] ping = bytes(new Frame.Ping(1), new Frame.Ping(2));
        ch.writeInbound(Unpooled.wrappedBuffer(ping, 0, ping.length - 3));
        ch.close();
        assertThat(seen.frames).containsExactly(new Frame.Ping(1));
        assertThat(seen.errors).isEmpty();
        assertThat(seen.closes).hasSize(1);
    }

    @Test
    void aPipelineExceptionClosesTheChannelAndIsPassedToOnClosed() {
        EmbeddedChannel ch = channel();
        IOException boom = new IOException("connection reset by peer");
        ch.pipeline().fireExceptionCaught(boom);
        assertThat(ch.isOpen()).isFalse();
        assertThat(seen.closes).containsExactly(boom);
        ch.close();
        assertThat(seen.closes).hasSize(1);
    }

    private static final byte[] HTTP_400 = ("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @Test
    void anHttpAnswerAsTheFirstBytesIsReportedAsAnHttpPortWithItsStatusLine() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.wrappedBuffer(HTTP_400));
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(new Frame.Ping(1))));
        assertThat(seen.frames).isEmpty();
        assertThat(seen.errors).singleElement().satisfies(e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
            assertThat(e.getMessage()).contains("answered in HTTP (HTTP/1.1 400 Bad Request)")
                    .contains("ws://HOST:PORT/conduit").doesNotContain("\r", "\n");
        });
        assertThat(seen.inSync).containsExactly(false);
    }

    @Test
    void anHttpAnswerFedOneByteAtATimeIsReportedAtItsFifthByte() {
        EmbeddedChannel ch = channel();
        for (int i = 0; i < HTTP_400.length; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {HTTP_400[i]}));
            assertThat(seen.errors).as("after byte %d", i).hasSize(i < 4 ? 0 : 1);
        }
        assertThat(seen.errors.get(0).getMessage()).contains("answered in HTTP (HTTP/)");
    }

    @Test
    void httpLaterInTheStreamOrWithoutItsSlashIsFramedAsUsual() {
        EmbeddedChannel ch = channel();
        ch.writeInbound(Unpooled.wrappedBuffer(bytes(new Frame.Ping(1))));
        ch.writeInbound(Unpooled.wrappedBuffer(HTTP_400));
        assertThat(seen.frames).containsExactly(new Frame.Ping(1));
        assertThat(seen.errors).singleElement().isInstanceOf(FrameTooLargeException.class);

        Seen other = new Seen();
        EmbeddedChannel second = new EmbeddedChannel(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
                c.pipeline().addLast(new FrameDecoder(new NettyConnection(c, ProtocolLimits.DEFAULT), x -> other));
            }
        });
        second.writeInbound(Unpooled.wrappedBuffer("HTTPS".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertThat(other.errors).singleElement().isInstanceOf(FrameTooLargeException.class);
    }
}

package dev.conduit.transport;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Function;

/**
 * Turns received bytes into frames for one connection and hands them straight to its {@link
 * FrameHandler}, on the event loop. Netty accumulates partial frames; the codec rejects an oversized
 * length prefix before the frame is buffered, so a peer cannot make us hold more than one maximum
 * frame.
 */
final class FrameDecoder extends ByteToMessageDecoder {
    private final NettyConnection connection;
    private final Function<Connection, FrameHandler> handlerFactory;
    private FrameHandler handler;
    private Throwable failure;
    /** Set once the stream can no longer be framed: everything after is discarded. */
    private boolean broken;

    FrameDecoder(NettyConnection connection, Function<Connection, FrameHandler> handlerFactory) {
        this.connection = connection;
        this.handlerFactory = handlerFactory;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        handler = handlerFactory.apply(connection);
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (broken || handler == null) {
            in.skipBytes(in.readableBytes());
            return;
        }
        ByteBuffer bytes = in.nioBuffer(in.readerIndex(), in.readableBytes());
        int start = bytes.position();
        try {
            while (!broken && bytes.hasRemaining() && !connection.readingSuspended()) {
                FrameCodec codec = connection.inboundCodec();
                int size;
                try {
                    size = codec.frameSize(bytes);
                } catch (ProtocolException e) {
                    broken = true;
                    handler.onProtocolError(e, false);
                    bytes.position(bytes.limit());
                    return;
                }
                if (size < 0 || bytes.remaining() < size) {
                    return;
                }
                int frameStart = bytes.position();
                Frame frame;
                try {
                    frame = codec.decode(bytes);
                } catch (ProtocolException e) {
                    bytes.position(frameStart + size);
                    handler.onProtocolError(e, true);
                    continue;
                }
                handler.onFrame(frame);
            }
        } finally {
            in.skipBytes(bytes.position() - start);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        FrameHandler h = handler;
        if (h != null && !broken) {
            h.onReadComplete();
        }
        if (connection.readingSuspended()) {
            // The superclass would ask for another read, as auto-read is off and no message went up
            // the pipeline: that would undo the pause.
            discardSomeReadBytes();
            ctx.fireChannelReadComplete();
            return;
        }
        super.channelReadComplete(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failure = cause;
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        super.channelInactive(ctx);
        if (handler != null) {
            FrameHandler h = handler;
            handler = null;
            h.onClosed(failure);
        }
    }
}

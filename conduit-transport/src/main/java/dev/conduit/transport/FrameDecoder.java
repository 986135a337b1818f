package dev.conduit.transport;

import dev.conduit.protocol.ErrorCode;
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
    /**
     * For WebSocket links: each read is one whole message, which must hold whole frames only; the
     * handler is made when the decoder is added (after the upgrade), not when the channel activates.
     */
    private final boolean wholeMessages;
    /** Whether the handler is made when the decoder is added (the channel being active by then). */
    private final boolean makeHandlerWhenAdded;

    FrameDecoder(NettyConnection connection, Function<Connection, FrameHandler> handlerFactory) {
        this(connection, handlerFactory, false, false);
    }

    private FrameDecoder(NettyConnection connection, Function<Connection, FrameHandler> handlerFactory,
                         boolean wholeMessages, boolean makeHandlerWhenAdded) {
        this.connection = connection;
        this.handlerFactory = handlerFactory;
        this.wholeMessages = wholeMessages;
        this.makeHandlerWhenAdded = makeHandlerWhenAdded;
    }

    /**
     * A decoder for a link whose reads are whole WebSocket messages: a frame that does not end
     * within its message is a fatal protocol error. Add it to the pipeline once the upgrade is done.
     */
    static FrameDecoder forMessages(NettyConnection connection, Function<Connection, FrameHandler> handlerFactory) {
        return new FrameDecoder(connection, handlerFactory, true, true);
    }

    /**
     * A decoder for a byte stream whose link was set up before the decoder is added (a client's TLS
     * link, once its handshake is done): the handler is made when the decoder is added.
     */
    static FrameDecoder afterHandshake(NettyConnection connection, Function<Connection, FrameHandler> handlerFactory) {
        return new FrameDecoder(connection, handlerFactory, false, true);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        super.handlerAdded(ctx);
        if (makeHandlerWhenAdded && handler == null) {
            handler = handlerFactory.apply(connection);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (handler == null) {
            handler = handlerFactory.apply(connection);
        }
        super.channelActive(ctx);
    }

    /**
     * Runs on the event loop: the link itself broke the protocol (a text message, a bad or oversized
     * WebSocket frame). Nothing more is delivered; the handler hears it as a fatal protocol error.
     */
    void fail(ProtocolException error) {
        if (broken || handler == null) {
            return;
        }
        broken = true;
        handler.onProtocolError(error, false);
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
                    if (wholeMessages) {
                        broken = true;
                        handler.onProtocolError(new ProtocolException(ErrorCode.PROTOCOL_ERROR,
                                "a frame does not end within its WebSocket message (" + bytes.remaining()
                                        + " bytes left over)"), false);
                        bytes.position(bytes.limit());
                    }
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
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        connection.writabilityChanged();
        super.channelWritabilityChanged(ctx);
    }

    /** A revoked client certificate ({@link ServerTlsContext}): the handler tells its peer, then the link closes. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ServerTlsContext.PeerCertificateRevoked revoked) {
            revoked.take();
            FrameHandler h = handler;
            if (h != null && !broken) {
                broken = true; // nothing more is handed on from a peer whose certificate is revoked
                h.onPeerCertificateRevoked(revoked.reason());
            }
            connection.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
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

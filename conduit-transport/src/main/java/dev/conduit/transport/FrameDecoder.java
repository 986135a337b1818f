package dev.conduit.transport;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Turns received bytes into frames for one connection and hands them straight to its {@link
 * FrameHandler}, on the event loop. Netty accumulates partial frames; the codec rejects an oversized
 * length prefix before the frame is buffered, so a peer cannot make us hold more than one maximum
 * frame.
 */
final class FrameDecoder extends ByteToMessageDecoder {
    private final NettyConnection connection;
    private final Function<Connection, FrameHandler> handlerFactory;
    private @Nullable FrameHandler handler;
    private @Nullable Throwable failure;
    /** Set once the stream can no longer be framed: everything after is discarded. */
    private boolean broken;
    /**
     * For WebSocket links: each read is one whole message, which must hold whole frames only; the
     * handler is made when the decoder is added (after the upgrade), not when the channel activates.
     */
    private final boolean wholeMessages;
    /** Whether the handler is made when the decoder is added (the channel being active by then). */
    private final boolean makeHandlerWhenAdded;
    /** Until the stream's first bytes have been looked at for an HTTP answer ({@link #answeredInHttp}). */
    private boolean atStart;

    FrameDecoder(NettyConnection connection, Function<Connection, FrameHandler> handlerFactory) {
        this(connection, handlerFactory, false, false);
    }

    private FrameDecoder(NettyConnection connection, Function<Connection, FrameHandler> handlerFactory,
                         boolean wholeMessages, boolean makeHandlerWhenAdded) {
        this.connection = connection;
        this.handlerFactory = handlerFactory;
        this.wholeMessages = wholeMessages;
        this.makeHandlerWhenAdded = makeHandlerWhenAdded;
        this.atStart = !wholeMessages;
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
        if (atStart) {
            if (in.readableBytes() < HTTP_VERSION.length && prefixOfHttp(in)) {
                return; // wait for the fifth byte before deciding
            }
            atStart = false;
            if (answeredInHttp(in)) {
                broken = true;
                String statusLine = statusLine(in);
                in.skipBytes(in.readableBytes());
                handler.onProtocolError(new ProtocolException(ErrorCode.PROTOCOL_ERROR, "the peer answered in HTTP ("
                        + statusLine + "): that is an HTTP port, for WebSocket links, not a Conduit TCP port; connect "
                        + "to it with " + webSocketUrl(ctx.channel().remoteAddress())
                        + " (or to the server's TCP port with tcp://)"), false);
                return;
            }
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
                    frame = Objects.requireNonNull(codec.decode(bytes), "a whole frame was there"); // size checked above
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

    private static final byte[] HTTP_VERSION = "HTTP/".getBytes(StandardCharsets.US_ASCII);
    /** How much of an HTTP status line a message quotes. */
    private static final int MAX_QUOTED_STATUS = 64;

    private static boolean prefixOfHttp(ByteBuf in) {
        for (int i = 0; i < Math.min(in.readableBytes(), HTTP_VERSION.length); i++) {
            if (in.getByte(in.readerIndex() + i) != HTTP_VERSION[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether a byte stream starts with {@code HTTP/}: an HTTP server's response, from a port that
     * answers a HELLO as a bad request (a Conduit server's HTTP port does, at once). As a frame's
     * length prefix those bytes would claim over a gigabyte, more than any frame may be, so no
     * Conduit peer can start so; the check only lets the failure say what the peer is.
     */
    private static boolean answeredInHttp(ByteBuf in) {
        return in.readableBytes() >= HTTP_VERSION.length && prefixOfHttp(in);
    }

    /** The WebSocket URL of a Conduit server's HTTP port at the peer's address. */
    private static String webSocketUrl(SocketAddress peer) {
        if (peer instanceof InetSocketAddress a) {
            String host = a.getHostString();
            return "ws://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort() + "/conduit";
        }
        return "ws://HOST:PORT/conduit";
    }

    /** The status line (its first printable characters, up to the line end), for the message. */
    private static String statusLine(ByteBuf in) {
        StringBuilder line = new StringBuilder();
        for (int i = in.readerIndex(); i < in.writerIndex() && line.length() < MAX_QUOTED_STATUS; i++) {
            byte b = in.getByte(i);
            if (b == '\r' || b == '\n') {
                break;
            }
            line.append(b >= 0x20 && b < 0x7f ? (char) b : '?');
        }
        return line.toString();
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

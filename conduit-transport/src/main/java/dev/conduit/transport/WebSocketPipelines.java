package dev.conduit.transport;

import dev.conduit.protocol.ProtocolLimits;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Builds the pipelines of the HTTP port and of WebSocket client links, all from Netty's codecs: the
 * one place that knows their order. (A TLS handler, for https and wss, goes first in both.)
 *
 * <pre>
 * server, before the upgrade:  HttpGuard | (TLS) | NotHttpGuard (until the method's end) | HttpServerCodec
 *                              | HttpObjectAggregator | HttpFront
 *                              | Violations | WebSocketServerProtocolHandler | WebSocketFrameAggregator | Upgraded
 * server, after the upgrade:   ws decoder, ws encoder | Violations | WebSocketServerProtocolHandler
 *                              | WebSocketFrameAggregator | WebSocketLink | FrameDecoder
 * client:                      HttpClientCodec | HttpObjectAggregator | Violations | WebSocketClientProtocolHandler
 *                              | WebSocketFrameAggregator | Upgraded, then WebSocketLink | FrameDecoder
 * </pre>
 */
final class WebSocketPipelines {
    /** Request bodies are never read (GET and HEAD only); a larger one is answered 413. */
    static final int MAX_REQUEST_BODY_BYTES = 1024;
    static final int MAX_INITIAL_LINE_BYTES = 4096;
    static final int MAX_HEADER_BYTES = 8192;
    /**
     * The largest message a client accepts before it has read the server's limits: the largest frame
     * any server can announce. Memory grows with the bytes that actually arrive, not with a claimed
     * length, and the codec then holds each frame to the announced limits.
     */
    static final int CLIENT_MAX_MESSAGE_BYTES =
            new ProtocolLimits(ProtocolLimits.MAX_PAYLOAD_BYTES_CAP, 1 << 20, 0xFFFF).maxFrameBytes();

    private WebSocketPipelines() {
    }

    /**
     * Sets up an accepted HTTP connection. WebSocket messages (and so frames) are bounded by {@code
     * limits.maxFrameBytes()}: a message holding several frames is never larger than {@link
     * WebSocketLink#MESSAGE_BATCH_BYTES}, itself no larger than the smallest frame bound.
     */
    static void server(Channel ch, ProtocolLimits limits, WebSocketOptions options, HttpPortOptions port,
                       OriginPolicy origins, AllowedHosts hosts, Function<Connection, FrameHandler> acceptor,
                       HttpService service) {
        int maxMessage = limits.maxFrameBytes();
        WebSocketDecoderConfig decoder = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxMessage)
                .expectMaskedFrames(true)
                .allowExtensions(false)
                .closeOnProtocolViolation(false)
                .withUTF8Validator(false)
                .build();
        WebSocketServerProtocolConfig config = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(options.path())
                .checkStartsWith(false)
                .handshakeTimeoutMillis(Math.max(1, port.requestDeadline().toMillis()))
                .handleCloseFrames(false)
                .sendCloseFrame(null)
                .dropPongFrames(true)
                .decoderConfig(decoder)
                .build();
        ChannelPipeline p = ch.pipeline();
        HttpGuard guard = new HttpGuard(port);
        p.addFirst(HttpGuard.NAME, guard); // before TLS: its deadline covers the TLS handshake too
        p.addLast(NotHttpGuard.NAME, new NotHttpGuard());
        p.addLast("http-codec", new HttpServerCodec(MAX_INITIAL_LINE_BYTES, MAX_HEADER_BYTES, 8192));
        p.addLast("http-aggregator", new HttpObjectAggregator(MAX_REQUEST_BODY_BYTES));
        p.addLast("http-front", new HttpFront(options, origins, service, hosts, port.gate(), guard));
        p.addLast("ws-violations", WebSocketLink.Violations.INSTANCE);
        p.addLast("ws-pong-backlog", new PongBacklog(PongBacklog.MAX_BACKLOG_BYTES));
        p.addLast("ws-protocol", new WebSocketServerProtocolHandler(config));
        p.addLast("ws-aggregator", new WebSocketFrameAggregator(maxMessage));
        p.addLast("ws-upgraded", new Upgraded(limits, acceptor, null));
    }

    /**
     * Sets up a client link to a ws endpoint. {@code handlerFactory} is called once the server has
     * accepted the upgrade; the link closes if it does not within {@code timeout}, and {@code result}
     * fails if the link fails or closes before that.
     */
    static void client(Channel ch, Endpoint endpoint, Duration timeout, Function<Connection, FrameHandler> handlerFactory,
                       CompletableFuture<Connection> result) {
        URI uri = URI.create(endpoint.toString());
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .allowExtensions(false)
                .maxFramePayloadLength(CLIENT_MAX_MESSAGE_BYTES)
                .handleCloseFrames(false)
                .sendCloseFrame(null)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(Math.max(1, timeout.toMillis()))
                .generateOriginHeader(false)
                .withUTF8Validator(false)
                .build();
        ChannelPipeline p = ch.pipeline();
        p.addLast("http-codec", new HttpClientCodec());
        p.addLast("http-aggregator", new HttpObjectAggregator(MAX_HEADER_BYTES));
        p.addLast("ws-violations", WebSocketLink.Violations.INSTANCE);
        p.addLast("ws-protocol", new WebSocketClientProtocolHandler(config));
        p.addLast("ws-aggregator", new WebSocketFrameAggregator(CLIENT_MAX_MESSAGE_BYTES));
        p.addLast("ws-upgraded", new Upgraded(ProtocolLimits.DEFAULT, handlerFactory, result));
    }

    /** Waits at the end of the pipeline for the upgrade to complete, then puts the link in its place. */
    private static final class Upgraded extends ChannelInboundHandlerAdapter {
        private final ProtocolLimits limits;
        private final Function<Connection, FrameHandler> handlerFactory;
        /** A client's connect, failed if the link ends before the upgrade; null on the server. */
        private final @Nullable CompletableFuture<Connection> pending;

        Upgraded(ProtocolLimits limits, Function<Connection, FrameHandler> handlerFactory,
                 @Nullable CompletableFuture<Connection> pending) {
            this.limits = limits;
            this.handlerFactory = handlerFactory;
            this.pending = pending;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (pending != null) {
                pending.completeExceptionally(cause);
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (pending != null) {
                pending.completeExceptionally(new IOException(
                        "the link closed before the WebSocket handshake completed"));
            }
            super.channelInactive(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete
                    || evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                ChannelPipeline p = ctx.pipeline();
                for (String name : new String[] {HttpGuard.NAME, "http-front"}) {
                    if (p.get(name) != null) {
                        p.remove(name);
                    }
                }
                p.remove(this);
                WebSocketLink.attach(ctx.channel(), limits, handlerFactory);
            }
            super.userEventTriggered(ctx, evt);
        }
    }
}

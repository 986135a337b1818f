package dev.conduit.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first stop of every HTTP request on the HTTP port. A request naming a host the port does not
 * answer to ({@link HttpPortOptions#allowedHosts}) gets 403 before anything else; a request that
 * arrives while the peer leaves more than {@link HttpPortOptions#maxQueuedResponseBytes} of earlier
 * answers unread closes the connection. A WebSocket upgrade at the Conduit path
 * whose origin is allowed goes on to Netty's handshake; a refused origin gets 403; anything else at
 * that path gets 405 or 426. Every other request is answered by the {@link HttpService}: GET and
 * HEAD only (others get 405), HEAD without a body, always with Content-Length and {@code
 * X-Content-Type-Options: nosniff}.
 *
 * <p>Runs on the channel's event loop; one per HTTP connection, removed once it is upgraded.
 */
final class HttpFront extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpFront.class);
    private static final String TEXT = "text/plain; charset=utf-8";

    private final String webSocketPath;
    private final OriginPolicy origins;
    private final HttpService service;
    private final AllowedHosts hosts;
    private final AcceptGate gate;
    private final HttpGuard guard;
    /** Closed for a limit: requests already decoded from the same read are dropped unanswered. */
    private boolean closing;

    HttpFront(WebSocketOptions options, OriginPolicy origins, HttpService service, AllowedHosts hosts,
              AcceptGate gate, HttpGuard guard) {
        super(FullHttpRequest.class, false);
        this.webSocketPath = options.path();
        this.origins = origins;
        this.service = service;
        this.hosts = hosts;
        this.gate = gate;
        this.guard = guard;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean handedOn = false;
        try {
            handedOn = route(ctx, request);
        } finally {
            if (!handedOn) {
                request.release();
            }
        }
    }

    /** @return true if the request went on down the pipeline (which then owns it) */
    private boolean route(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (closing || !ctx.channel().isActive()) {
            return false;
        }
        if (!request.decoderResult().isSuccess()) {
            reply(ctx, request, HttpReply.text(400, TEXT, "bad request\n"), false);
            return false;
        }
        if (guard.overQueued()) {
            gate.refused(String.valueOf(ctx.channel().remoteAddress()), "maxQueuedResponseBytes",
                    "closed: a new request while earlier responses are left unread");
            closing = true;
            ctx.close();
            return false;
        }
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (host != null && !hosts.allowsHeader(host)) {
            gate.refused(String.valueOf(ctx.channel().remoteAddress()), "httpAllowedHosts",
                    "refused: Host " + LogSafe.quote(host) + " is not one this port answers to");
            reply(ctx, request, HttpReply.text(403, TEXT, "host not allowed\n"), false);
            return false;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.path();
        HttpMethod method = request.method();
        boolean readOnly = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
        if (path.equals(webSocketPath)) {
            if (!method.equals(HttpMethod.GET)) {
                reply(ctx, request, methodNotAllowed("GET"), true);
                return false;
            }
            String upgrade = request.headers().get(HttpHeaderNames.UPGRADE);
            if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")
                    || !request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
                reply(ctx, request, withHeader(HttpReply.text(426, TEXT,
                        "this path accepts WebSocket upgrades only\n"), "upgrade", "websocket"), true);
                return false;
            }
            if (!"13".equals(request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
                reply(ctx, request, withHeader(HttpReply.text(426, TEXT, "WebSocket version 13 required\n"),
                        "sec-websocket-version", "13"), false);
                return false;
            }
            String origin = request.headers().get(HttpHeaderNames.ORIGIN);
            if (!origins.allows(origin, host)) {
                gate.refused(String.valueOf(ctx.channel().remoteAddress()), "allowedOrigins",
                        "refused a WebSocket upgrade: Origin " + LogSafe.quote(origin) + " is not allowed");
                reply(ctx, request, HttpReply.text(403, TEXT, "origin not allowed\n"), false);
                return false;
            }
            ctx.fireChannelRead(request);
            return true;
        }
        if (!readOnly) {
            reply(ctx, request, methodNotAllowed("GET, HEAD"), true);
            return false;
        }
        Map<String, String> headers = new HashMap<>();
        for (Map.Entry<String, String> h : request.headers()) {
            headers.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue());
        }
        String rawQuery = request.uri().indexOf('?') < 0 ? "" : request.uri().substring(request.uri().indexOf('?') + 1);
        int hash = rawQuery.indexOf('#');
        HttpCall call = new HttpCall(method.name(), path, hash < 0 ? rawQuery : rawQuery.substring(0, hash), headers,
                String.valueOf(ctx.channel().remoteAddress()));
        HttpReply answer;
        try {
            answer = service.handle(call);
            if (answer == null) {
                throw new NullPointerException("the HTTP service answered null");
            }
        } catch (RuntimeException e) {
            log.warn("the HTTP service failed on {} {}", method, LogSafe.quote(path), e);
            answer = HttpReply.text(500, TEXT, "internal error\n");
        }
        reply(ctx, request, answer, true);
        return false;
    }

    private static HttpReply methodNotAllowed(String allow) {
        return withHeader(HttpReply.text(405, TEXT, "method not allowed\n"), "allow", allow);
    }

    private static HttpReply withHeader(HttpReply reply, String name, String value) {
        Map<String, String> headers = new HashMap<>(reply.headers());
        headers.put(name, value);
        return new HttpReply(reply.status(), reply.contentType(), reply.body(), headers);
    }

    private void reply(ChannelHandlerContext ctx, FullHttpRequest request, HttpReply reply, boolean mayKeepAlive) {
        boolean head = request.method().equals(HttpMethod.HEAD);
        FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(),
                HttpResponseStatus.valueOf(reply.status()),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(reply.body()));
        reply.headers().forEach((name, value) -> response.headers().set(name, value));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
        response.headers().set("x-content-type-options", "nosniff");
        boolean keepAlive = mayKeepAlive && request.decoderResult().isSuccess() && HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        } else {
            written.addListener(f -> {
                if (f.isSuccess() && ctx.channel().isOpen()) {
                    guard.rearm(); // the whole response is out: the next request gets a whole deadline
                }
            });
        }
    }
}

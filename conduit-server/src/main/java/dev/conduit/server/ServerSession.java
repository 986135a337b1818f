package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.protocol.ProtocolVersion;
import dev.conduit.transport.Connection;
import dev.conduit.transport.FrameHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of one connected peer: its handshake, its subscriptions, and the deliveries
 * made to it.
 *
 * <p>Threads: {@link #onFrame} and the other handler methods run on the connection's I/O thread, one
 * at a time. {@link #deliver} runs on whichever I/O thread routes a publish, so what it touches is
 * thread-safe: the subscription map, the subscription counters, the connection.
 */
final class ServerSession implements FrameHandler {
    private static final Logger log = LoggerFactory.getLogger(ServerSession.class);

    /** The session's lifecycle: AWAITING_HELLO, then OPEN, then CLOSED. */
    private enum State { AWAITING_HELLO, OPEN, CLOSED }

    final Connection connection;
    final String id;
    private final RoutingServer server;
    private final ServerConfig config;
    private final Map<Integer, ServerSubscription> subscriptions = new ConcurrentHashMap<>();
    /** Routing scratch space, used only on this session's I/O thread. */
    final List<ServerSubscription> targets = new ArrayList<>();
    private final AtomicBoolean slow = new AtomicBoolean();
    private final Connection.Cancellable handshakeTimer;
    private volatile State state = State.AWAITING_HELLO;
    private volatile String clientName = "?";

    ServerSession(RoutingServer server, Connection connection, String id) {
        this.server = server;
        this.config = server.config();
        this.connection = connection;
        this.id = id;
        this.handshakeTimer = connection.schedule(this::handshakeExpired,
                config.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void onFrame(Frame frame) {
        State s = state;
        if (s == State.CLOSED) {
            return;
        }
        if (s == State.AWAITING_HELLO) {
            if (frame instanceof Frame.Hello hello) {
                hello(hello);
            } else {
                fatal(ErrorCode.UNEXPECTED_FRAME, "expected HELLO as the first frame, got " + frame.type());
            }
            return;
        }
        switch (frame) {
            case Frame.Publish p -> publish(p);
            case Frame.Subscribe sub -> subscribe(sub);
            case Frame.Unsubscribe u -> unsubscribe(u);
            case Frame.Ping p -> connection.send(new Frame.Pong(p.token()));
            case Frame.Pong p -> { }
            case Frame.Ack a -> { } // resumption is not negotiated in this version
            case Frame.GoAway g -> {
                log.debug("{} is going away: {}", this, g.reason());
                connection.close();
            }
            case Frame.Error e -> {
                log.info("{} reported error {}: {}", this, e.code(), e.message());
                if (e.fatal()) {
                    connection.close();
                }
            }
            default -> fatal(ErrorCode.UNEXPECTED_FRAME, frame.type() + " is not a frame a client may send");
        }
    }

    private void hello(Frame.Hello hello) {
        int version = ProtocolVersion.negotiate(hello.minVersion(), hello.maxVersion());
        if (version < 0) {
            fatal(ErrorCode.UNSUPPORTED_VERSION, "server speaks protocol versions " + ProtocolVersion.MIN + ".."
                    + ProtocolVersion.MAX + ", client offered " + hello.minVersion() + ".." + hello.maxVersion());
            return;
        }
        handshakeTimer.cancel();
        clientName = hello.clientName();
        ProtocolLimits l = config.limits();
        state = State.OPEN;
        connection.send(new Frame.Welcome(version, server.serverId(), id, server.epoch(), false, 0,
                l.maxPayloadBytes(), l.maxHeaderBytes(), l.maxSubjectBytes(), 0, 0));
        log.debug("{} opened (protocol {})", this, version);
    }

    private void publish(Frame.Publish p) {
        // TCP frames were checked by the decoder; in-process ones arrive as objects and are checked here.
        int max = config.limits().maxPayloadBytes();
        if (p.body().payload().length > max) {
            fatal(ErrorCode.PAYLOAD_TOO_LARGE, "payload of " + p.body().payload().length
                    + " bytes exceeds the maximum of " + max + " bytes");
            return;
        }
        server.route(this, p);
    }

    private void subscribe(Frame.Subscribe s) {
        ServerSubscription sub = new ServerSubscription(this, s.subscriptionId(), s.pattern(), s.queueGroup());
        if (subscriptions.putIfAbsent(s.subscriptionId(), sub) != null) {
            error(ErrorCode.DUPLICATE_SUBSCRIPTION, "subscription id " + s.subscriptionId() + " is already in use");
            return;
        }
        server.index().add(sub);
    }

    private void unsubscribe(Frame.Unsubscribe u) {
        ServerSubscription sub = subscriptions.get(u.subscriptionId());
        if (sub == null) {
            return; // already ended, possibly by reaching its limit: nothing to do
        }
        if (u.afterMessages() == 0 || sub.limitTo(u.afterMessages())) {
            end(sub);
        }
    }

    private void end(ServerSubscription sub) {
        if (subscriptions.remove(sub.id, sub)) {
            server.index().remove(sub);
        }
    }

    /** Delivers a routed message; runs on the publisher's I/O thread. */
    void deliver(ServerSubscription sub, MessageBody body) {
        if (state == State.CLOSED) {
            return;
        }
        int count = sub.countDelivery();
        if (count < 0) {
            return;
        }
        connection.send(new Frame.Message(0, sub.id, body));
        if (count == 1) {
            end(sub);
        }
        if (connection.pendingOutboundBytes() > config.maxPendingBytesPerConnection()) {
            slowConsumer();
        }
    }

    private void slowConsumer() {
        if (slow.compareAndSet(false, true)) {
            fatal(ErrorCode.SLOW_CONSUMER, "more than " + config.maxPendingBytesPerConnection()
                    + " bytes waiting to be sent: the subscriber is not reading fast enough");
        }
    }

    private void handshakeExpired() {
        if (state == State.AWAITING_HELLO) {
            fatal(ErrorCode.HANDSHAKE_TIMEOUT, "no HELLO within " + config.handshakeTimeout().toMillis() + " ms");
        }
    }

    @Override
    public void onProtocolError(ProtocolException error, boolean inSync) {
        if (inSync && state == State.OPEN && error.code() == ErrorCode.INVALID_SUBJECT) {
            error(error.code(), error.getMessage());
        } else {
            fatal(error.code(), error.getMessage());
        }
    }

    private void error(ErrorCode code, String message) {
        log.info("{}: {}", this, message);
        connection.send(new Frame.Error(code, false, message));
    }

    /** Tells the peer why, then closes: at once if the peer does not read it in time. */
    private void fatal(ErrorCode code, String message) {
        log.warn("closing {}: {} ({})", this, message, code);
        state = State.CLOSED;
        connection.sendAndClose(new Frame.Error(code, true, message));
        connection.schedule(connection::abort, Math.max(100, config.drainTimeout().toMillis()), TimeUnit.MILLISECONDS);
    }

    /** Server stopping: tells the peer, then closes after what is queued is written. */
    void goAway(int drainMillis) {
        if (state != State.CLOSED) {
            connection.sendAndClose(new Frame.GoAway(ErrorCode.SERVER_SHUTTING_DOWN.code(), drainMillis,
                    "server shutting down"));
        }
    }

    @Override
    public void onClosed(Throwable cause) {
        state = State.CLOSED;
        handshakeTimer.cancel();
        for (ServerSubscription sub : subscriptions.values()) {
            end(sub);
        }
        server.sessionClosed(this);
        if (cause != null) {
            log.debug("{} closed: {}", this, cause.toString());
        }
    }

    int subscriptionCount() {
        return subscriptions.size();
    }

    @Override
    public String toString() {
        return "session " + id + " (" + clientName + " at " + connection.remoteAddress() + ")";
    }
}

package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.MessageBody;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The pacing of a {@link ServerSession}'s reliable subscriptions (docs/protocol.md section 7b): a
 * message the client's window has no room for is held, in order, and sent as CREDIT frames open the
 * window; past {@link FlowControl#maxHeldBytesPerSubscription()} the publishers whose messages it
 * holds stop being read until it drains to half of that; a subscription that grants no credit for
 * {@link FlowControl#maxStall()} is ended (GAP with ENDED, a non-fatal 429).
 *
 * <p>Threads: the credit state lives in each {@link ServerSubscription} and is guarded by the
 * session's {@code outLock}; waiting publishers are taken out under it and woken outside it.
 */
final class SessionCredit {
    private final ServerSession session;
    private final RoutingServer server;
    private final ServerConfig config;

    SessionCredit(ServerSession session) {
        this.session = session;
        this.server = session.server;
        this.config = session.config;
    }

    /**
     * A reliable subscription has no credit for {@code body}: holds it, starts the stall clock, and
     * past the bound asks the publisher to wait; under outLock.
     *
     * @return true if {@code publisher} must stop reading until woken
     */
    boolean hold(ServerSubscription sub, MessageBody body, ServerConnection publisher) {
        boolean first = !sub.holding();
        long heldBytes = sub.hold(body);
        server.metrics().held(body.payloadLength());
        if (first) {
            startStall(sub);
        }
        if (heldBytes > config.flow().maxHeldBytesPerSubscription() && publisher != null) {
            sub.addWaiter(publisher);
            return true;
        }
        return false;
    }

    /** CREDIT from the client: sends what the new room allows, and wakes publishers once drained. */
    void credit(Frame.Credit c) {
        ServerSubscription sub = session.subscriptions.get(c.subscriptionId());
        if (sub == null || !sub.reliable()) {
            return; // ended meanwhile, or lossy: nothing to pace
        }
        boolean last = false;
        List<ServerConnection> waiting = List.of();
        synchronized (session.outLock) {
            if (sub.ended || !sub.consumed(c.consumedMessages(), c.consumedBytes())) {
                return;
            }
            MessageBody next;
            while (!last && (next = sub.peekHeld()) != null && sub.mayStart(next.payloadLength())) {
                sub.pollHeld();
                server.metrics().held(-next.payloadLength());
                // held messages are clients' (the server's own are too few to hold)
                last = session.outbound.emit(sub, next, true);
            }
            if (sub.holding()) {
                sub.stalledSince = config.clock().nanoTime(); // credit came: the stall starts again
            } else {
                sub.stalledSince = -1;
                stopStallTimer(sub);
            }
            if (sub.heldBytes() <= config.flow().maxHeldBytesPerSubscription() / 2) {
                waiting = sub.takeWaiters();
            }
        }
        wake(waiting, sub);
        if (last) {
            session.endSubscription(sub);
        }
    }

    private static void wake(List<ServerConnection> waiting, ServerSubscription sub) {
        for (int i = 0; i < waiting.size(); i++) {
            waiting.get(i).creditFreed(sub);
        }
    }

    /** Messages are now held for {@code sub}: the stall clock runs until credit comes; under outLock. */
    private void startStall(ServerSubscription sub) {
        sub.stalledSince = config.clock().nanoTime();
        long stall = config.flow().maxStall().toNanos();
        if (stall > 0 && sub.stallTimer == null) {
            sub.stallTimer = config.clock().schedule(() -> stallCheck(sub), stall, TimeUnit.NANOSECONDS);
        }
    }

    private static void stopStallTimer(ServerSubscription sub) {
        if (sub.stallTimer != null) {
            sub.stallTimer.cancel();
            sub.stallTimer = null;
        }
    }

    /**
     * The stall timer fired: if credit came meanwhile, waits for the rest of the stall limit from
     * then; otherwise ends the subscription (GAP with ENDED, a non-fatal 429). On the clock's thread.
     */
    private void stallCheck(ServerSubscription sub) {
        long limit = config.flow().maxStall().toNanos();
        String message;
        synchronized (session.outLock) {
            sub.stallTimer = null;
            if (sub.ended || sub.stalledSince < 0 || session.state() == ServerSession.State.CLOSED) {
                return;
            }
            long stalled = config.clock().nanoTime() - sub.stalledSince;
            if (stalled < limit) {
                sub.stallTimer = config.clock().schedule(() -> stallCheck(sub), limit - stalled, TimeUnit.NANOSECONDS);
                return;
            }
            long heldBytes = sub.heldBytes();
            long dropped = sub.dropHeld();
            server.metrics().held(-heldBytes);
            sub.ended = true;
            session.outbound.sendSequenced(new Frame.Gap(sub.id, dropped, true));
            message = "subscription " + sub.id + " '" + sub.pattern + "' of session " + session.id
                    + " granted no credit for " + TimeUnit.NANOSECONDS.toMillis(stalled) + " ms (maxStall): ended, "
                    + dropped + " held messages not delivered";
            ServerConnection c = session.attached();
            if (c != null) {
                c.connection.send(new Frame.Error(ErrorCode.SLOW_CONSUMER, false, message));
            }
        }
        server.metrics().stalled();
        server.limitLog("maxStall").note(session, message);
        session.endSubscription(sub);
    }

    /** {@code sub} ended: what it holds is dropped and its waiting publishers read on. Outside the locks. */
    void ended(ServerSubscription sub) {
        List<ServerConnection> waiting;
        synchronized (session.outLock) {
            sub.ended = true;
            server.metrics().held(-sub.heldBytes());
            sub.dropHeld();
            stopStallTimer(sub);
            waiting = sub.takeWaiters();
        }
        wake(waiting, sub);
    }

    /** The session ends: every reliable subscription's held messages are dropped; under outLock. */
    void sessionEnded() {
        for (ServerSubscription sub : session.subscriptions.values()) {
            if (sub.reliable()) {
                server.metrics().held(-sub.heldBytes());
                sub.dropHeld();
            }
        }
    }
}

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
 * <p>Threads: the credit state lives in each {@link ServerSubscription} and, like the rest of the
 * outbound state, is touched only by the session's {@link SessionWriter}: a CREDIT frame, a stall
 * check or the end of a subscription is handed to it as a task. Waiting publishers are woken with a
 * task on their own connections ({@link ServerConnection#creditFreed}).
 */
final class SessionCredit {
    private final ServerSession session;
    private final RoutingServer server;
    private final ServerConfig config;
    private final SessionWriter writer;

    SessionCredit(ServerSession session, SessionWriter writer) {
        this.session = session;
        this.server = session.server;
        this.config = session.config;
        this.writer = writer;
    }

    /**
     * A reliable subscription has no credit for {@code body}: holds it, starts the stall clock, and
     * past the bound asks the publisher to wait; in the writer.
     *
     * A publisher it adds to the waiters stops reading with a task on its own thread; both that and
     * {@link ServerConnection#creditFreed} go through {@code schedule}, so they run there in order.
     */
    void hold(ServerSubscription sub, MessageBody body, ServerConnection publisher) {
        writer.check();
        boolean first = !sub.holding();
        long heldBytes = sub.hold(body);
        server.metrics().held(body.payloadLength());
        if (first) {
            startStall(sub);
        }
        if (heldBytes > config.flow().maxHeldBytesPerSubscription() && publisher != null && sub.addWaiter(publisher)) {
            publisher.connection.schedule(() -> publisher.waitForCredit(sub), 0, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * On the publisher's thread, while routing: what {@code sub} holds plus what is on its way to the
     * writer passed the bound, so the publisher stops reading now, and is woken like any waiter (or
     * at once, if the writer drained it meanwhile).
     */
    void waitWhileOver(ServerSubscription sub, ServerConnection publisher) {
        sub.addWaiter(publisher);
        publisher.waitForCredit(sub);
        long half = config.flow().maxHeldBytesPerSubscription() / 2;
        if ((sub.ended || sub.drainedTo(half)) && sub.removeWaiter(publisher)) {
            publisher.creditFreed(sub); // drained before it could see us waiting
        }
    }

    /** After a message was sent rather than held: wakes waiters if what was on its way has drained; in the writer. */
    void wakeIfDrained(ServerSubscription sub) {
        if (sub.hasWaiters() && sub.drainedTo(config.flow().maxHeldBytesPerSubscription() / 2)) {
            wake(sub.takeWaiters(), sub);
        }
    }

    /** CREDIT from the client (the attached connection's thread): handed to the writer. */
    void credit(Frame.Credit c) {
        ServerSubscription sub = session.subscriptions.get(c.subscriptionId());
        if (sub == null || !sub.reliable()) {
            return; // ended meanwhile, or lossy: nothing to pace
        }
        long messages = c.consumedMessages();
        long bytes = c.consumedBytes();
        writer.execute(() -> creditNow(sub, messages, bytes));
    }

    /** Sends what the new room allows, and wakes publishers once drained; in the writer. */
    private void creditNow(ServerSubscription sub, long messages, long bytes) {
        writer.check();
        if (sub.ended || session.outbound.closed() || !sub.consumed(messages, bytes)) {
            return;
        }
        if (server.durable) {
            session.outbound.drainDurable(); // a durable session's messages wait in one queue, in number order
            return;
        }
        boolean last = false;
        MessageBody next;
        while (!last && (next = sub.peekHeld()) != null && sub.mayStart(next.payloadLength())) {
            sub.pollHeld();
            server.metrics().held(-next.payloadLength());
            // held messages are clients' (the server's own are too few to hold)
            last = session.outbound.emit(sub, next, true) == 1;
        }
        if (sub.holding()) {
            sub.stalledSince = config.clock().nanoTime(); // credit came: the stall starts again
        } else {
            sub.stalledSince = -1;
            stopStallTimer(sub);
        }
        if (sub.heldBytes() <= config.flow().maxHeldBytesPerSubscription() / 2) {
            wake(sub.takeWaiters(), sub);
        }
        if (last) {
            session.endSubscription(sub);
        }
    }

    private static void wake(List<ServerConnection> waiting, ServerSubscription sub) {
        for (int i = 0; i < waiting.size(); i++) {
            waiting.get(i).creditFreed(sub);
        }
    }

    /** Messages are now held for {@code sub}: the stall clock runs until credit comes; in the writer. */
    private void startStall(ServerSubscription sub) {
        sub.stalledSince = config.clock().nanoTime();
        if (config.flow().maxStall().toNanos() > 0 && sub.stallTimer == null) {
            armStallCheck(sub);
        }
    }

    /**
     * Arms the stall check for when {@code sub} will have granted no credit for the stall limit: at
     * that reading itself, not at a delay from now, since this may run while a (test) clock moves on.
     */
    private void armStallCheck(ServerSubscription sub) {
        sub.stallTimer = config.clock().scheduleAt(() -> writer.execute(() -> stallCheck(sub)),
                sub.stalledSince + config.flow().maxStall().toNanos());
    }

    private static void stopStallTimer(ServerSubscription sub) {
        if (sub.stallTimer != null) {
            sub.stallTimer.cancel();
            sub.stallTimer = null;
        }
    }

    /**
     * The stall timer fired: if credit came meanwhile, waits for the rest of the stall limit from
     * then; otherwise ends the subscription (GAP with ENDED, a non-fatal 429). In the writer, handed
     * over by the clock.
     */
    private void stallCheck(ServerSubscription sub) {
        writer.check();
        long limit = config.flow().maxStall().toNanos();
        sub.stallTimer = null;
        if (sub.ended || sub.stalledSince < 0 || session.outbound.closed()) {
            return;
        }
        long stalled = config.clock().nanoTime() - sub.stalledSince;
        if (stalled < limit) {
            armStallCheck(sub);
            return;
        }
        long heldBytes = sub.heldBytes();
        long dropped = sub.dropHeld();
        server.metrics().held(-heldBytes);
        sub.ended = true;
        session.outbound.sendSequenced(new Frame.Gap(sub.id, dropped, true));
        String message = "subscription " + sub.id + " '" + sub.pattern + "' of session " + session.id
                + " granted no credit for " + TimeUnit.NANOSECONDS.toMillis(stalled) + " ms (maxStall): ended, "
                + dropped + " held messages not delivered";
        session.outbound.sendUnsequenced(new Frame.Error(ErrorCode.SLOW_CONSUMER, false, message));
        server.metrics().stalled();
        server.limitLog("maxStall").note(session, message);
        session.endSubscription(sub);
    }

    /** {@code sub} ended: the writer drops what it holds and lets its waiting publishers read on. Any thread. */
    void ended(ServerSubscription sub) {
        writer.execute(() -> {
            writer.check();
            sub.ended = true;
            server.metrics().held(-sub.heldBytes());
            sub.dropHeld();
            stopStallTimer(sub);
            wake(sub.takeWaiters(), sub);
        });
    }

    /** The session ends: every reliable subscription's held messages are dropped; in the writer. */
    void sessionEnded(java.util.Collection<ServerSubscription> subscriptions) {
        writer.check();
        for (ServerSubscription sub : subscriptions) {
            if (sub.reliable()) {
                server.metrics().held(-sub.heldBytes());
                sub.dropHeld();
            }
        }
    }
}

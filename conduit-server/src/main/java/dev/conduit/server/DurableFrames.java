package dev.conduit.server;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.MessageBody;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable session's frames as the cluster's engine numbered them, not yet sent (docs/cluster.md,
 * "Durable sessions"): the session sends them in number order, with those numbers, so a reliable
 * subscription without credit holds back the frames behind its next message. Bounded by the
 * engine, which numbers at most its bound of frames the client has not acknowledged. Part of
 * {@link SessionOutbound}; used in its writer only.
 */
final class DurableFrames {
    private static final Logger log = LoggerFactory.getLogger(ServerSession.class);

    private final ServerSession session;
    private final SessionOutbound outbound;
    private final ArrayDeque<Frame> queue = new ArrayDeque<>();
    /** The number of the last frame queued (or sent before it). */
    private long numbered;
    /** A frame arrived out of order: the session ends, nothing more is taken. */
    private boolean broken;

    DurableFrames(ServerSession session, SessionOutbound outbound) {
        this.session = session;
        this.outbound = outbound;
    }

    /** The session moved here with {@code sent} frames numbered. */
    void restore(long sent) {
        numbered = sent;
    }

    /** The frame numbered {@code number}: queued, and sent as soon as it may go. */
    void add(long number, Frame frame) {
        if (broken || number <= numbered) {
            return; // a frame it already has (handed over again after a claim)
        }
        if (number != numbered + 1) {
            // The backplane hands every number once, in order: a hole would break the client's numbering.
            log.error("{}: durable frame {} arrived after {}; ending the session", session, number, numbered);
            broken = true;
            session.config.clock().schedule(() -> session.end("its frames from the cluster arrived out of order"), 0,
                    java.util.concurrent.TimeUnit.NANOSECONDS);
            return;
        }
        numbered = number;
        queue.add(frame);
        drain();
    }

    /**
     * Sends what heads the queue while it may go: a MESSAGE for a reliable subscription only with
     * credit for it (then what follows waits too).
     */
    void drain() {
        for (Frame f; !outbound.closed() && (f = queue.peek()) != null; ) {
            ServerSubscription sub = f instanceof Frame.Message m ? session.subscriptions.get(m.subscriptionId()) : null;
            if (sub != null && sub.reliable() && !sub.ended
                    && !sub.mayStart(((Frame.Message) f).body().payloadLength())) {
                return; // its CREDIT drains on
            }
            queue.poll();
            if (f instanceof Frame.Message m) {
                emit(sub, m);
            } else {
                outbound.sendSequenced(f);
            }
        }
    }

    /** Sends one MESSAGE, numbered as the engine did ({@link SessionOutbound#emit} for the others). */
    private void emit(@Nullable ServerSubscription sub, Frame.Message m) {
        MessageBody body = m.body();
        int count = 0;
        if (sub != null) {
            count = sub.countDelivery(); // past a limit it still goes: the number is taken
            if (sub.reliable()) {
                sub.sent(body.payloadLength());
            }
            SessionAccess access = session.access();
            if (body.replyTo() != null && access.recordsResponses()) {
                access.granted(body.replyTo());
            }
        }
        outbound.sendSequenced(new Frame.Message(outbound.nextNumber(), m.subscriptionId(), body));
        session.stats.delivered(body.payloadLength());
        long roundTrip = session.stats.replyDelivered(body.subject(), session.config.clock());
        if (roundTrip >= 0) {
            session.server.metrics().roundTrip(roundTrip);
        }
        if (count == 1) {
            session.endSubscription(sub);
        }
    }
}

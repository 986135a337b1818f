package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.SequencedStream;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound half of a {@link ServerSession}: every sequenced frame it sends (MESSAGE,
 * NO_RESPONDERS, GAP) takes the next number and stays in {@link #replay} until the client
 * acknowledges it, also while the session is detached; after a resume what follows the client's
 * last received number is sent again. It applies the bounds: the session's
 * {@code maxPendingBytesPerSession} and its share of the server's {@link MemoryBudget}, past which a
 * lossy subscription's slow-consumer policy applies; reliable subscriptions are paced by
 * {@link SessionCredit} instead.
 *
 * <p>Threads: a single writer. The state here (and the credit state of the session's
 * subscriptions) is touched only inside the session's {@link SessionWriter} drain, on its owner
 * connection's thread, so it takes no lock: other threads hand it (subscription, message) and the
 * like through {@link SessionWriter#execute}, and a MESSAGE is numbered where it is queued for
 * writing on that thread. What other threads read of it are the {@code volatile} figures
 * {@link #sent}, {@link #acknowledged} and {@link #heldBytes}, written by the drain.
 */
final class SessionOutbound {
    private static final Logger log = LoggerFactory.getLogger(ServerSession.class);

    private final ServerSession session;
    private final RoutingServer server;
    private final ServerConfig config;
    private final SessionWriter writer;
    /** Sequenced frames sent or buffered and not yet acknowledged, with their numbering. */
    private final SequencedStream<Frame> replay;
    /** The session is over its bound: the slow-consumer policy applies until it catches up. */
    private boolean behind;
    /**
     * {@link #behind} as the publishers' threads see it: while set, a lossy subscription's message is
     * dropped where it is routed, without a task for the writer, save one in
     * {@value #SKIP_SAMPLE} that the writer sees (so it notices when the session is under its bound
     * again even if no ACK comes). A stuck subscriber then costs its publishers a counter per
     * message instead of a hand-off.
     */
    private volatile boolean skipping;
    static final int SKIP_SAMPLE = 64;
    /** Where frames are written: the attached connection as the drain knows it, null while detached. */
    private ServerConnection out;
    /** The bytes held count as a detached session's in the budget (moved in and out by the drain). */
    private boolean detached;
    /** The session ended: nothing more is numbered. */
    private boolean closed;
    /** Written by the drain, read by any thread: what was numbered, confirmed, and the bytes held. */
    private volatile long sent;
    private volatile long acknowledged;
    private volatile long heldBytes;
    /** A durable session's frames as the engine numbered them (docs/cluster.md); null unless durable. */
    private final @Nullable DurableFrames durable;

    SessionOutbound(ServerSession session, SessionWriter writer, ServerConnection first) {
        this.session = session;
        this.server = session.server;
        this.config = session.config;
        this.writer = writer;
        this.out = first;
        // Bounded by deliver's slow-consumer policy, which looks at heldBytes() itself.
        this.replay = new SequencedStream<>(config.maxPendingBytesPerSession(), FrameCodec::encodedLength);
        this.durable = server.durable ? new DurableFrames(session, this) : null;
    }

    /**
     * Delivers a routed message; any thread (the publisher's). Hands it to the writer, which sends
     * it, or for a reliable subscription without credit holds it; past its bound the publisher is
     * asked to stop reading ({@link ServerConnection#waitForCredit}) on its own thread.
     *
     * @param publisher  the connection whose PUBLISH this is, to be woken when the subscription drains;
     *                   null for the server's own messages
     * @param traffic    whether it counts as traffic (messages out, round trips); the server's own
     *                   messages ({@code $SYS.stats}, answers to {@code $SYS.api} requests) do not
     * @param startNanos when the publish was received, to time this delivery; -1 not to
     */
    void deliver(ServerSubscription sub, MessageBody body, ServerConnection publisher, boolean traffic,
                 long startNanos) {
        if (session.state() == ServerSession.State.CLOSED) {
            return;
        }
        if (server.durable) { // numbered by the engine, and sent when it hands the frame back
            ServerSession origin = publisher == null ? null : publisher.session();
            long originSeq = RoutingServer.frameInProgress(origin);
            server.backplane().durableDeliver(originSeq > 0 ? origin.id : null, originSeq, session.id, sub.id, body);
            if (originSeq > 0) {
                origin.inbound.forwarded(); // that frame's ACK waits until the engine holds this
            }
            return;
        }
        if (skipping && !sub.reliable() && !sub.disconnectWhenSlow && sub.dropAtRouting(SKIP_SAMPLE)) {
            server.countSlowConsumer(true);
            return;
        }
        int bytes = body.payloadLength();
        boolean over = sub.reliable() && sub.routed(bytes, config.flow().maxHeldBytesPerSubscription());
        writer.deliver(traffic && startNanos < 0 ? new Delivery(sub, body, publisher)
                : new Delivery.Timed(sub, body, publisher, traffic, startNanos), bytes, publisher);
        if (over && publisher != null) {
            session.credit.waitWhileOver(sub, publisher);
        }
    }

    /**
     * A delivery handed to the writer as an item, not a task ({@link SessionWriter#deliver}): the
     * writer's drain runs it with {@link #deliverNow(Delivery)}, in its place among the writer's
     * tasks. The common case (traffic, not timed) holds three references, 24 bytes, where a
     * capturing lambda held six fields, 40; {@link Timed} carries the rest.
     */
    static class Delivery {
        final ServerSubscription sub;
        final MessageBody body;
        /** The publisher's connection, to be woken when a held subscription drains; null: the server's own. */
        final @Nullable ServerConnection publisher;

        Delivery(ServerSubscription sub, MessageBody body, @Nullable ServerConnection publisher) {
            this.sub = sub;
            this.body = body;
            this.publisher = publisher;
        }

        /** Whether it counts as traffic (see {@link SessionOutbound#deliver}). */
        boolean traffic() {
            return true;
        }

        /** When its publish was received, to time it; -1 not to. */
        long startNanos() {
            return -1;
        }

        /** A delivery that is timed (one publish in 64) or is not traffic (the server's own messages). */
        static final class Timed extends Delivery {
            private final boolean traffic;
            private final long startNanos;

            Timed(ServerSubscription sub, MessageBody body, @Nullable ServerConnection publisher, boolean traffic,
                  long startNanos) {
                super(sub, body, publisher);
                this.traffic = traffic;
                this.startNanos = startNanos;
            }

            @Override
            boolean traffic() {
                return traffic;
            }

            @Override
            long startNanos() {
                return startNanos;
            }
        }
    }

    /** Runs a delivery handed over by {@link #deliver}; in the writer's drain. */
    void deliverNow(Delivery d) {
        deliverNow(d.sub, d.body, d.publisher, d.traffic(), d.startNanos());
    }

    private void deliverNow(ServerSubscription sub, MessageBody body, @Nullable ServerConnection publisher,
                            boolean traffic, long startNanos) {
        writer.check();
        writer.delivered(body.payloadLength());
        if (sub.reliable()) {
            sub.taken(body.payloadLength());
        }
        if (closed) {
            return;
        }
        int count;
        if (sub.reliable()) {
            if (sub.ended) {
                return;
            }
            if (sub.holding() || !sub.mayStart(body.payloadLength())) {
                session.credit.hold(sub, body, publisher);
                return;
            }
            count = emit(sub, body, traffic);
            session.credit.wakeIfDrained(sub);
        } else {
            if (replay.heldBytes() > config.maxPendingBytesPerSession() || server.budget().over(replay.heldBytes())) {
                tooSlow(sub, body);
                return;
            } else if (behind) {
                behind = false;
                skipping = false;
                log.info("{} caught up", session);
            }
            count = emit(sub, body, traffic);
        }
        if (count >= 0 && startNanos >= 0 && out != null) {
            writer.timeDelivery(startNanos); // recorded when the writer's turn ends
        }
        if (count == 1) {
            session.endSubscription(sub);
        }
    }

    /**
     * Numbers and sends one MESSAGE for {@code sub} (after a GAP for what it dropped, if anything); in
     * the writer.
     *
     * @param traffic whether it counts as traffic (see {@link #deliver})
     * @return -1 if not sent (the subscription's limit was reached before), 1 if it was its last
     *         (end it), 0 otherwise
     */
    int emit(ServerSubscription sub, MessageBody body, boolean traffic) {
        int count = sub.countDelivery();
        if (count < 0) {
            return count;
        }
        long dropped = sub.takeDropped();
        if (dropped > 0) {
            sendSequenced(new Frame.Gap(sub.id, dropped));
        }
        if (sub.reliable()) {
            sub.sent(body.payloadLength());
        }
        SessionAccess access = session.access();
        if (body.replyTo() != null && access.recordsResponses()) {
            // Before the MESSAGE can leave: the responder's reply may come back on another thread
            // as soon as it is written, and must find its grant.
            access.granted(body.replyTo());
        }
        sendSequenced(new Frame.Message(replay.sent() + 1, sub.id, body));
        if (traffic) {
            session.stats.delivered(body.payloadLength());
            long roundTrip = session.stats.replyDelivered(body.subject(), config.clock());
            if (roundTrip >= 0) {
                server.metrics().roundTrip(roundTrip);
            }
        }
        return count;
    }

    /**
     * The session is over its bound when a message arrives for {@code sub}; in the writer. Applies
     * the subscription's policy; the message is not delivered.
     */
    private void tooSlow(ServerSubscription sub, MessageBody body) {
        if (sub.disconnectWhenSlow) {
            String message = "more than " + config.maxPendingBytesPerSession()
                    + " bytes delivered and not acknowledged: the subscriber is not keeping up (subscription "
                    + sub.id + " '" + sub.pattern + "', subject " + body.subject() + ")";
            server.countSlowConsumer(false);
            session.endAsSlowConsumer(message);
            return;
        }
        sub.dropOne();
        server.countSlowConsumer(true);
        if (!behind) {
            behind = true;
            skipping = true;
            log.warn("{} is not keeping up: more than {} bytes unacknowledged; dropping messages for its "
                    + "subscriptions (first: subscription {} '{}', subject {}) and reporting them with GAP",
                    session, config.maxPendingBytesPerSession(), sub.id, sub.pattern, body.subject());
        }
    }

    /** Tells a requester at once that nobody subscribes to its request's subject; any thread. */
    void noResponders(String replySubject) {
        if (session.state() == ServerSession.State.CLOSED) {
            return;
        }
        if (server.durable) {
            server.backplane().durableNoResponders(null, 0, session.id, replySubject);
            return;
        }
        writer.execute(() -> {
            writer.check();
            if (!closed) {
                sendSequenced(new Frame.NoResponders(replySubject));
            }
        });
    }

    /**
     * Tells {@code sub} that {@code count} messages meant for it were lost before they reached this
     * server (another node of the cluster could not forward them); any thread. A GAP, after the
     * one for what the subscription itself dropped, if anything.
     */
    void gap(ServerSubscription sub, long count) {
        if (session.state() == ServerSession.State.CLOSED) {
            return;
        }
        writer.execute(() -> {
            writer.check();
            if (!closed && !sub.ended) {
                sendSequenced(new Frame.Gap(sub.id, count + sub.takeDropped()));
            }
        });
    }

    /**
     * The frame the engine numbered {@code number} for this durable session; any thread, called in
     * number order ({@link DurableFrames}).
     */
    void durableFrame(long number, Frame frame) {
        writer.execute(() -> {
            writer.check();
            if (!closed && durable != null) {
                durable.add(number, frame);
            }
        });
    }

    /** A CREDIT came: sends what the durable queue may now; in the writer. */
    void drainDurable() {
        writer.check();
        if (!closed && durable != null) {
            durable.drain();
        }
    }

    /** The number the next sequenced frame takes; in the writer. */
    long nextNumber() {
        return replay.sent() + 1;
    }

    /** Numbers, buffers and (when attached) sends a sequenced frame; in the writer. */
    void sendSequenced(Frame frame) {
        writer.check();
        long before = replay.heldBytes();
        replay.send(frame); // whatever the bound: deliver applied the slow-consumer policy before
        server.budget().held(replay.heldBytes() - before, detached);
        sent = replay.sent();
        heldBytes = replay.heldBytes();
        if (out != null) {
            out.connection.send(frame);
        }
    }

    /** An unsequenced frame on the connection the writer sends to, if any; in the writer. */
    void sendUnsequenced(Frame frame) {
        writer.check();
        if (out != null) {
            out.connection.send(frame);
        }
    }

    /**
     * The client's cumulative ACK; on the attached connection's thread under inLock. Checked here
     * against what was numbered (an ACK beyond it, or of 2^63 or more, is fatal), applied by the
     * writer.
     */
    void acknowledged(ServerConnection from, long seq) {
        if (seq < 0) {
            from.fatal(ErrorCode.PROTOCOL_ERROR, "ACK for frame " + Long.toUnsignedString(seq)
                    + ": sequence numbers stay below 2^63");
            return;
        }
        long numbered = sent; // what the client can have received is numbered before it is sent
        if (seq > numbered) {
            from.fatal(ErrorCode.PROTOCOL_ERROR, "ACK for frame " + seq + " but only " + numbered + " were sent");
            return;
        }
        if (seq > acknowledged) {
            writer.execute(() -> confirmed(seq));
        }
    }

    private void confirmed(long seq) {
        writer.check();
        if (closed) {
            return;
        }
        long before = replay.heldBytes();
        if (replay.acknowledge(seq) != SequencedStream.Ack.CONFIRMED) {
            return; // stale: a later ACK was applied first
        }
        long freed = before - replay.heldBytes();
        if (freed > 0) {
            server.budget().held(-freed, detached);
        }
        acknowledged = replay.acknowledged();
        heldBytes = replay.heldBytes();
        if (server.durable) {
            server.backplane().durableAcknowledged(session.id, acknowledged); // the engine forgets them too
        }
        if (behind && replay.heldBytes() <= config.maxPendingBytesPerSession()) {
            // Caught up: report what was dropped now rather than with the next message, which may never come.
            behind = false;
            skipping = false;
            log.info("{} caught up", session);
            for (ServerSubscription sub : session.subscriptions.values()) {
                long dropped = sub.takeDropped();
                if (dropped > 0) {
                    sendSequenced(new Frame.Gap(sub.id, dropped));
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Attachment changes: decided by ServerSession under inLock, carried out here in the writer

    /**
     * Null if a resume naming {@code lastReceived} fits what the session holds, else why not; under
     * inLock. What the writer confirms before the resume runs never passes {@code lastReceived} (the
     * client confirms only what it received), so the answer stays true until then.
     */
    String replayRefusal(long lastReceived) {
        long numbered = sent;
        long confirmed = acknowledged;
        if (lastReceived < 0 || lastReceived > numbered || lastReceived < confirmed) {
            return "the client names frame " + Long.toUnsignedString(lastReceived) + " but the server holds "
                    + (confirmed + 1) + ".." + numbered;
        }
        return null;
    }

    /**
     * The session resumed on {@code to}, which was sent WELCOME: in order behind what was queued, the
     * writer moves to {@code to}'s thread, drops what {@code lastReceived} confirms, and sends the
     * rest again there (what it numbered meanwhile included), before anything new.
     */
    void resumed(ServerConnection to, long lastReceived) {
        writer.execute(() -> writer.moveTo(to, () -> replay(to, lastReceived)));
    }

    private void replay(ServerConnection to, long lastReceived) {
        writer.check();
        if (closed) {
            return;
        }
        long before = replay.heldBytes();
        java.util.List<Frame> again = new ArrayList<>(replay.held());
        if (replay.replayAfter(lastReceived, again::add) != SequencedStream.Replay.REPLAYED) {
            // The client confirmed more than this resume names since replayRefusal let it through:
            // a HELLO that arrived late, on a connection the client had already given up on (a
            // proxy can deliver one after the client resumed elsewhere), while ACKs of the live
            // connection were still queued here. Refused like any stale resume, not the session's
            // end: closing `to` detaches the session if it is still attached there, and the client,
            // whose live connection that resume closed, resumes again naming what it has.
            log.info("{}: a resume naming frame {} came after the client confirmed {}; its connection is closed",
                    session, Long.toUnsignedString(lastReceived), replay.acknowledged());
            to.connection.abort();
            return;
        }
        server.budget().held(replay.heldBytes() - before, detached);
        if (detached) {
            server.budget().moved(-replay.heldBytes());
            detached = false;
        }
        server.budget().gone(session);
        acknowledged = replay.acknowledged();
        heldBytes = replay.heldBytes();
        out = to;
        for (Frame f : again) {
            to.connection.send(f);
        }
        log.debug("{} resumed: client had {}, replayed {} frames", session, lastReceived, again.size());
    }

    /**
     * The session detached: the writer stops writing, moves what it holds into the detached
     * account, and lets the budget end the oldest detached sessions if a bound is passed.
     */
    void detachedNow() {
        writer.execute(() -> {
            writer.check();
            if (closed) {
                return;
            }
            out = null;
            detached = true;
            server.budget().moved(replay.heldBytes());
            server.budget().detached(session); // may end this or older detached sessions
        });
    }

    /**
     * The session ended: the writer gives its bytes back to the budget, drops what reliable
     * subscriptions hold, and reports the requests it held for queue groups (see
     * {@link #unansweredRequests}). {@code subscriptions} are the session's as it ended.
     */
    void ended(java.util.Map<Integer, ServerSubscription> subscriptions) {
        writer.execute(() -> {
            writer.check();
            if (closed) {
                return;
            }
            closed = true;
            server.budget().held(-replay.heldBytes(), detached);
            detached = false;
            out = null;
            List<String> replies = unansweredRequests(subscriptions); // forgets what the stream held
            heldBytes = 0;
            session.credit.sessionEnded(subscriptions.values());
            server.budget().gone(session); // in case this writer's detach put it back in after the end
            server.budget().released(session);
            if (!replies.isEmpty()) {
                server.requestsUnanswered(session, replies);
            }
        });
    }

    /**
     * The session moves to another server of the cluster: in the writer, behind every delivery
     * handed to it so far, takes what the client has not acknowledged and each subscription's
     * credit and held messages, then stops, as {@link #ended} does but without reporting held
     * requests (they move along) and without dropping anything of the state taken.
     */
    void movedAway(java.util.concurrent.CompletableFuture<SessionState> taken, String clientName, String principal,
                   long lastReceived) {
        writer.execute(() -> {
            writer.check();
            if (closed) {
                taken.completeExceptionally(new IllegalStateException("the session ended before it could move"));
                return;
            }
            try {
                List<Frame> frames = new ArrayList<>(replay.held());
                replay.replayAfter(replay.acknowledged(), frames::add); // confirms nothing: a view of what is held
                List<SessionState.Sub> subs = new ArrayList<>();
                for (ServerSubscription sub : session.subscriptions.values()) {
                    subs.add(sub.snapshot());
                }
                SessionState state = new SessionState(session.id, session.inboxPrefix, clientName, principal,
                        lastReceived, replay.acknowledged(), frames, subs);
                closed = true;
                server.budget().held(-replay.heldBytes(), detached);
                detached = false;
                out = null;
                replay.reset(f -> { });
                heldBytes = 0;
                session.credit.sessionEnded(session.subscriptions.values());
                server.budget().gone(session);
                server.budget().released(session);
                taken.complete(state);
            } catch (RuntimeException e) {
                taken.completeExceptionally(e);
            }
        });
    }

    /**
     * A session moved here: takes over the frames the client has not acknowledged, numbered after
     * {@code acknowledged}. Before the session is used by anyone (from its constructor's caller).
     */
    void restore(long acknowledged, List<Frame> unacknowledged) {
        replay.restore(acknowledged, unacknowledged);
        out = null; // nothing is written before the replay (resumed) has sent what the client lacks
        sent = replay.sent();
        if (durable != null) {
            durable.restore(replay.sent());
        }
        this.acknowledged = replay.acknowledged();
        heldBytes = replay.heldBytes();
        server.budget().held(heldBytes, detached);
    }

    /** Whether the session ended, as the writer knows it; in the writer. */
    boolean closed() {
        return closed;
    }

    /**
     * The reply subjects of the requests held for this session's queue group members and not
     * acknowledged: no other member got them, so nobody will answer. In the writer, as it ends.
     */
    private List<String> unansweredRequests(java.util.Map<Integer, ServerSubscription> subscriptions) {
        List<String> replies = new ArrayList<>();
        replay.reset(f -> {
            if (f instanceof Frame.Message m && m.body().replyTo() != null) {
                ServerSubscription sub = subscriptions.get(m.subscriptionId());
                if (sub != null && sub.queueGroup() != null) {
                    replies.add(m.body().replyTo());
                }
            }
        });
        return replies.isEmpty() ? List.of() : replies;
    }

    /** Bytes of sequenced frames held and not yet acknowledged, as of the writer's last change; any thread. */
    long bufferedBytes() {
        return heldBytes;
    }

    /** The session's subscriptions, for the session page ({@code $SYS.api.session}); any thread. */
    List<SystemApi.SubscriptionInfo> subscriptionInfos() {
        List<SystemApi.SubscriptionInfo> infos = new ArrayList<>(session.subscriptions.size());
        for (ServerSubscription sub : session.subscriptions.values()) {
            infos.add(new SystemApi.SubscriptionInfo(sub.id, sub.pattern, sub.queueGroup(), sub.delivered(),
                    sub.droppedSinceGap(), sub.disconnectWhenSlow));
        }
        infos.sort(java.util.Comparator.comparingInt(SystemApi.SubscriptionInfo::id));
        return infos;
    }
}

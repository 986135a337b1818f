package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.SequencedStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * <p>Threads: deliveries come from any publisher's thread and from timers; everything here runs
 * under the session's {@code outLock}, which serializes numbering, the replay buffer and writing,
 * so numbers go out in order on whichever connection is attached.
 */
final class SessionOutbound {
    private static final Logger log = LoggerFactory.getLogger(ServerSession.class);

    private final ServerSession session;
    private final RoutingServer server;
    private final ServerConfig config;
    /** Sequenced frames sent or buffered and not yet acknowledged, with their numbering; under outLock. */
    private final SequencedStream<Frame> replay;
    /** The session is over its bound: the slow-consumer policy applies until it catches up; under outLock. */
    private boolean behind;
    /** Reply subjects of requests a queue group gave this session and it never received; set as it ends. */
    private List<String> unanswered = List.of();

    SessionOutbound(ServerSession session) {
        this.session = session;
        this.server = session.server;
        this.config = session.config;
        // Bounded by deliver's slow-consumer policy, which looks at heldBytes() itself.
        this.replay = new SequencedStream<>(config.maxPendingBytesPerSession(), FrameCodec::encodedLength);
    }

    /**
     * Delivers a routed message; runs on the publisher's I/O thread. A reliable subscription without
     * credit holds it instead; past its bound the publisher must wait.
     *
     * @param publisher the connection whose PUBLISH this is, to be woken when the subscription drains;
     *                  null for the server's own messages
     * @param traffic   whether it counts as traffic (messages out, round trips); the server's own
     *                  messages ({@code $SYS.stats}, answers to {@code $SYS.api} requests) do not
     * @return true if {@code publisher} must stop reading until woken ({@link ServerConnection#creditFreed})
     */
    boolean deliver(ServerSubscription sub, MessageBody body, ServerConnection publisher, boolean traffic) {
        boolean last;
        synchronized (session.outLock) {
            if (session.state() == ServerSession.State.CLOSED) {
                return false;
            }
            if (sub.reliable()) {
                if (sub.ended) {
                    return false;
                }
                if (sub.holding() || !sub.mayStart(body.payloadLength())) {
                    return session.credit.hold(sub, body, publisher);
                }
                last = emit(sub, body, traffic);
            } else {
                if (replay.heldBytes() > config.maxPendingBytesPerSession() || server.budget().over(replay.heldBytes())) {
                    if (!tooSlow(sub, body)) {
                        return false;
                    }
                } else if (behind) {
                    behind = false;
                    log.info("{} caught up", session);
                }
                last = emit(sub, body, traffic);
            }
        }
        if (last) {
            session.endSubscription(sub);
        }
        return false;
    }

    /**
     * Numbers and sends one MESSAGE for {@code sub} (after a GAP for what it dropped, if anything);
     * under outLock.
     *
     * @param traffic whether it counts as traffic (see {@link #deliver})
     * @return whether it was the subscription's last (its limit reached): end it outside the lock
     */
    boolean emit(ServerSubscription sub, MessageBody body, boolean traffic) {
        int count = sub.countDelivery();
        if (count < 0) {
            return false;
        }
        long dropped = sub.takeDropped();
        if (dropped > 0) {
            sendSequenced(new Frame.Gap(sub.id, dropped));
        }
        if (sub.reliable()) {
            sub.sent(body.payloadLength());
        }
        sendSequenced(new Frame.Message(replay.sent() + 1, sub.id, body));
        if (traffic) {
            session.stats.delivered(body.payloadLength());
            long roundTrip = session.stats.replyDelivered(body.subject(), config.clock());
            if (roundTrip >= 0) {
                server.metrics().roundTrip(roundTrip);
            }
        }
        SessionAccess access = session.access();
        if (body.replyTo() != null && access.recordsResponses()) {
            access.granted(body.replyTo());
        }
        return count == 1;
    }

    /**
     * The session is over its bound when a message arrives for {@code sub}; under outLock. Applies
     * the subscription's policy.
     *
     * @return false: the message is not delivered
     */
    private boolean tooSlow(ServerSubscription sub, MessageBody body) {
        if (sub.disconnectWhenSlow) {
            String message = "more than " + config.maxPendingBytesPerSession()
                    + " bytes delivered and not acknowledged: the subscriber is not keeping up (subscription "
                    + sub.id + " '" + sub.pattern + "', subject " + body.subject() + ")";
            server.countSlowConsumer(false);
            ServerConnection c = session.attached();
            if (c != null) {
                // The connection's own thread ends the session; fatal() takes the locks there.
                c.connection.schedule(() -> c.fatal(ErrorCode.SLOW_CONSUMER, message), 0, TimeUnit.NANOSECONDS);
            } else {
                log.warn("ending detached {}: {}", session, message);
                config.clock().schedule(() -> session.end(message), 0, TimeUnit.NANOSECONDS);
            }
            return false;
        }
        sub.dropOne();
        server.countSlowConsumer(true);
        if (!behind) {
            behind = true;
            log.warn("{} is not keeping up: more than {} bytes unacknowledged; dropping messages for its "
                    + "subscriptions (first: subscription {} '{}', subject {}) and reporting them with GAP",
                    session, config.maxPendingBytesPerSession(), sub.id, sub.pattern, body.subject());
        }
        return false;
    }

    /** Tells a requester at once that nobody subscribes to its request's subject. */
    void noResponders(String replySubject) {
        synchronized (session.outLock) {
            if (session.state() != ServerSession.State.CLOSED) {
                sendSequenced(new Frame.NoResponders(replySubject));
            }
        }
    }

    /**
     * Records, as a delivery latency, the time from {@code startNanos} to the moment what is queued
     * on the attached connection now has been written (a task run on the connection's thread after
     * the drain already scheduled).
     */
    void timeDelivery(long startNanos) {
        ServerConnection c;
        synchronized (session.outLock) {
            c = session.attached();
        }
        if (c != null) {
            c.connection.schedule(() -> server.metrics().delivered(config.clock().nanoTime() - startNanos), 0,
                    TimeUnit.NANOSECONDS);
        }
    }

    /** Numbers, buffers and (when attached) sends a sequenced frame; under outLock. */
    void sendSequenced(Frame frame) {
        long before = replay.heldBytes();
        replay.send(frame); // whatever the bound: deliver applied the slow-consumer policy before
        server.budget().held(replay.heldBytes() - before, session.state() == ServerSession.State.DETACHED);
        ServerConnection c = session.attached();
        if (c != null) {
            c.connection.send(frame);
        }
    }

    /** The client's cumulative ACK; under inLock (the attached connection's thread). */
    void acknowledged(ServerConnection from, long seq) {
        synchronized (session.outLock) {
            switch (confirm(seq)) {
                case BEYOND_SENT -> {
                    from.fatal(ErrorCode.PROTOCOL_ERROR, "ACK for frame " + seq + " but only " + replay.sent()
                            + " were sent");
                    return;
                }
                case INVALID -> {
                    from.fatal(ErrorCode.PROTOCOL_ERROR, "ACK for frame " + Long.toUnsignedString(seq)
                            + ": sequence numbers stay below 2^63");
                    return;
                }
                case CONFIRMED, STALE -> { }
            }
            if (behind && replay.heldBytes() <= config.maxPendingBytesPerSession()) {
                // Caught up: report what was dropped now rather than with the next message, which may never come.
                behind = false;
                log.info("{} caught up", session);
                for (ServerSubscription sub : session.subscriptions.values()) {
                    long dropped = sub.takeDropped();
                    if (dropped > 0) {
                        sendSequenced(new Frame.Gap(sub.id, dropped));
                    }
                }
            }
        }
    }

    /** Drops every buffered frame up to {@code seq} and gives its bytes back to the budget; under outLock. */
    private SequencedStream.Ack confirm(long seq) {
        long before = replay.heldBytes();
        SequencedStream.Ack ack = replay.acknowledge(seq);
        long freed = before - replay.heldBytes();
        if (freed > 0) {
            server.budget().held(-freed, session.state() == ServerSession.State.DETACHED);
        }
        return ack;
    }

    // ---------------------------------------------------------------------------------------------
    // Attachment changes, under both locks

    /**
     * A resume: drops what {@code lastReceived} confirms and adds the frames to send again to {@code
     * again}; under both locks.
     *
     * @return null, or why the client's number does not fit what the session holds
     */
    String replayAfter(long lastReceived, List<Frame> again) {
        long before = replay.heldBytes();
        if (replay.replayAfter(lastReceived, again::add) != SequencedStream.Replay.REPLAYED) {
            return "the client names frame " + Long.toUnsignedString(lastReceived) + " but the server holds "
                    + (replay.acknowledged() + 1) + ".." + replay.sent();
        }
        server.budget().held(replay.heldBytes() - before, session.state() == ServerSession.State.DETACHED);
        return null;
    }

    /** How many frames a resume may send again, to size its list; under outLock. */
    int heldFrames() {
        return replay.held();
    }

    /** What the session holds moves into ({@code detached}) or out of the detached account; under both locks. */
    void movedDetached(boolean detached) {
        server.budget().moved(detached ? replay.heldBytes() : -replay.heldBytes());
    }

    /** The session ends: its bytes go back to the budget and its unanswered requests are noted; under both locks. */
    void ended(boolean wasDetached) {
        server.budget().held(-replay.heldBytes(), wasDetached);
        unanswered = unansweredRequests(); // forgets what the stream held
    }

    /**
     * The reply subjects of the requests held for this session's queue group members and not
     * acknowledged: no other member got them, so nobody will answer. Under outLock, as it ends.
     */
    private List<String> unansweredRequests() {
        List<String> replies = new ArrayList<>();
        replay.reset(f -> {
            if (f instanceof Frame.Message m && m.body().replyTo() != null) {
                ServerSubscription sub = session.subscriptions.get(m.subscriptionId());
                if (sub != null && sub.queueGroup() != null) {
                    replies.add(m.body().replyTo());
                }
            }
        });
        return replies.isEmpty() ? List.of() : replies;
    }

    /** The unanswered requests noted as the session ended, once. */
    List<String> takeUnanswered() {
        synchronized (session.outLock) {
            List<String> replies = unanswered;
            unanswered = List.of();
            return replies;
        }
    }

    /** Bytes of sequenced frames held and not yet acknowledged; under outLock. */
    long heldBytesLocked() {
        return replay.heldBytes();
    }

    long bufferedBytes() {
        synchronized (session.outLock) {
            return replay.heldBytes();
        }
    }

    /** The session's subscriptions, for the session page ({@code $SYS.api.session}). */
    List<SystemApi.SubscriptionInfo> subscriptionInfos() {
        synchronized (session.outLock) { // the dropped counts are guarded by it
            List<SystemApi.SubscriptionInfo> out = new ArrayList<>(session.subscriptions.size());
            for (ServerSubscription sub : session.subscriptions.values()) {
                out.add(new SystemApi.SubscriptionInfo(sub.id, sub.pattern, sub.queueGroup(), sub.delivered(),
                        sub.droppedSinceGap(), sub.disconnectWhenSlow));
            }
            out.sort(java.util.Comparator.comparingInt(SystemApi.SubscriptionInfo::id));
            return out;
        }
    }
}

package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.SequencedStream;

/**
 * The inbound half of a {@link ServerSession}: the client's sequenced frames (PUBLISH, SUBSCRIBE,
 * UNSUBSCRIBE) counted and checked against the numbers they state, processed once each, and
 * acknowledged once per read batch; and the unsequenced ACK and CREDIT handed on to the outbound
 * half.
 *
 * <p>Threads: everything here runs on the attached connection's thread under the session's
 * {@code inLock}; during a resume an old connection's thread may still be delivering, and frames
 * from a connection that is no longer attached are ignored.
 */
final class SessionInbound {
    private final ServerSession session;
    private final RoutingServer server;
    private final ServerConfig config;
    /** The client's sequenced frames received, and what was acknowledged of them; under inLock. */
    private final SequencedStream.Receiver received = new SequencedStream.Receiver();
    /** A PUBLISH of this read went to other nodes of the cluster: its ACK waits until they hold it. Under inLock. */
    private boolean forwardedSinceAck;
    /** ACKs waiting for the backplane ({@link dev.conduit.server.spi.Backplane#whenSent}); later ones queue behind them. */
    private final java.util.concurrent.atomic.AtomicInteger heldAcks = new java.util.concurrent.atomic.AtomicInteger();

    SessionInbound(ServerSession session) {
        this.session = session;
        this.server = session.server;
        this.config = session.config;
    }

    /** The number of the client's last sequenced frame; under inLock. */
    long lastReceived() {
        return received.lastReceived();
    }

    /** A session moved here: its client's frames up to {@code lastReceived} were processed on the other node. */
    void restore(long lastReceived) {
        received.restore(lastReceived);
    }

    /** A frame from a connection after its handshake; ignored unless that connection is attached. */
    void inbound(ServerConnection from, Frame frame) {
        synchronized (session.inLock) {
            if (session.attached() != from) {
                return;
            }
            if (frame.sequenced()) {
                long stated = frame instanceof Frame.Publish p ? p.sequence() : 0;
                if (received.receive(stated) != SequencedStream.Receiver.Received.IN_ORDER) {
                    from.fatal(ErrorCode.PROTOCOL_ERROR, "PUBLISH carries sequence " + Long.toUnsignedString(stated)
                            + " where " + (received.lastReceived() + 1) + " was due");
                    return;
                }
                if (session.rate != null
                        && session.rate.charge(frame instanceof Frame.Publish p ? p.body().encodedLength() : 0)) {
                    overRate(from);
                }
            }
            switch (frame) {
                case Frame.Publish p -> publish(from, p);
                case Frame.Subscribe s -> subscribe(from, s);
                case Frame.Unsubscribe u -> unsubscribe(u);
                case Frame.Ack a -> session.outbound.acknowledged(from, a.sequence());
                case Frame.Credit c -> session.credit.credit(c);
                default -> throw new IllegalArgumentException("not a session frame: " + frame.type());
            }
        }
    }

    /** Routing forwarded a PUBLISH of this read to other nodes; under inLock. */
    void forwarded() {
        forwardedSinceAck = true;
    }

    /** End of a read batch: one ACK for every sequenced frame processed since the last one. */
    void acknowledge(ServerConnection from) {
        synchronized (session.inLock) {
            if (session.attached() == from) {
                long due = received.ackDue();
                if (due != 0) {
                    // Through the writer: behind what this read routed to this session itself (its
                    // own messages, NO_RESPONDERS), as when those were sent while routing.
                    Frame.Ack ack = new Frame.Ack(due);
                    dev.conduit.server.spi.Backplane backplane = server.backplane();
                    if (server.durable) {
                        backplane.durableReceived(session.id, due); // recorded before the client is told
                        forwardedSinceAck = true;
                    }
                    if (backplane != null && (forwardedSinceAck || heldAcks.get() > 0)) {
                        // Not before the other nodes' streams hold what this read forwarded (a crash
                        // of this node then loses none of it for them); ACKs after it wait behind it.
                        forwardedSinceAck = false;
                        heldAcks.incrementAndGet();
                        backplane.whenSent(() -> {
                            session.writer.execute(() -> from.connection.send(ack));
                            heldAcks.decrementAndGet();
                        });
                    } else {
                        session.writer.execute(() -> from.connection.send(ack));
                    }
                }
            }
        }
    }

    /**
     * The decoder refused a PUBLISH or SUBSCRIBE from {@code from} with a non-fatal 422: it still
     * counts in the sequence, so that the client's numbers and the ACKs stay in step and a resume
     * does not send a frame that was already handled (docs/protocol.md 7a).
     */
    void refused(ServerConnection from) {
        synchronized (session.inLock) {
            if (session.attached() == from) {
                received.receive(0);
            }
        }
    }

    /**
     * A bucket ran dry under inLock: if the refill does not cover it, the connection stops reading
     * until it does, and the first time in an episode the client is told with a non-fatal 420. The
     * frame that ran it dry is still processed. Never disconnects.
     */
    private void overRate(ServerConnection from) {
        long wait = session.rate.check();
        if (wait == 0) {
            return;
        }
        String notice = null;
        if (session.rate.startEpisode()) {
            PeerLimits l = config.peerLimits();
            notice = "over the session's rate of "
                    + (l.maxMessagesPerSecond() > 0 ? l.maxMessagesPerSecond() + " messages/s (maxMessagesPerSecond)" : "")
                    + (l.maxMessagesPerSecond() > 0 && l.maxBytesPerSecond() > 0 ? " and " : "")
                    + (l.maxBytesPerSecond() > 0 ? l.maxBytesPerSecond() + " bytes/s (maxBytesPerSecond)" : "")
                    + ": reading from it is slowed until it is back under the rate";
        }
        from.suspendForRate(wait, notice);
    }

    /** While reading is suspended for the rate: how much longer, or 0 to read on. */
    long rateDebt(ServerConnection from) {
        synchronized (session.inLock) {
            return session.attached() == from ? session.rate.check() : 0;
        }
    }

    /**
     * Whether {@code subject} has more than {@code max} tokens. One comparison for a subject too short
     * to have that many (each token is at least one character, plus a dot between two).
     */
    static boolean tooManyTokens(String subject, int max) {
        int length = subject.length();
        if (length < 2 * max + 1) {
            return false;
        }
        int tokens = 1;
        for (int i = 0; i < length; i++) {
            if (subject.charAt(i) == '.' && ++tokens > max) {
                return true;
            }
        }
        return false;
    }

    /** A 422 for a subject deeper than maxSubjectTokens; the frame is dropped, the session goes on. */
    private boolean subjectTooDeep(ServerConnection from, String what, String subject) {
        int max = config.peerLimits().maxSubjectTokens();
        if (subject == null || !tooManyTokens(subject, max)) {
            return false;
        }
        String shown = subject.length() > 64 ? subject.substring(0, 64) + "..." : subject;
        from.error(ErrorCode.INVALID_SUBJECT, what + " '" + shown + "' has more than the maximum of " + max
                + " tokens (maxSubjectTokens); dropped");
        return true;
    }

    private void publish(ServerConnection from, Frame.Publish p) {
        // TCP frames were checked by the decoder; in-process ones arrive as objects and are checked here.
        int max = config.limits().maxPayloadBytes();
        if (p.body().payloadLength() > max) {
            from.fatal(ErrorCode.PAYLOAD_TOO_LARGE, "payload of " + p.body().payloadLength()
                    + " bytes exceeds the maximum of " + max + " bytes");
            return;
        }
        if (subjectTooDeep(from, "subject", p.body().subject())
                || subjectTooDeep(from, "reply subject", p.body().replyTo())) {
            return;
        }
        SessionAccess access = session.access();
        if (SystemApi.handles(p.body().subject())) {
            server.systemApi().request(session, from, access, p.body());
            return;
        }
        String denied = access.checkPublish(p.body().subject());
        if (denied == null && p.body().replyTo() != null) {
            denied = checkReplyTo(p.body().subject(), p.body().replyTo());
        }
        if (denied != null) {
            session.denied(from, denied);
            return;
        }
        server.route(session, from, p);
    }

    /**
     * Null if a publish may name {@code replyTo} as its reply subject, else why not: it must be under
     * this session's inbox prefix, or (outside all inboxes) a subject the session may subscribe to,
     * so that nobody can have a reply (with an {@code allowResponses} grant) sent where they could
     * not publish or read themselves.
     */
    private String checkReplyTo(String subject, String replyTo) {
        String inboxPrefix = session.inboxPrefix;
        if (replyTo.startsWith(inboxPrefix)) {
            return null;
        }
        if (replyTo.startsWith(ServerSession.INBOXES) || session.access().checkSubscribe(replyTo) != null) {
            return "permission denied: publish to '" + subject + "' (its reply subject '" + replyTo
                    + "' is neither this session's inbox " + inboxPrefix + "* nor a subject it may subscribe to)";
        }
        return null;
    }

    private void subscribe(ServerConnection from, Frame.Subscribe s) {
        if (subjectTooDeep(from, "pattern", s.pattern())) {
            return;
        }
        String inboxPrefix = session.inboxPrefix;
        // Its own inbox is the session's whatever its permissions; every other inbox is nobody else's.
        String denied = s.pattern().startsWith(inboxPrefix) ? null
                : s.pattern().startsWith(ServerSession.INBOXES)
                ? "permission denied: subscribe to '" + s.pattern() + "' (another session's inbox; this session's is "
                        + inboxPrefix + "*)"
                : session.access().checkSubscribe(s.pattern());
        if (denied != null) {
            session.denied(from, denied);
            return;
        }
        int max = config.peerLimits().maxSubscriptionsPerSession();
        var subscriptions = session.subscriptions;
        if (subscriptions.size() >= max && !subscriptions.containsKey(s.subscriptionId())) {
            // Only this SUBSCRIBE fails; an id in use is still a duplicate (409) below.
            from.error(ErrorCode.TOO_MANY_SUBSCRIPTIONS, "subscription " + s.subscriptionId() + " '" + s.pattern()
                    + "' refused: the session has its maximum of " + max + " subscriptions (maxSubscriptionsPerSession)");
            return;
        }
        ServerSubscription sub = new ServerSubscription(session, s.subscriptionId(), s.pattern(), s.queueGroup(),
                s.disconnectWhenSlow(), s.creditMessages(), s.creditBytes());
        if (subscriptions.putIfAbsent(s.subscriptionId(), sub) != null) {
            from.error(ErrorCode.DUPLICATE_SUBSCRIPTION, "subscription id " + s.subscriptionId() + " is already in use");
            return;
        }
        if (server.indexed(sub)) {
            server.index().add(sub);
        }
        server.systemSubscriptions(sub.pattern, 1);
        server.interestChanged(sub, true);
    }

    private void unsubscribe(Frame.Unsubscribe u) {
        ServerSubscription sub = session.subscriptions.get(u.subscriptionId());
        if (sub == null) {
            return; // already ended, possibly by reaching its limit: nothing to do
        }
        if (u.afterMessages() == 0 || sub.limitTo(u.afterMessages())) {
            session.endSubscription(sub);
        }
    }
}

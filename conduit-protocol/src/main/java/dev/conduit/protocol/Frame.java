package dev.conduit.protocol;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One unit of the wire protocol. Each record here is one frame type; {@link FrameCodec} turns them
 * into bytes and back, and {@code docs/protocol.md} draws each one.
 *
 * <p>Sessions: some frames are <em>sequenced</em> ({@link #sequenced()}): PUBLISH, SUBSCRIBE and
 * UNSUBSCRIBE from the client, MESSAGE, NO_RESPONDERS and GAP from the server. Each direction of a
 * session numbers its sequenced frames 1, 2, 3, ... (implicitly; PUBLISH and MESSAGE also carry the
 * number). {@link Ack} confirms them cumulatively, and a client that reconnects resumes the session
 * by naming the last one it received (see {@code docs/protocol.md}, "Sessions").
 */
public sealed interface Frame {

    /** The type byte this frame is written with. */
    FrameType type();

    /**
     * Whether this frame takes the next sequence number of its direction, is acknowledged by ACK and
     * is replayed after a resume.
     */
    default boolean sequenced() {
        return false;
    }

    /**
     * Client to server, first frame of a connection: the versions the client speaks, its name, and
     * its credentials ({@code authScheme} names how to read them; empty for anonymous).
     * {@code resumeToken} and {@code resumeLastReceived} ask to resume an earlier session (empty and
     * 0 for a new one).
     */
    record Hello(int minVersion, int maxVersion, String clientName, String authScheme, byte[] credentials,
                 byte[] resumeToken, long resumeLastReceived) implements Frame {
        public Hello {
            Objects.requireNonNull(clientName, "clientName");
            Objects.requireNonNull(authScheme, "authScheme");
            Objects.requireNonNull(credentials, "credentials");
            Objects.requireNonNull(resumeToken, "resumeToken");
        }

        /** A HELLO for a new, anonymous session speaking exactly the given version. */
        public static Hello anonymous(int version, String clientName) {
            return new Hello(version, version, clientName, "", new byte[0], new byte[0], 0);
        }

        @Override
        public FrameType type() {
            return FrameType.HELLO;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Hello h && minVersion == h.minVersion && maxVersion == h.maxVersion
                    && clientName.equals(h.clientName) && authScheme.equals(h.authScheme)
                    && Arrays.equals(credentials, h.credentials) && Arrays.equals(resumeToken, h.resumeToken)
                    && resumeLastReceived == h.resumeLastReceived;
        }

        @Override
        public int hashCode() {
            return Objects.hash(minVersion, maxVersion, clientName, authScheme, Arrays.hashCode(credentials),
                    Arrays.hashCode(resumeToken), resumeLastReceived);
        }

        @Override
        public String toString() {
            return "Hello[versions=" + minVersion + ".." + maxVersion + ", clientName=" + clientName
                    + ", authScheme=" + authScheme + ", credentials=" + credentials.length + " bytes, resumeToken="
                    + resumeToken.length + " bytes, resumeLastReceived=" + resumeLastReceived + "]";
        }
    }

    /**
     * Server to client, answer to HELLO: the chosen version, who the server is, the session, and the
     * limits and heartbeat the client must respect. {@code resumeToken} is the secret that resumes
     * the session once (null: the server offers no resume); {@code inboxPrefix} is the subject prefix
     * (such as {@code _INBOX.x7Gq.}) under which only this session may receive replies (empty: none
     * assigned). {@code alternates} are the endpoint URLs of the cluster's other live nodes (such
     * as {@code tcp://host:7440}, at most {@link FrameCodec#MAX_ALTERNATES}), where the client may
     * reconnect; empty for a single server.
     */
    record Welcome(int version, String serverId, String sessionId, long epoch, boolean resumed,
                   long lastReceived, int maxPayloadBytes, int maxHeaderBytes, int maxSubjectBytes,
                   int heartbeatIntervalMillis, int heartbeatMisses, @Nullable ResumeToken resumeToken, String inboxPrefix,
                   long credentialsValidMillis, List<String> alternates) implements Frame {
        public Welcome {
            Objects.requireNonNull(serverId, "serverId");
            Objects.requireNonNull(sessionId, "sessionId");
            Objects.requireNonNull(inboxPrefix, "inboxPrefix");
            if (credentialsValidMillis < 0) {
                throw new IllegalArgumentException("credentialsValidMillis must be >= 0: " + credentialsValidMillis);
            }
            alternates = FrameCodec.checkAlternates(alternates);
        }

        /** A WELCOME that names no alternates. */
        public Welcome(int version, String serverId, String sessionId, long epoch, boolean resumed,
                       long lastReceived, int maxPayloadBytes, int maxHeaderBytes, int maxSubjectBytes,
                       int heartbeatIntervalMillis, int heartbeatMisses, @Nullable ResumeToken resumeToken,
                       String inboxPrefix, long credentialsValidMillis) {
            this(version, serverId, sessionId, epoch, resumed, lastReceived, maxPayloadBytes, maxHeaderBytes,
                    maxSubjectBytes, heartbeatIntervalMillis, heartbeatMisses, resumeToken, inboxPrefix,
                    credentialsValidMillis, List.of());
        }

        /** A WELCOME without resume token or inbox prefix. */
        public Welcome(int version, String serverId, String sessionId, long epoch, boolean resumed,
                       long lastReceived, int maxPayloadBytes, int maxHeaderBytes, int maxSubjectBytes,
                       int heartbeatIntervalMillis, int heartbeatMisses, long credentialsValidMillis) {
            this(version, serverId, sessionId, epoch, resumed, lastReceived, maxPayloadBytes, maxHeaderBytes,
                    maxSubjectBytes, heartbeatIntervalMillis, heartbeatMisses, null, "", credentialsValidMillis);
        }

        /** A WELCOME whose credentials do not expire ({@code credentialsValidMillis} 0), without resume token or inbox prefix. */
        public Welcome(int version, String serverId, String sessionId, long epoch, boolean resumed,
                       long lastReceived, int maxPayloadBytes, int maxHeaderBytes, int maxSubjectBytes,
                       int heartbeatIntervalMillis, int heartbeatMisses) {
            this(version, serverId, sessionId, epoch, resumed, lastReceived, maxPayloadBytes, maxHeaderBytes,
                    maxSubjectBytes, heartbeatIntervalMillis, heartbeatMisses, 0);
        }

        /** The limits announced here, as the codec takes them. */
        public ProtocolLimits limits() {
            return new ProtocolLimits(maxPayloadBytes, maxHeaderBytes, maxSubjectBytes);
        }

        @Override
        public FrameType type() {
            return FrameType.WELCOME;
        }
    }

    /**
     * Client to server: a message to route. With {@code request} set, the server answers with
     * {@link NoResponders} when no subscription matches, so a requester fails at once instead of
     * waiting for its timeout.
     */
    record Publish(long sequence, boolean request, MessageBody body) implements Frame {
        public Publish {
            Objects.requireNonNull(body, "body");
        }

        @Override
        public FrameType type() {
            return FrameType.PUBLISH;
        }

        @Override
        public boolean sequenced() {
            return true;
        }

        /** This frame with another sequence number. */
        public Publish withSequence(long seq) {
            return seq == sequence ? this : new Publish(seq, request, body);
        }
    }

    /** Server to client: a message delivered to one of the client's subscriptions. */
    record Message(long sequence, int subscriptionId, MessageBody body) implements Frame {
        public Message {
            Objects.requireNonNull(body, "body");
        }

        @Override
        public FrameType type() {
            return FrameType.MESSAGE;
        }

        @Override
        public boolean sequenced() {
            return true;
        }
    }

    /**
     * Client to server: start delivering messages whose subject matches {@code pattern}, tagged with
     * {@code subscriptionId}. With a {@code queueGroup} (else {@code null}), each message goes to one
     * member of the group only. When the session falls too far behind, the server drops this
     * subscription's messages and later reports them with a {@link Gap}; with {@code
     * disconnectWhenSlow} it ends the session with a fatal SLOW_CONSUMER error instead.
     */
    record Subscribe(int subscriptionId, String pattern, @Nullable String queueGroup, boolean disconnectWhenSlow,
                     long creditMessages, long creditBytes) implements Frame {
        public Subscribe {
            Objects.requireNonNull(pattern, "pattern");
            if (queueGroup != null && queueGroup.isEmpty()) {
                queueGroup = null;
            }
            if ((creditMessages == 0) != (creditBytes == 0)) {
                throw new IllegalArgumentException("creditMessages and creditBytes are both 0 (lossy) or both > 0: "
                        + creditMessages + ", " + creditBytes);
            }
            if (creditMessages < 0 || creditMessages > 0xFFFF_FFFFL || creditBytes < 0 || creditBytes > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("credit must fit in 32 unsigned bits: " + creditMessages + ", "
                        + creditBytes);
            }
            if (disconnectWhenSlow && creditMessages > 0) {
                throw new IllegalArgumentException("disconnectWhenSlow applies to lossy subscriptions only");
            }
        }

        /** A lossy subscription, ending the session rather than dropping when {@code disconnectWhenSlow}. */
        public Subscribe(int subscriptionId, String pattern, @Nullable String queueGroup, boolean disconnectWhenSlow) {
            this(subscriptionId, pattern, queueGroup, disconnectWhenSlow, 0, 0);
        }

        /** A lossy subscription whose messages are dropped, with a GAP notice, when the session is too slow. */
        public Subscribe(int subscriptionId, String pattern, @Nullable String queueGroup) {
            this(subscriptionId, pattern, queueGroup, false);
        }

        /**
         * A reliable subscription: the server sends at most {@code creditMessages} messages (and about
         * {@code creditBytes} payload bytes) beyond what the client has reported consumed in {@link
         * Credit}, and holds the rest; it never drops them.
         */
        public static Subscribe reliable(int subscriptionId, String pattern, @Nullable String queueGroup, long creditMessages,
                                         long creditBytes) {
            if (creditMessages < 1 || creditBytes < 1) {
                throw new IllegalArgumentException("a reliable subscription needs credit > 0: " + creditMessages + ", "
                        + creditBytes);
            }
            return new Subscribe(subscriptionId, pattern, queueGroup, false, creditMessages, creditBytes);
        }

        /** Whether the subscription is reliable (credit-based) rather than lossy. */
        public boolean reliable() {
            return creditMessages > 0;
        }

        @Override
        public FrameType type() {
            return FrameType.SUBSCRIBE;
        }

        @Override
        public boolean sequenced() {
            return true;
        }
    }

    /**
     * Client to server: how much of a reliable subscription the client has consumed since its
     * SUBSCRIBE, as totals (messages, and payload bytes) that never go down. The server may then have
     * {@code creditMessages + consumedMessages - sent} messages in flight to it. Cumulative, so a lost
     * or repeated CREDIT does no harm: the client sends its current totals again after a resume. Not
     * sequenced. Ignored for a lossy or unknown subscription.
     */
    record Credit(int subscriptionId, long consumedMessages, long consumedBytes) implements Frame {
        public Credit {
            if (consumedMessages < 0 || consumedBytes < 0) {
                throw new IllegalArgumentException("consumed totals must be >= 0: " + consumedMessages + ", "
                        + consumedBytes);
            }
        }

        @Override
        public FrameType type() {
            return FrameType.CREDIT;
        }
    }

    /**
     * Client to server: end a subscription now ({@code afterMessages} 0), or once {@code
     * afterMessages} messages in total have been delivered to it since it began (at once if that
     * many already have). Counting from the start, rather than from when the frame arrives, lets
     * both sides agree on the last message even while deliveries are in flight.
     */
    record Unsubscribe(int subscriptionId, long afterMessages) implements Frame {
        public Unsubscribe {
            if (afterMessages < 0 || afterMessages > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("afterMessages must fit in 32 bits unsigned: " + afterMessages);
            }
        }

        @Override
        public FrameType type() {
            return FrameType.UNSUBSCRIBE;
        }

        @Override
        public boolean sequenced() {
            return true;
        }
    }

    /** Server to client: a PUBLISH flagged as a request, with this reply subject, matched nobody. */
    record NoResponders(String replySubject) implements Frame {
        public NoResponders {
            Objects.requireNonNull(replySubject, "replySubject");
        }

        @Override
        public FrameType type() {
            return FrameType.NO_RESPONDERS;
        }

        @Override
        public boolean sequenced() {
            return true;
        }
    }

    /** Either direction: asks for a {@link Pong} carrying the same token. */
    record Ping(long token) implements Frame {
        @Override
        public FrameType type() {
            return FrameType.PING;
        }
    }

    /** Either direction: the answer to a {@link Ping}. */
    record Pong(long token) implements Frame {
        @Override
        public FrameType type() {
            return FrameType.PONG;
        }
    }

    /**
     * Either direction: something went wrong. When {@code fatal}, the sender closes the connection
     * after this frame.
     */
    record Error(int code, boolean fatal, String message) implements Frame {
        public Error {
            Objects.requireNonNull(message, "message");
            if (code < 0 || code > 0xFFFF) {
                throw new IllegalArgumentException("code must fit in 16 bits: " + code);
            }
        }

        public Error(ErrorCode code, boolean fatal, String message) {
            this(code.code(), fatal, message);
        }

        /** The known code, or {@code null} if this version does not define the number. */
        public @Nullable ErrorCode errorCode() {
            return ErrorCode.of(code);
        }

        @Override
        public FrameType type() {
            return FrameType.ERROR;
        }
    }

    /**
     * Either direction: the sender will close this connection within {@code drainMillis}; send
     * nothing new on it. The code says why ({@link ErrorCode#SERVER_SHUTTING_DOWN}, {@link
     * ErrorCode#NORMAL_CLOSE}). A server may name {@code alternates}, endpoint URLs such as {@code
     * tcp://host:7440} (at most {@link FrameCodec#MAX_ALTERNATES}), where the client can reconnect.
     */
    record GoAway(int code, int drainMillis, String reason, List<String> alternates) implements Frame {
        public GoAway(int code, int drainMillis, String reason) {
            this(code, drainMillis, reason, List.of());
        }

        public GoAway {
            Objects.requireNonNull(reason, "reason");
            alternates = FrameCodec.checkAlternates(alternates);
            if (code < 0 || code > 0xFFFF) {
                throw new IllegalArgumentException("code must fit in 16 bits: " + code);
            }
            if (drainMillis < 0) {
                throw new IllegalArgumentException("drainMillis must be >= 0: " + drainMillis);
            }
        }

        @Override
        public FrameType type() {
            return FrameType.GOAWAY;
        }
    }

    /**
     * Server to client: {@code dropped} messages for the subscription were not delivered: a lossy
     * subscription whose session fell too far behind (see {@link Subscribe}), sent before the next
     * message the subscription receives; or, with {@code ended}, a subscription the server ended (a
     * reliable one that granted no credit for the server's {@code maxStall}), {@code dropped} then
     * counting the messages it held for it (0 or more). No MESSAGE for it follows an ended GAP.
     */
    record Gap(int subscriptionId, long dropped, boolean ended) implements Frame {
        public Gap {
            if (dropped < (ended ? 0 : 1)) {
                throw new IllegalArgumentException("dropped must be > 0" + (ended ? "= 0" : "") + ": " + dropped);
            }
        }

        public Gap(int subscriptionId, long dropped) {
            this(subscriptionId, dropped, false);
        }

        @Override
        public FrameType type() {
            return FrameType.GAP;
        }

        @Override
        public boolean sequenced() {
            return true;
        }
    }

    /**
     * Either direction: every sequenced frame of the session up to and including {@code sequence}
     * has been received and processed; the sender of the ACK will never need them again.
     */
    record Ack(long sequence) implements Frame {
        @Override
        public FrameType type() {
            return FrameType.ACK;
        }
    }

    /**
     * Client to server, after WELCOME: fresh credentials for the session (a renewed token before the
     * old one expires). The server answers {@link AuthOk}, or a fatal 401 after its failed-auth delay.
     * Not sequenced: it is not replayed after a resume (the resuming HELLO carries credentials).
     */
    record Auth(String authScheme, byte[] credentials) implements Frame {
        public Auth {
            Objects.requireNonNull(authScheme, "authScheme");
            Objects.requireNonNull(credentials, "credentials");
        }

        @Override
        public FrameType type() {
            return FrameType.AUTH;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Auth a && authScheme.equals(a.authScheme) && Arrays.equals(credentials, a.credentials);
        }

        @Override
        public int hashCode() {
            return Objects.hash(authScheme, Arrays.hashCode(credentials));
        }

        @Override
        public String toString() {
            return "Auth[authScheme=" + authScheme + ", credentials=" + credentials.length + " bytes]";
        }
    }

    /**
     * Server to client: the credentials of an {@link Auth} were accepted; they are valid for {@code
     * credentialsValidMillis} more milliseconds from when the server sent this (0: they do not expire).
     */
    record AuthOk(long credentialsValidMillis) implements Frame {
        public AuthOk {
            if (credentialsValidMillis < 0) {
                throw new IllegalArgumentException("credentialsValidMillis must be >= 0: " + credentialsValidMillis);
            }
        }

        @Override
        public FrameType type() {
            return FrameType.AUTH_OK;
        }
    }
}

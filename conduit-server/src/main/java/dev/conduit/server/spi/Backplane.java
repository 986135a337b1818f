package dev.conduit.server.spi;

import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ResumeToken;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * What links this server to the other nodes of a cluster (docs/cluster.md): the server tells it
 * each change of local interest and hands it each message a local client published; it injects the
 * messages of other nodes into local routing through the {@link BackplaneHost} it was started with.
 * Made by a {@link BackplaneProvider} when the server has a {@code cluster} setting; a server
 * without one has no backplane at all.
 *
 * <p>Threads: {@link #interestAdded}, {@link #interestRemoved}, {@link #forward} and {@link
 * #alternates} are called on the server's event loops, many at once; they must not block (no
 * network I/O, no waiting for a lock held across I/O) and must not throw. {@link #start} and {@link #close} are called once each,
 * on the thread that starts or stops the server.
 */
public interface Backplane extends AutoCloseable {

    /**
     * Joins the cluster; called by the server's start, before it accepts connections. May block
     * (it connects to the engine).
     *
     * @throws RuntimeException if the cluster cannot be joined; the server then does not start
     */
    void start(BackplaneHost host);

    /**
     * A local subscription to {@code pattern} was added; {@code queueGroup} is its group, or null.
     * Called once per subscription, so the backplane counts them.
     */
    void interestAdded(String pattern, @Nullable String queueGroup);

    /** A local subscription added by {@link #interestAdded} with these values was removed. */
    void interestRemoved(String pattern, @Nullable String queueGroup);

    /**
     * A message a local client published: hands it to the other nodes with interest in its subject
     * (queued; the call does not wait for them), and says how local routing should treat it.
     *
     * @param request      whether it is a request (its reply subject waits for an answer)
     * @param localTargets whether a local subscription matches it (if none does and one other
     *                     node is sent a request, that node answers no-responders when nothing
     *                     there matches either)
     * @return which queue groups another node took ({@link Forwarded#groupsElsewhere}; local
     *     members of those get nothing) and whether any other node has interest (if one has, a
     *     request with no local target is not answered NO_RESPONDERS)
     */
    Forwarded forward(MessageBody body, boolean request, boolean localTargets);

    /**
     * A client presented {@code token}, which another node issued: asks that node for the session
     * (docs/cluster.md, "Sessions move between nodes"). Called on an event loop; must not block.
     *
     * @return the session's state once it has moved (then call {@link Moved#installed} once it is
     *     installed, or was not), failed with a message if it cannot move; null if no live node
     *     issued the token, so the session is lost
     */
    default @Nullable CompletableFuture<Moved> claim(ResumeToken token, String principal) {
        return null;
    }

    /**
     * Whether a local publisher whose message was just {@link #forward}ed should stop reading: the
     * backplane is further behind than it should be while its engine is healthy (it is slower than
     * the publishers). If so, {@code release} runs (on any thread) once it has caught up, and the
     * server reads from the publisher again then. An engine outage never holds publishers: their
     * messages are held up to the bound, then reported lost. Called on an event loop; must not block.
     */
    default boolean holdPublisher(Runnable release) {
        return false;
    }

    /**
     * Runs {@code action} once every message {@link #forward}ed before this call has landed with
     * the engine (held by it for the other nodes, so a crash of this node loses none of it), or at
     * once if nothing is pending, or while the engine is unreachable (then forwarded messages are
     * held in this node's bounded queue, and that is what an acknowledgement means). The server
     * acknowledges a client's read that forwarded messages only then. Any thread; does not block;
     * {@code action} runs on any thread and must not block. At once by default.
     */
    default void whenSent(Runnable action) {
        action.run();
    }

    /**
     * A session that moved here.
     *
     * @param state     the session's state as the other node's server wrote it
     * @param installed to call once the session is installed (or not): what the backplane kept
     *                  for the move is released
     * @param durable   for a durable session taken from the engine ({@link #claimDurable}), what it
     *                  holds; {@code state} is then empty
     */
    record Moved(byte[] state, Runnable installed, @Nullable DurableClaim durable) {
        public Moved(byte[] state, Runnable installed) {
            this(state, installed, null);
        }

        /** A durable session taken over from the engine. */
        public static Moved durable(DurableClaim claim) {
            return new Moved(new byte[0], claim.installed(), claim);
        }
    }

    /** Leaves the cluster (its presence and interest go) and releases the engine's connections. */
    @Override
    void close();

    /**
     * The endpoint URLs (such as {@code tcp://host:7440}) of the cluster's other live nodes, as last
     * seen: the server names them to its clients in WELCOME and in the GOAWAY of a stop (flag
     * ALTERNATES, docs/protocol.md), for a client to reconnect to when this node is gone. Called on
     * an event loop for every WELCOME, so it returns a snapshot kept by the backplane's own threads
     * (the same list instance while nothing changed), never asks the engine. The server drops the
     * URLs that are not valid endpoints and keeps at most 64. Empty by default.
     */
    default List<String> alternates() {
        return List.of();
    }

    /**
     * How the backplane is doing now (docs/cluster.md, "Redis faults"): whether it is degraded,
     * what it holds for other nodes and how old that is, its errors, and the nodes it knows. Any
     * thread; does not block (it reads what the backplane's own threads last saw).
     */
    BackplaneStatus status();

    // ---------------------------------------------------------------------------------------------
    // Durable sessions (docs/cluster.md, "Durable sessions")

    /**
     * Whether every client session's state lives in the engine as it flows, so that a session
     * survives a crash of its node. Then the server routes its clients' (non-{@code $SYS})
     * subscriptions through the backplane only: it reports each session's life and each
     * subscription with the {@code durable*} methods below instead of {@link #interestAdded}, routes
     * a publish with {@link #forwardDurable}, hands every delivery to one of its own sessions to
     * {@link #durableDeliver} or {@link #durableNoResponders} instead of sending it, and sends a
     * session only what comes back through {@link BackplaneHost#deliverDurable}, numbered by the
     * engine. Every {@code durable*} call is made on an event loop, must not block, and is applied
     * in the order of the calls for one session; each one made while a client frame is processed
     * is held by the engine before the server acknowledges that frame ({@link #whenSent}).
     */
    default boolean durable() {
        return false;
    }

    /** A new durable session began on this node; {@code resumeToken} is the one its WELCOME carries. */
    default void durableOpened(String sessionId, String inboxPrefix, String principal, String clientName,
                               byte[] resumeToken) {
    }

    /** The session's WELCOME (a resume) carries a new resume token: only it resumes the session now. */
    default void durableToken(String sessionId, byte[] resumeToken) {
    }

    /**
     * A subscription of the session, made by the client frame numbered {@code seq} (0: not by a
     * client frame).
     */
    default void durableSubscribed(String sessionId, long seq, DurableSubscription subscription) {
    }

    /** The subscription ended, by the client frame numbered {@code seq} (0: not by a client frame). */
    default void durableUnsubscribed(String sessionId, long seq, int subscriptionId) {
    }

    /**
     * A message published here (by the session {@code origin}'s frame {@code originSeq}, or by the
     * server when {@code origin} is null): hands it to every durable subscription in the cluster
     * that it matches (one member per queue group). $SYS subjects never come here.
     *
     * @return whether any subscription was handed it ({@link Forwarded#remoteInterest})
     */
    default Forwarded forwardDurable(MessageBody body, boolean request, @Nullable String origin, long originSeq) {
        return Forwarded.LOCAL_ONLY;
    }

    /** A message for one subscription of a durable session of this node (routed here: a {@code $SYS} one). */
    default void durableDeliver(@Nullable String origin, long originSeq, String sessionId, int subscriptionId,
                                MessageBody body) {
    }

    /** NO_RESPONDERS for a durable session's request, decided here. */
    default void durableNoResponders(@Nullable String origin, long originSeq, String sessionId, String replySubject) {
    }

    /**
     * The server is about to acknowledge the session's client frames up to {@code lastReceived}:
     * the engine records it first ({@link #whenSent}), so that a node that takes the session over
     * never names fewer than the client was told.
     */
    default void durableReceived(String sessionId, long lastReceived) {
    }

    /** The session's client acknowledged the server's frames up to {@code acknowledged}. */
    default void durableAcknowledged(String sessionId, long acknowledged) {
    }

    /** The session ended for good (not a stop of this node: then it stays in the engine for a claim). */
    default void durableEnded(String sessionId) {
    }

    /**
     * A client presented {@code token} of a durable session this node does not hold: takes the
     * session over from the engine (its owner stopped or died). Called on an event loop; must not block.
     *
     * @param clientLast the client's {@code resume last received}
     * @return the session as the engine holds it (complete it, then call {@link DurableClaim#installed}),
     *     failed with the reason it cannot be resumed; null if durable sessions are off
     */
    default @Nullable CompletableFuture<DurableClaim> claimDurable(ResumeToken token, String principal,
                                                                   long clientLast) {
        return null;
    }

    /** A subscription of a durable session as the engine keeps it. */
    record DurableSubscription(int id, String pattern, @Nullable String group, boolean reliable,
                               boolean disconnectWhenSlow, long creditMessages, long creditBytes) {
    }

    /**
     * A durable session taken over from the engine.
     *
     * @param lastReceived the client's frames processed, as the engine holds it
     * @param clientLast   what the client said it received: {@code after} follows it
     * @param sent         per subscription id: messages and payload bytes sent up to {@code clientLast}
     * @param after        the frames numbered after {@code clientLast}, in order (MESSAGE, NO_RESPONDERS, GAP)
     * @param installed    to run once the session is installed here (or was not): from then on
     *                     {@link BackplaneHost#deliverDurable} brings its next frames
     */
    record DurableClaim(String sessionId, String inboxPrefix, String principal, String clientName, long lastReceived,
                        long clientLast, List<DurableSubscription> subscriptions, java.util.Map<Integer, long[]> sent,
                        List<dev.conduit.protocol.Frame> after, Runnable installed) {
    }

    /**
     * What {@link #forward} did with a message.
     *
     * @param remoteInterest  whether at least one other node was sent the message
     * @param groupsElsewhere queue groups whose one delivery another node makes: local members of
     *                        these groups get nothing
     */
    record Forwarded(boolean remoteInterest, Set<String> groupsElsewhere) {
        /** No other node has interest: route locally only. */
        public static final Forwarded LOCAL_ONLY = new Forwarded(false, Set.of());
        /** Sent to other nodes; every local queue group delivers as usual. */
        public static final Forwarded REMOTE = new Forwarded(true, Set.of());

        public Forwarded {
            groupsElsewhere = Set.copyOf(groupsElsewhere);
        }
    }
}

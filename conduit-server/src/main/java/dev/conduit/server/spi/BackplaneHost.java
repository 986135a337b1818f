package dev.conduit.server.spi;

import dev.conduit.protocol.MessageBody;
import io.micrometer.core.instrument.MeterRegistry;
import dev.conduit.protocol.ResumeToken;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The server as its {@link Backplane} sees it: where messages from other nodes enter local routing.
 * Implemented by the server; every method may be called from any thread (the backplane's own).
 */
public interface BackplaneHost {

    /** This server incarnation's id (as in WELCOME). */
    String serverId();

    /**
     * This server incarnation's epoch (as in WELCOME, and in the resume tokens it issues): how
     * another node finds the node that holds a session.
     */
    default long epoch() {
        return 0;
    }

    /**
     * The server's event loops, for a backplane whose client is built on the same Netty to run its
     * connections on (so that a message crosses no thread of the backplane's own between a
     * session's loop and the socket): a Netty {@code EventLoopGroup} whose channels are of {@link
     * #eventLoopKind()}; null if the server has none to share. Set before {@link Backplane#start}
     * and shut down after {@link Backplane#close}. Nothing run there may block.
     */
    default java.util.concurrent.@Nullable ScheduledExecutorService eventLoops() {
        return null;
    }

    /** The socket implementation of {@link #eventLoops()}: {@code epoll}, {@code io_uring} or {@code nio}. */
    default String eventLoopKind() {
        return "nio";
    }

    /** The server's meter registry, where the backplane registers its {@code conduit.cluster.*} meters. */
    MeterRegistry meterRegistry();

    /**
     * Routes a message published on another node to this server's own subscriptions, exactly as a
     * local publish would be, except that queue groups deliver only if {@code groups} names them
     * (the publishing node picked this node for those groups) and the message is not handed back
     * to the backplane. Deliveries are handed to each target session's writer; the call does not
     * wait for them. One call at a time (any thread, but never two at once: the backplane delivers
     * what it reads in order, one message after another).
     *
     * @param groups the queue groups this node delivers the message to; null for every group
     *               (a node with no cluster-wide queue groups)
     * @return how many local subscriptions were handed the message
     */
    int deliverRemote(MessageBody body, boolean request, @Nullable Set<String> groups);

    /**
     * {@link #deliverRemote(MessageBody, boolean, Set)} while sessions move between nodes
     * (docs/cluster.md, "Sessions move between nodes"): the plain subscriptions of the sessions in
     * {@code skip} (moving away; the node they move to takes this sender's messages from now on)
     * are not delivered to, and the message is held for each moving-here session in {@code hold}
     * whose plain subscriptions match it.
     */
    default int deliverRemote(MessageBody body, boolean request, @Nullable Set<String> groups, Set<String> skip,
                              Set<String> hold) {
        return deliverRemote(body, request, groups);
    }

    /**
     * Runs {@code action} while no local publish is being routed or forwarded: every publish routed
     * before it was also handed to the backplane before it, and every one after it sees what it
     * changed. Keep it short: publishers wait.
     */
    default void exclusively(Runnable action) {
        throw new UnsupportedOperationException("this server does not move sessions");
    }

    /**
     * Another node's client presented {@code token} of a session here: checks it (the session is
     * held, the token is its current one, {@code principal} its principal) and keeps the session
     * for the move.
     *
     * @throws IllegalStateException naming why the session cannot move
     */
    default SessionOffer offerSession(ResumeToken token, String principal) {
        throw new IllegalStateException("this server does not move sessions");
    }

    /** From now on, local publishes no longer reach the moving session's plain subscriptions. */
    default void leaveLocally(String sessionId) {
    }

    /**
     * Takes the moving session's state, behind everything delivered to it so far, and ends it here
     * without reporting anything undelivered (it all moves along).
     */
    default CompletableFuture<byte[]> handOver(String sessionId) {
        return CompletableFuture.failedFuture(new IllegalStateException("this server does not move sessions"));
    }

    /** The move was given up: the session stays here as it was. */
    default void keepSession(String sessionId) {
    }

    /**
     * From now on, holds the local publishes that match the plain subscriptions of a session
     * moving here (and those {@link #deliverRemote} is told to hold), until the session arrives.
     */
    default void holdFor(SessionOffer offer) {
    }

    /** The session will not arrive: forgets what was held for it. */
    default void stopHolding(String sessionId) {
    }

    /**
     * What a node holds for a session that moves to it: the session's inbox prefix and its plain
     * subscriptions (id to pattern).
     */
    record SessionOffer(String sessionId, String inboxPrefix, Map<Integer, String> plainSubscriptions) {
        public SessionOffer {
            plainSubscriptions = Map.copyOf(plainSubscriptions);
        }
    }

    /**
     * The next frame of a durable session held here (docs/cluster.md, "Durable sessions"), numbered
     * {@code number} by the engine: a MESSAGE, NO_RESPONDERS or GAP. Called in number order for each
     * session, one call at a time per session, from any thread.
     *
     * @return false if the session is not held here (ended, or taken by another node)
     */
    default boolean deliverDurable(String sessionId, long number, dev.conduit.protocol.Frame frame) {
        return false;
    }

    /**
     * The engine no longer holds the durable session {@code sessionId} held here (it lost its data):
     * the session ends, its client told with {@code reason}, and its client begins a new one.
     */
    default void durableLost(String sessionId, String reason) {
    }

    /**
     * Another node had no responder for a request published here: the local subscribers of
     * {@code replySubject} (the requester's inbox) get NO_RESPONDERS.
     */
    void noRespondersRemote(String replySubject);

    /**
     * Another node could not forward {@code count} messages on {@code subject} to this node (its
     * queue for this node was at its bound while the engine was unreachable): each local
     * subscription that would have received them, queue-group members aside, is told with a GAP
     * of {@code count}, as for messages a slow consumer dropped. {@code subject} null means the
     * subjects are unknown (the sender's record of them was full): every local subscription that
     * is not on {@code $SYS} or an inbox is told.
     *
     * @return how many local subscriptions were told
     */
    int gapRemote(@Nullable String subject, long count);
}

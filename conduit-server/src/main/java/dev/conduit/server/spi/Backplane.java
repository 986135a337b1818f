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
     */
    record Moved(byte[] state, Runnable installed) {
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

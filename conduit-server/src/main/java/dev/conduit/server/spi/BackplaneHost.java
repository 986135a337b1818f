package dev.conduit.server.spi;

import dev.conduit.protocol.MessageBody;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The server as its {@link Backplane} sees it: where messages from other nodes enter local routing.
 * Implemented by the server; every method may be called from any thread (the backplane's own).
 */
public interface BackplaneHost {

    /** This server incarnation's id (as in WELCOME). */
    String serverId();

    /** The server's meter registry, where the backplane registers its {@code conduit.cluster.*} meters. */
    MeterRegistry meterRegistry();

    /**
     * Routes a message published on another node to this server's own subscriptions, exactly as a
     * local publish would be, except that queue groups deliver only if {@code groups} names them
     * (the publishing node picked this node for those groups) and the message is not handed back
     * to the backplane. Deliveries are handed to each target session's writer; the call does not
     * wait for them.
     *
     * @param groups the queue groups this node delivers the message to; null for every group
     *               (a node with no cluster-wide queue groups)
     * @return how many local subscriptions were handed the message
     */
    int deliverRemote(MessageBody body, boolean request, @Nullable Set<String> groups);

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

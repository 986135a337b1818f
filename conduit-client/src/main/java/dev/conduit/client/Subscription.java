package dev.conduit.client;

/**
 * Interest in the subjects that match a pattern, held by a {@link Client} until unsubscribed or the
 * client closes. Thread-safe.
 */
public interface Subscription {

    /** The id the client chose for this subscription on the wire. */
    int id();

    String pattern();

    /** The queue group, or {@code null} for a plain subscription. */
    String queueGroup();

    /** Whether messages may still arrive. */
    boolean isActive();

    /** Messages handed to the handler so far. */
    long delivered();

    /**
     * Stops the subscription now. Messages already received but not yet handled are still handled.
     * Idempotent.
     */
    void unsubscribe();

    /**
     * Stops the subscription once it has received {@code messages} more messages, counted from
     * those this client has received so far. Messages already on their way count, so the server
     * and the client stop at the same message.
     *
     * @throws IllegalArgumentException if {@code messages} is not between 1 and 2^32 - 1
     */
    void unsubscribeAfter(long messages);
}

package dev.conduit.client;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Interest in the subjects that match a pattern, held by a {@link Client} until unsubscribed or the
 * client closes. Thread-safe.
 */
public interface Subscription {

    /** The id the client chose for this subscription on the wire. */
    int id();

    String pattern();

    /** The queue group, or {@code null} for a plain subscription. */
    @Nullable String queueGroup();

    /** Whether messages may still arrive. */
    boolean isActive();

    /** Messages handed to the handler (or returned by {@link #next}) so far. */
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

    /**
     * Pull-style receive, for a subscription made without a handler ({@link Client#subscribe(String)},
     * {@link Client#subscribe(String, String, Delivery)}): returns the next message, waiting up to
     * {@code timeout} for one ({@link Duration#ZERO} does not wait). Messages come in order, each to
     * one caller; several threads may call it.
     *
     * <p>Flow control is as with a handler: a message counts as consumed when {@code next} returns
     * it, and only then is the server's credit for a reliable subscription opened again. So a
     * reliable subscription nobody pulls from holds at most its window ({@link
     * ClientOptions#maxPendingMessagesPerSubscription()}, {@link
     * ClientOptions#maxPendingBytesPerSubscription()}) in this client, and the server holds the rest
     * for it (and, past its bound, slows the publishers); a lossy one keeps at most
     * {@code maxPendingMessagesPerSubscription} and drops the excess, as reported to {@link
     * ClientListener#onSlowConsumer}.
     *
     * <p>After the subscription ends ({@link #unsubscribe}, {@link #unsubscribeAfter}, the client
     * closing), what was already received is still returned, then {@code null} at once. Messages
     * not pulled when the client closes are discarded.
     *
     * @return the next message, or {@code null} if none came within the timeout, or the subscription
     *         has ended and nothing is left
     * @throws IllegalStateException if the subscription has a handler
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    @Nullable Message next(Duration timeout) throws InterruptedException;
}

package dev.conduit.client;

/**
 * What a subscription does when its handler falls behind (docs/guarantees.md).
 */
public enum Delivery {
    /**
     * Nothing is lost: the server sends at most the subscription's credit ({@link
     * ClientOptions#maxPendingMessagesPerSubscription()} messages and {@link
     * ClientOptions#maxPendingBytesPerSubscription()} payload bytes beyond what the handler has
     * taken), holds the rest, and past its bound slows the publishers. A handler stuck for the
     * server's {@code maxStall} has its subscription ended ({@link ClientListener#onSlowConsumer}).
     * The default.
     */
    RELIABLE,
    /**
     * Never slows anyone: when the client falls too far behind, messages are skipped and counted
     * ({@link ClientListener#onGap}, {@link ClientListener#onSlowConsumer}), or, with {@link
     * ClientOptions#disconnectWhenSlow()}, the session ends.
     */
    LOSSY
}

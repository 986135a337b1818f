package dev.conduit.client;

import dev.conduit.protocol.ConduitException;

/**
 * Hears what happens to a client asynchronously. Methods run on the client's executor, never on an
 * I/O thread; they must not throw (what they throw is logged and dropped). All default to nothing.
 */
public interface ClientListener {

    /** The connection moved from one state to another. */
    default void onStateChange(ConnectionState from, ConnectionState to) {
    }

    /**
     * The server reported an error that no single call was waiting for (for example a refused
     * subscription), or the connection failed.
     */
    default void onError(ConduitException error) {
    }

    /**
     * A subscription's handler fell so far behind that messages for it were dropped: {@code dropped}
     * messages, since the last such report.
     */
    default void onSlowConsumer(Subscription subscription, long dropped) {
    }

    /** A handler threw. The subscription goes on. */
    default void onHandlerFailure(Subscription subscription, Throwable failure) {
    }

    /**
     * The connection dropped and a new one resumed the session: nothing was lost or repeated.
     * {@code server} is the server now connected to.
     */
    default void onResumed(ServerInfo server) {
    }

    /**
     * A new connection could not resume the session; a new session has begun. The event lists what
     * the old session had not confirmed. Subscriptions are already made again.
     */
    default void onSessionLost(SessionLost lost) {
    }

    /**
     * The server dropped {@code dropped} messages for the subscription because this client fell too
     * far behind (the subscription's slow-consumer policy is to skip; see {@link
     * ClientOptions#disconnectWhenSlow()}).
     */
    default void onGap(Subscription subscription, long dropped) {
    }

    /**
     * A publish made without a future to report to could not be confirmed: the client closed before
     * the server confirmed it, or its time-to-live ran out.
     */
    default void onPublishFailed(String subject, dev.conduit.protocol.ConduitException reason) {
    }
}

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
}

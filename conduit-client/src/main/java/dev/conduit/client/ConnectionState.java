package dev.conduit.client;

/**
 * The lifecycle of a client's connection, one value at a time:
 *
 * <pre>
 * CONNECTING --handshake done--> OPEN --close()--> DRAINING --drained or deadline--> CLOSED
 *      |                           |
 *      +----connect failed-------->+----connection lost, server GOAWAY, fatal error--> CLOSED
 * </pre>
 *
 * Every change is reported to {@link ClientListener#onStateChange}. CLOSED is final.
 */
public enum ConnectionState {
    /** Opening the connection and exchanging HELLO and WELCOME. */
    CONNECTING,
    /** Handshake done; publishing, subscribing and requests work. */
    OPEN,
    /** {@link Client#close()} was called: finishing in-flight work, taking no new work. */
    DRAINING,
    /** The connection is gone and the client is finished. */
    CLOSED
}

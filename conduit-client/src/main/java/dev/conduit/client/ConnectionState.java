package dev.conduit.client;

/**
 * Where a client's session is, one value at a time:
 *
 * <pre>
 * CONNECTING --WELCOME--> OPEN --connection lost--> RESUMING --WELCOME (resumed or new session)--> OPEN
 *      |                   |                           |
 *      |                   +--drain()/close()--> DRAINING --drained or deadline--> CLOSED
 *      +--first connect failed, or reconnect attempts exhausted----------------------> CLOSED
 * </pre>
 *
 * Every change is reported to {@link ClientListener#onStateChange}, in order. CLOSED is final.
 */
public enum ConnectionState {
    /** Opening the first connection and exchanging HELLO and WELCOME. */
    CONNECTING,
    /** Connected with a session; frames flow. */
    OPEN,
    /**
     * The connection dropped; reconnecting with backoff to resume the session. Publishes and
     * requests are held in the bounded buffer meanwhile.
     */
    RESUMING,
    /** {@link Client#drain()} or {@link Client#close()} was called: finishing in-flight work, taking no new subscriptions. */
    DRAINING,
    /** The client is finished. */
    CLOSED
}

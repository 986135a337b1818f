/**
 * The Conduit client library: connect, publish, subscribe, request and reply. Start at {@link
 * dev.conduit.client.Client}.
 */
module dev.conduit.client {
    requires static org.jspecify;
    requires transitive dev.conduit.transport;
    requires org.slf4j;

    exports dev.conduit.client;
}

/**
 * The Conduit client library: connect, publish, subscribe, request and reply. Start at {@link
 * dev.conduit.client.Client}.
 */
module dev.conduit.client {
    requires static org.jspecify;
    requires transitive dev.conduit.transport;
    requires org.slf4j;
    // Optional: used only when the application puts the OpenTelemetry API on its path (Tracing).
    requires static io.opentelemetry.api;
    requires static io.opentelemetry.context;

    exports dev.conduit.client;
}

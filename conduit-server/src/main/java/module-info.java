/**
 * The Conduit server: accepts connections, keeps each peer's subscriptions and routes messages
 * between them. Embeddable through {@link dev.conduit.server.Server}.
 */
module dev.conduit.server {
    requires static org.jspecify;
    requires transitive dev.conduit.transport;
    requires com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.dataformat.yaml;
    requires transitive micrometer.core;
    requires micrometer.registry.prometheus;
    requires org.slf4j;
    requires HdrHistogram;
    requires com.nimbusds.jose.jwt;
    requires java.naming;
    requires java.management;
    requires jdk.management;

    exports dev.conduit.server;
    exports dev.conduit.server.spi;

    // Parts of the server in modules of their own (conduit-zeromq), found on the module path.
    uses dev.conduit.server.spi.ServerExtension;
    uses dev.conduit.server.spi.BackplaneProvider;
}

/**
 * A test kit for Conduit and for applications built on it: {@link
 * dev.conduit.testing.ConduitServerExtension} (a JUnit 5 extension that runs a server), and through
 * {@code dev.conduit.testkit}, which this module requires transitively, {@link
 * dev.conduit.testkit.ManualClock}, {@link dev.conduit.testkit.FaultProxy} and {@link
 * dev.conduit.testkit.RawFrameClient}.
 */
module dev.conduit.testing {
    requires static org.jspecify;
    requires transitive dev.conduit.testkit;
    requires transitive dev.conduit.server;
    requires transitive dev.conduit.client;
    requires transitive dev.conduit.transport;
    requires transitive org.junit.jupiter.api;

    exports dev.conduit.testing;
}

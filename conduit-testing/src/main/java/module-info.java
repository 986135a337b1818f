/**
 * A test kit for Conduit and for applications built on it: {@link dev.conduit.testing.ManualClock}
 * (time that moves only when a test says so), {@link dev.conduit.testing.FaultProxy} (a TCP proxy
 * that cuts, delays, throttles and silences connections) and {@link
 * dev.conduit.testing.ConduitServerExtension} (a JUnit 5 extension that runs a server).
 */
module dev.conduit.testing {
    requires transitive dev.conduit.server;
    requires transitive dev.conduit.client;
    requires transitive dev.conduit.transport;
    requires transitive org.junit.jupiter.api;
    requires io.netty.common;
    requires io.netty.buffer;
    requires io.netty.transport;

    exports dev.conduit.testing;
}

/**
 * The low half of Conduit's test kit, for Conduit's own tests and for applications built on it:
 * {@link dev.conduit.testkit.ManualClock} (time that moves only when a test says so), {@link
 * dev.conduit.testkit.FaultProxy} (a TCP proxy that cuts, delays, throttles and silences
 * connections) and {@link dev.conduit.testkit.RawFrameClient} (a bare socket that speaks frames, to
 * send what a well-behaved client never would). It depends on the transport only, never on the
 * client or the server, so that both can use it in their tests; conduit-testing adds the JUnit 5
 * server extension and requires this module transitively.
 */
module dev.conduit.testkit {
    requires static org.jspecify;
    requires transitive dev.conduit.transport;
    requires io.netty.common;
    requires io.netty.buffer;
    requires io.netty.transport;

    exports dev.conduit.testkit;
}

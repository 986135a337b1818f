/**
 * Test tools that need neither client nor server: {@link dev.conduit.testkit.ManualClock} (time
 * that moves only when a test advances it), {@link dev.conduit.testkit.FaultProxy} (a TCP proxy
 * that cuts, delays and corrupts, on 127.0.0.1) and {@link dev.conduit.testkit.RawFrameClient} (a
 * blocking frame-level connection for protocol tests).
 *
 * <p>Null-marked: a type in this package's API is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.conduit.testkit;

import org.jspecify.annotations.NullMarked;

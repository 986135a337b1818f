/**
 * JUnit 5 support: {@link dev.conduit.testing.ConduitServerExtension} starts an embedded server for
 * a test class or method and hands out connected clients. JUnit itself comes from the test's own
 * dependencies (conduit-testing declares it {@code provided}).
 *
 * <p>Null-marked: a type in this package's API is non-null unless annotated {@code @Nullable}.
 */
@NullMarked
package dev.conduit.testing;

import org.jspecify.annotations.NullMarked;

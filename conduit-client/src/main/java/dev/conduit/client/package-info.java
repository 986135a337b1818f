/**
 * The Conduit client: connect ({@link dev.conduit.client.Client#connect}), publish, subscribe with a
 * handler or pull ({@link dev.conduit.client.Subscription#next}), request and reply. Start at {@link
 * dev.conduit.client.Client}; options are {@link dev.conduit.client.ClientOptions}.
 *
 * <p><b>Types from other packages that client code uses.</b> Three public types a client needs live
 * in the lower modules, because the server shares them: {@link dev.conduit.protocol.Headers}
 * (message headers), {@link dev.conduit.protocol.ConduitException} (the root of every exception
 * thrown here, such as {@link dev.conduit.client.ConnectFailedException}) and {@link
 * dev.conduit.transport.ClientTls} (TLS settings). The module {@code dev.conduit.client} {@code
 * requires transitive} both of their modules, so a Maven dependency on conduit-client and {@code
 * requires dev.conduit.client} make them available; only the imports name other packages.
 *
 * <p>Null-marked: parameters and results are non-null unless annotated {@code @Nullable}, which is
 * where {@code null} means "none" or "the default" (a queue group, a reply subject, {@code
 * ClientOptions.executor}, {@code Subscription.next} after its timeout).
 */
@NullMarked
package dev.conduit.client;

import org.jspecify.annotations.NullMarked;

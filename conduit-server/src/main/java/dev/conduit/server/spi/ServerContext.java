package dev.conduit.server.spi;

import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connector;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link ServerExtension} gets from the server it runs in: an in-process connector for a
 * session of its own, the connection limits, the meter registry, and a place in {@code $SYS.stats}.
 * Implemented by the server; thread-safe.
 */
public interface ServerContext {
    /** The server's id, as in WELCOME and {@code $SYS.stats}. */
    String serverId();

    /** The address the server's TCP port is bound to, such as {@code 0.0.0.0}: a default for the extension's own. */
    String host();

    /** The server's protocol limits (largest payload, headers and subject). */
    ProtocolLimits limits();

    /** The server's clock (a manual one in tests): for the extension's deadlines. */
    Clock clock();

    /**
     * The extension's settings (its {@link ServerExtension#section()}), key within the section to
     * text, each already accepted by {@link ServerExtension#checkSetting}; empty if none were set.
     */
    Map<String, String> settings();

    /**
     * Connects in-process clients to this server (as {@code Server.localConnector()}): {@code
     * Client.connect(options, context.localConnector())} in conduit-client. A session that presents
     * credentials is authenticated as a network one is, so the permissions of its principal apply;
     * one that presents none is the embedder's own and may do anything.
     */
    Connector localConnector();

    /** The server's meter registry (its {@code /metrics}); remove the meters you register on stop. */
    MeterRegistry meterRegistry();

    /**
     * Counts a connection the extension accepted against the server's {@code maxConnections} and
     * {@code maxConnectionsPerAddress}, as the server's own connections are counted.
     *
     * @param what       the kind of connection, for the log line of a refusal, such as {@code ZeroMQ peer}
     * @param remoteHost the peer's IP address as text
     * @return what to run once the connection has closed (run it exactly once), or null if it is
     *         over a limit: refuse the connection (the refusal is already logged, rate-limited)
     */
    @Nullable Runnable admitConnection(String what, String remoteHost);

    /**
     * Shows the extension's connections in {@code $SYS.stats} (its {@code connections} object, and
     * so the dashboard's Connections card) under {@code name}, read from {@code open} at each tick
     * (on the stats thread: it must answer at once). A later call with the same name replaces it.
     */
    void countConnections(String name, IntSupplier open);

    /** Takes back {@link #countConnections} of {@code name}, as the extension stops. */
    void uncountConnections(String name);
}

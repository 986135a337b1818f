package dev.conduit.server;

import dev.conduit.transport.Connector;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * A Conduit server: accepts connections and routes each published message to the subscriptions
 * that match it. Embeddable:
 *
 * <pre>{@code
 * try (Server server = Server.create(ServerConfig.builder().port(0).build()).start()) {
 *     Client local = Client.connectLocal(server.localConnector());   // in-process, no socket
 *     local.subscribe("svc.echo", m -> m.reply(m.payload()));
 *     ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. Routing runs on the I/O threads; no user code runs there.
 */
public interface Server extends AutoCloseable {

    /** A server with this configuration, not yet listening. */
    static Server create(ServerConfig config) {
        return RoutingServer.create(config);
    }

    /**
     * A server with this configuration whose meters go to {@code registry}, the embedding
     * application's, instead of a Prometheus registry of its own. The HTTP port's {@code /metrics}
     * serves them only if {@code registry} is a {@code PrometheusMeterRegistry}. The server removes
     * its meters from the registry when it stops; give each server its own registry (or one with a
     * distinguishing common tag), as two servers' meters would share names.
     */
    static Server create(ServerConfig config, MeterRegistry registry) {
        return RoutingServer.create(config, registry);
    }

    /**
     * Binds and starts accepting connections.
     *
     * @return this server
     * @throws IllegalStateException if already started or stopped
     * @throws java.io.UncheckedIOException if the address cannot be bound
     */
    Server start();

    /** The bound TCP address (with the real port when port 0 was configured). */
    InetSocketAddress address();

    /**
     * The bound HTTP address (WebSocket links at {@link ServerConfig#webSocketPath()}, health and
     * admin pages), with the real port when port 0 was configured.
     *
     * @throws IllegalStateException if the server is not started or has no HTTP port
     */
    InetSocketAddress httpAddress();

    /** This server incarnation's id, sent to clients in WELCOME. */
    String serverId();

    /**
     * Connects to this server in the same process, without a socket: each {@code connect} of the
     * returned connector makes an in-memory pair of connections, one end accepted by this server
     * (frames cross as objects, never encoded). Hand it to a client, which is then a full client
     * (publish, subscribe, request and reply as over TCP, and it resumes its session through the same
     * connector): {@code Client.connectLocal(server.localConnector())}, or {@code
     * Client.connect(options, server.localConnector())} with options of your own, in conduit-client.
     * In-process connections are authenticated as the embedding code itself (docs/security.md).
     *
     * <p>The connector serves for the server's lifetime: once the server is stopping, a connection
     * made through it is sent GOAWAY at once, and once it has stopped, connecting fails. (The server returns a transport-level {@link Connector}
     * rather than a client so that conduit-server does not depend on conduit-client.)
     *
     * @throws IllegalStateException if the server is not running
     */
    Connector localConnector();

    /**
     * The registry holding this server's meters (names in docs/operations.md): its own Prometheus
     * registry, or the one given to {@link #create(ServerConfig, MeterRegistry)}.
     */
    MeterRegistry meterRegistry();

    /** Connections currently open (TCP, WebSocket and in-process). */
    int connectionCount();

    /**
     * Sessions the server holds: those attached to a connection, and those detached and waiting to
     * be resumed within {@link ServerConfig#resumeWindow()}.
     */
    int sessionCount();

    /**
     * Stops gracefully: stops accepting, sends GOAWAY to every client, lets what is queued flush,
     * and closes every connection by {@link ServerConfig#drainTimeout()}. Idempotent.
     */
    CompletableFuture<Void> stop();

    /** Stops and waits for it. */
    @Override
    void close();
}

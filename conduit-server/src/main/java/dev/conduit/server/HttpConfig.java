package dev.conduit.server;

import dev.conduit.transport.Endpoint;
import dev.conduit.transport.WebSocketOptions;
import java.util.List;
import java.util.Objects;

/**
 * The server's HTTP port: WebSocket links at {@code webSocketPath}, and plain HTTP (health, admin,
 * dashboard) for everything else. Part of {@link ServerConfig}, whose keys {@code httpPort}, {@code
 * httpHost}, {@code webSocketPath} and {@code allowedOrigins} set it.
 *
 * @param port           the HTTP port, {@value Endpoint#DEFAULT_HTTP_PORT} by default (0 by default
 *                       when the TCP port is 0); 0 for any free port; {@value #DISABLED} for no HTTP port
 * @param host           address to bind; empty (the default) for the server's {@code host}
 * @param webSocketPath  the path of the WebSocket upgrade, {@value Endpoint#DEFAULT_WEBSOCKET_PATH} by default
 * @param allowedOrigins browser origins allowed to open WebSocket links besides pages from the
 *                       server's own host and port, or {@code *} for any; empty (the default) for
 *                       same-host pages only
 */
public record HttpConfig(int port, String host, String webSocketPath, List<String> allowedOrigins) {
    /** The port value that turns the HTTP port off. */
    public static final int DISABLED = -1;

    /** Port {@value Endpoint#DEFAULT_HTTP_PORT} on the server's host, path /conduit, same-host origins. */
    public static final HttpConfig DEFAULT = new HttpConfig(Endpoint.DEFAULT_HTTP_PORT, "",
            Endpoint.DEFAULT_WEBSOCKET_PATH, List.of());

    public HttpConfig {
        checkPort(port);
        Objects.requireNonNull(host, "httpHost");
        if (!host.isEmpty() && host.isBlank()) {
            throw new IllegalArgumentException("httpHost must not be blank");
        }
        Objects.requireNonNull(webSocketPath, "webSocketPath");
        allowedOrigins = List.copyOf(allowedOrigins);
        new WebSocketOptions(webSocketPath, allowedOrigins); // checks both
    }

    static void checkPort(int port) {
        if (port < DISABLED || port > 65535) {
            throw new IllegalArgumentException("httpPort must be between 0 and 65535, or -1 for no HTTP port: " + port);
        }
    }

    /** Whether the server opens an HTTP port. */
    public boolean enabled() {
        return port != DISABLED;
    }

    /** The WebSocket side of these settings, for the transport. */
    WebSocketOptions webSocketOptions() {
        return new WebSocketOptions(webSocketPath, allowedOrigins);
    }
}

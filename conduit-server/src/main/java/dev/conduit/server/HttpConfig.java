package dev.conduit.server;

import dev.conduit.transport.AcceptGate;
import dev.conduit.transport.Endpoint;
import dev.conduit.transport.HttpPortOptions;
import dev.conduit.transport.WebSocketOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Objects;

/**
 * The server's HTTP port: WebSocket links at {@code webSocketPath}, and plain HTTP (health, admin,
 * dashboard) for everything else. Part of {@link ServerConfig}, whose keys {@code httpPort}, {@code
 * httpHost}, {@code webSocketPath}, {@code allowedOrigins} and {@code httpAllowedHosts} set it.
 *
 * @param port           the HTTP port, {@value Endpoint#DEFAULT_HTTP_PORT} by default (0 by default
 *                       when the TCP port is 0); 0 for any free port; {@value #DISABLED} for no HTTP port
 * @param host           address to bind; empty (the default) for the server's {@code host}
 * @param webSocketPath  the path of the WebSocket upgrade, {@value Endpoint#DEFAULT_WEBSOCKET_PATH} by default
 * @param allowedOrigins browser origins allowed to open WebSocket links besides pages from the
 *                       server's own host and port, or {@code *} for any; empty (the default) for
 *                       same-host pages only (and only from a host in {@code allowedHosts})
 * @param allowedHosts   the names and addresses the port answers to (the {@code Host} header), or
 *                       {@code *} for any; a request naming another gets 403 (DNS rebinding). Empty
 *                       (the default): see {@link #allowedHostsFor}
 */
public record HttpConfig(int port, String host, String webSocketPath, List<String> allowedOrigins,
                         List<String> allowedHosts) {
    /** The port value that turns the HTTP port off. */
    public static final int DISABLED = -1;

    /** Port {@value Endpoint#DEFAULT_HTTP_PORT} on the server's host, path /conduit, same-host origins. */
    public static final HttpConfig DEFAULT = new HttpConfig(Endpoint.DEFAULT_HTTP_PORT, "",
            Endpoint.DEFAULT_WEBSOCKET_PATH, List.of(), List.of());

    public HttpConfig {
        checkPort(port);
        Objects.requireNonNull(host, "httpHost");
        if (!host.isEmpty() && host.isBlank()) {
            throw new IllegalArgumentException("httpHost must not be blank");
        }
        Objects.requireNonNull(webSocketPath, "webSocketPath");
        allowedOrigins = List.copyOf(allowedOrigins);
        new WebSocketOptions(webSocketPath, allowedOrigins); // checks both
        allowedHosts = List.copyOf(allowedHosts);
        if (!allowedHosts.isEmpty()) {
            new HttpPortOptions(Duration.ofSeconds(1), 1, allowedHosts, AcceptGate.OPEN); // checks them
        }
    }

    /** Without {@code allowedHosts}: the default ones. */
    public HttpConfig(int port, String host, String webSocketPath, List<String> allowedOrigins) {
        this(port, host, webSocketPath, allowedOrigins, List.of());
    }

    /**
     * The hosts the port answers to when bound to {@code boundHost}: {@link #allowedHosts} if set;
     * else the loopback names and addresses ({@code localhost}, {@code 127.0.0.1}, {@code ::1}) and
     * {@code boundHost}, and when {@code boundHost} is not a loopback address also this machine's
     * name and its interfaces' addresses, and the hosts of {@code alternates} (the public names
     * clients are told). A name served under any other needs {@code httpAllowedHosts}.
     */
    List<String> allowedHostsFor(String boundHost, List<String> alternates) {
        if (!allowedHosts.isEmpty()) {
            return allowedHosts;
        }
        Set<String> hosts = new LinkedHashSet<>(HttpPortOptions.LOOPBACK_HOSTS);
        String bound = boundHost.startsWith("[") ? boundHost.substring(1, boundHost.length() - 1) : boundHost;
        boolean wildcard = bound.equals("0.0.0.0") || bound.equals("::") || bound.equals("0:0:0:0:0:0:0:0");
        if (!wildcard) {
            hosts.add(bound);
        }
        if (isLoopback(bound)) {
            return List.copyOf(hosts);
        }
        try {
            hosts.add(InetAddress.getLocalHost().getHostName());
            hosts.add(InetAddress.getLocalHost().getCanonicalHostName());
        } catch (IOException e) {
            // no name for this machine: its addresses still serve
        }
        try {
            for (NetworkInterface nic : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
                    String text = a.getHostAddress();
                    int zone = text.indexOf('%');
                    hosts.add(zone < 0 ? text : text.substring(0, zone));
                }
            }
        } catch (IOException e) {
            // no interface list: the names above still serve
        }
        for (String alternate : alternates) {
            try {
                hosts.add(Endpoint.parse(alternate).host());
            } catch (IllegalArgumentException e) {
                // checked when configured; nothing to add
            }
        }
        return List.copyOf(hosts);
    }

    static boolean isLoopback(String host) {
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return h.equalsIgnoreCase("localhost") || h.startsWith("127.") || h.equals("::1")
                || h.equals("0:0:0:0:0:0:0:1");
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

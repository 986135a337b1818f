package dev.conduit.transport;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Where a server listens, as a URL: {@code tcp://host:port}, {@code tls://host:port}, {@code
 * ws://host:port/path}, {@code wss://host:port/path} or {@code unix:///path/to.sock}. The port
 * defaults to {@value #DEFAULT_PORT} for {@code tcp} and {@code tls}, and to {@value
 * #DEFAULT_HTTP_PORT} for {@code ws} and {@code wss}; the path, which only WebSocket endpoints have,
 * defaults to {@value #DEFAULT_WEBSOCKET_PATH}. A {@code unix} endpoint is a Unix domain socket on
 * this machine: it has no host and no port (empty and 0), and its path is the socket's file name.
 *
 * @param scheme lower-case scheme: {@code tcp}, {@code tls}, {@code ws}, {@code wss} or {@code unix}
 * @param host   host name or address literal (IPv6 without brackets); empty for unix
 * @param port   TCP port, 1 to 65535; 0 for unix
 * @param path   the HTTP path of a WebSocket endpoint, starting with {@code /}; the socket file of a
 *               unix endpoint; empty for tcp and tls
 */
public record Endpoint(String scheme, String host, int port, String path) {
    public static final int DEFAULT_PORT = 7440;
    public static final int DEFAULT_HTTP_PORT = 7480;
    public static final String DEFAULT_WEBSOCKET_PATH = "/conduit";
    public static final String DEFAULT_URL = "tcp://127.0.0.1:" + DEFAULT_PORT;
    private static final Set<String> SCHEMES = Set.of("tcp", "tls", "ws", "wss", "unix");

    public Endpoint {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(path, "path");
        if (!SCHEMES.contains(scheme)) {
            throw new IllegalArgumentException("unsupported scheme '" + scheme + "': expected tcp, tls, ws, wss or unix");
        }
        if (scheme.equals("unix")) {
            if (!host.isEmpty() || port != 0) {
                throw new IllegalArgumentException("a unix endpoint has no host or port: " + host + ":" + port);
            }
            if (path.isEmpty() || path.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("a unix endpoint needs a socket file name: '" + path + "'");
            }
        } else {
            checkNetwork(scheme, host, port, path);
        }
    }

    private static void checkNetwork(String scheme, String host, int port, String path) {
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535: " + port);
        }
        boolean web = scheme.equals("ws") || scheme.equals("wss");
        if (web && !path.startsWith("/")) {
            throw new IllegalArgumentException("a WebSocket endpoint's path must start with '/': " + path);
        }
        if (!web && !path.isEmpty()) {
            throw new IllegalArgumentException("a " + scheme + " endpoint has no path: " + path);
        }
    }

    /** A {@code tcp} or {@code tls} endpoint, which has no path. */
    public Endpoint(String scheme, String host, int port) {
        this(scheme, host, port, scheme.equals("ws") || scheme.equals("wss") ? DEFAULT_WEBSOCKET_PATH : "");
    }

    /** A Unix domain socket endpoint: the socket file {@code path}. */
    public static Endpoint unix(String path) {
        return new Endpoint("unix", "", 0, path);
    }

    /** Whether this is a Unix domain socket ({@code unix}), whose {@link #path} is the socket file. */
    public boolean unix() {
        return scheme.equals("unix");
    }

    /** Whether the link is encrypted: {@code tls} or {@code wss}. */
    public boolean secure() {
        return scheme.equals("tls") || scheme.equals("wss");
    }

    /** Whether frames travel in WebSocket messages: {@code ws} or {@code wss}. */
    public boolean webSocket() {
        return scheme.equals("ws") || scheme.equals("wss");
    }

    /**
     * Parses {@code scheme://host:port[/path]}, {@code scheme://host} or {@code host:port} (which is
     * tcp), or {@code unix://} followed by a socket file name ({@code unix:///run/conduit.sock}, or
     * {@code unix://conduit.sock} relative to the working directory). A path on a tcp or tls endpoint
     * (other than a lone {@code /}), a query, a fragment or user info is rejected, not ignored.
     *
     * @throws IllegalArgumentException naming the URL and what is wrong with it
     */
    public static Endpoint parse(String url) {
        Objects.requireNonNull(url, "url");
        if (url.regionMatches(true, 0, "unix://", 0, 7)) {
            // A file name, taken as it is: it may hold characters a URI would have to escape.
            try {
                return unix(url.substring(7));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid endpoint '" + url + "': " + e.getMessage());
            }
        }
        String text = url.contains("://") ? url : "tcp://" + url;
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("invalid endpoint '" + url + "': " + e.getReason());
        }
        String host = uri.getHost();
        if (uri.getScheme() == null || host == null) {
            throw new IllegalArgumentException("invalid endpoint '" + url + "': expected tcp://host:port");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!SCHEMES.contains(scheme)) {
            throw new IllegalArgumentException("invalid endpoint '" + url + "': unsupported scheme '" + scheme
                    + "': expected tcp, tls, ws, wss or unix");
        }
        boolean web = scheme.equals("ws") || scheme.equals("wss");
        String path = uri.getPath() == null ? "" : uri.getPath();
        if (web) {
            path = path.isEmpty() ? DEFAULT_WEBSOCKET_PATH : path;
        } else if (!path.isEmpty() && !path.equals("/")) {
            throw new IllegalArgumentException("invalid endpoint '" + url + "': unexpected path " + uri.getPath());
        } else {
            path = "";
        }
        // An endpoint is only where to connect: anything else in the URL would be silently ignored.
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("invalid endpoint '" + url
                    + "': unexpected user info before '@' (an endpoint carries no credentials)");
        }
        if (uri.getRawQuery() != null) {
            throw new IllegalArgumentException("invalid endpoint '" + url + "': unexpected query ?" + uri.getRawQuery());
        }
        if (uri.getRawFragment() != null) {
            throw new IllegalArgumentException("invalid endpoint '" + url + "': unexpected fragment #"
                    + uri.getRawFragment());
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = uri.getPort() != -1 ? uri.getPort() : web ? DEFAULT_HTTP_PORT : DEFAULT_PORT;
        try {
            return new Endpoint(scheme, host, port, path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid endpoint '" + url + "': " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        if (unix()) {
            return "unix://" + path;
        }
        return scheme + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + path;
    }
}

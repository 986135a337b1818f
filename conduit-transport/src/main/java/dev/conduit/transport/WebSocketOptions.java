package dev.conduit.transport;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How an HTTP listener ({@link Transport#listenHttp}) accepts WebSocket links.
 *
 * @param path           the HTTP path of the WebSocket upgrade, such as {@value Endpoint#DEFAULT_WEBSOCKET_PATH}
 * @param allowedOrigins browser origins ({@code https://app.example.com}) allowed to open a link
 *                       besides the server's own host, or the single entry {@code *} for any origin.
 *                       Empty (the default): only pages served from the host and port the request was
 *                       sent to. A request without an {@code Origin} header (not from a browser) is
 *                       always allowed; a refused origin gets HTTP 403 and no upgrade.
 */
public record WebSocketOptions(String path, List<String> allowedOrigins) {
    /** Path {@value Endpoint#DEFAULT_WEBSOCKET_PATH}, same-host origins only. */
    public static final WebSocketOptions DEFAULT = new WebSocketOptions(Endpoint.DEFAULT_WEBSOCKET_PATH, List.of());

    public WebSocketOptions {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/") || path.contains("?") || path.contains("#") || path.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("WebSocket path must start with '/' and hold no query, fragment or"
                    + " whitespace: " + path);
        }
        allowedOrigins = List.copyOf(allowedOrigins);
        for (String origin : allowedOrigins) {
            checkOrigin(origin);
        }
        if (allowedOrigins.contains("*") && allowedOrigins.size() > 1) {
            throw new IllegalArgumentException("allowed origins: '*' allows every origin and must stand alone: "
                    + allowedOrigins);
        }
    }

    /** Whether any origin may open a link. */
    public boolean anyOrigin() {
        return allowedOrigins.contains("*");
    }

    /**
     * Whether {@code allowedOrigins} names a page's origin (an {@code Origin} header), or is {@code
     * *}: for the HTTP port's CORS header. Pages from the server itself need no listing, and are not
     * looked at here. False for anything that is not {@code scheme://host[:port]}.
     */
    public boolean lists(String origin) {
        if (anyOrigin()) {
            return true;
        }
        String normalized;
        try {
            normalized = normalizeOrigin(origin);
        } catch (IllegalArgumentException e) {
            return false;
        }
        for (String allowed : allowedOrigins) {
            if (normalizeOrigin(allowed).equals(normalized)) {
                return true;
            }
        }
        return false;
    }

    /**
     * An origin as browsers send it, reduced to compare equal: lower case, without a default port
     * ({@code http://h:80} is {@code http://h}).
     *
     * @throws IllegalArgumentException if it is not {@code scheme://host[:port]}
     */
    static String normalizeOrigin(String origin) {
        URI uri;
        try {
            uri = new URI(origin);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not an origin: " + origin);
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme == null || uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
                || uri.getRawFragment() != null || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())) {
            throw new IllegalArgumentException("not an origin (expected scheme://host[:port]): " + origin);
        }
        int port = uri.getPort();
        int defaultPort = defaultPort(scheme);
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        return scheme + "://" + host + (port == -1 || port == defaultPort ? "" : ":" + port);
    }

    static int defaultPort(String scheme) {
        return switch (scheme) {
            case "http", "ws" -> 80;
            case "https", "wss" -> 443;
            default -> -1;
        };
    }

    private static void checkOrigin(String origin) {
        Objects.requireNonNull(origin, "allowed origin");
        if (origin.equals("*")) {
            return;
        }
        String scheme = origin.contains("://") ? origin.substring(0, origin.indexOf("://")).toLowerCase(Locale.ROOT) : "";
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("allowed origin must be http://host[:port], https://host[:port] or *: "
                    + origin);
        }
        normalizeOrigin(origin);
    }
}

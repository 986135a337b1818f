package dev.conduit.transport;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a server listens, as a URL: {@code tcp://host:port}. The port defaults to {@value
 * #DEFAULT_PORT}. Later transports add their own schemes.
 *
 * @param scheme lower-case scheme, {@code tcp}
 * @param host   host name or address literal (IPv6 without brackets)
 * @param port   TCP port, 1 to 65535
 */
public record Endpoint(String scheme, String host, int port) {
    public static final int DEFAULT_PORT = 7440;
    public static final String DEFAULT_URL = "tcp://127.0.0.1:" + DEFAULT_PORT;

    public Endpoint {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(host, "host");
        if (!scheme.equals("tcp")) {
            throw new IllegalArgumentException("unsupported scheme '" + scheme + "': expected tcp");
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535: " + port);
        }
    }

    /**
     * Parses {@code tcp://host:port}, {@code tcp://host} or {@code host:port}. A path (other than a
     * lone {@code /}), a query, a fragment or user info is rejected, not ignored.
     *
     * @throws IllegalArgumentException naming the URL and what is wrong with it
     */
    public static Endpoint parse(String url) {
        Objects.requireNonNull(url, "url");
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
        if (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/")) {
            throw new IllegalArgumentException("invalid endpoint '" + url + "': unexpected path " + uri.getPath());
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
        int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
        try {
            return new Endpoint(uri.getScheme().toLowerCase(Locale.ROOT), host, port);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid endpoint '" + url + "': " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return scheme + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}

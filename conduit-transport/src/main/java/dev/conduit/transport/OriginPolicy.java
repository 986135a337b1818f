package dev.conduit.transport;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Decides whether a browser page may open a WebSocket link, from the request's {@code Origin} and
 * {@code Host} headers: a request without Origin (not from a browser) is allowed; an Origin whose
 * host and port are those of the Host header (a page this server served) is allowed if that host is
 * one the port answers to ({@link HttpPortOptions#allowedHosts}: a rebinding page controls both
 * headers, never that list); otherwise the
 * Origin must be listed in {@link WebSocketOptions#allowedOrigins}, or that list must be {@code *}.
 * Browsers always send Origin on WebSocket requests, and a page cannot forge it: this is what keeps
 * a page on another site from using a visitor's network position (cross-site WebSocket hijacking).
 *
 * <p>Immutable; thread-safe.
 */
final class OriginPolicy {
    private final boolean any;
    private final Set<String> allowed = new HashSet<>();
    private final boolean secure;
    private final AllowedHosts hosts;

    /** {@code secure} tells the default port of a Host header without one: 443 for TLS, else 80. */
    OriginPolicy(WebSocketOptions options, boolean secure, AllowedHosts hosts) {
        this.any = options.anyOrigin();
        this.secure = secure;
        this.hosts = hosts;
        for (String origin : options.allowedOrigins()) {
            if (!origin.equals("*")) {
                allowed.add(WebSocketOptions.normalizeOrigin(origin));
            }
        }
    }

    /**
     * @param origin the Origin header, or null if the request has none
     * @param host   the Host header, or null if the request has none
     */
    boolean allows(String origin, String host) {
        if (origin == null || any) {
            return true;
        }
        String normalized;
        URI uri;
        try {
            normalized = WebSocketOptions.normalizeOrigin(origin);
            uri = new URI(normalized);
        } catch (IllegalArgumentException | URISyntaxException e) {
            return false; // "null" (a sandboxed page or a file) or garbage: never the same host
        }
        if (allowed.contains(normalized)) {
            return true;
        }
        if (host == null) {
            return false;
        }
        URI hostUri;
        try {
            hostUri = new URI("x://" + host.trim());
        } catch (URISyntaxException e) {
            return false;
        }
        if (hostUri.getHost() == null || hostUri.getRawPath() != null && !hostUri.getRawPath().isEmpty()
                || hostUri.getRawUserInfo() != null) {
            return false;
        }
        int originPort = uri.getPort() != -1 ? uri.getPort() : WebSocketOptions.defaultPort(uri.getScheme());
        int hostPort = hostUri.getPort() != -1 ? hostUri.getPort() : secure ? 443 : 80;
        return originPort == hostPort && hosts.allowsHost(uri.getHost())
                && uri.getHost().toLowerCase(Locale.ROOT).equals(hostUri.getHost().toLowerCase(Locale.ROOT));
    }
}

package dev.conduit.transport;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The host names an HTTP port answers to ({@link HttpPortOptions#allowedHosts}): what keeps a page
 * whose name an attacker re-points at this server (DNS rebinding) from being served or from
 * passing the Origin check. Names compare ignoring case; IPv6 addresses with or without brackets.
 *
 * <p>Immutable; thread-safe.
 */
final class AllowedHosts {
    private final boolean any;
    private final Set<String> hosts = new HashSet<>();

    AllowedHosts(List<String> allowed) {
        this.any = allowed.contains("*");
        for (String h : allowed) {
            hosts.add(normalize(h));
        }
    }

    /** Whether a bare host (no port; IPv6 with or without brackets) is listed. */
    boolean allowsHost(String host) {
        return any || host != null && hosts.contains(normalize(host));
    }

    /**
     * Whether a {@code Host} header ({@code host[:port]}, {@code [v6]:port}) names a listed host;
     * a malformed one never does.
     */
    boolean allowsHeader(String header) {
        if (any) {
            return true;
        }
        String host = hostOf(header);
        return host != null && hosts.contains(host);
    }

    /** The host part of a Host header, normalized; null if it is malformed. */
    static @Nullable String hostOf(String header) {
        String h = header.trim();
        String host;
        String port;
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            if (end < 0) {
                return null;
            }
            host = h.substring(1, end);
            String rest = h.substring(end + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                return null;
            }
            port = rest.isEmpty() ? "" : rest.substring(1);
        } else {
            int colon = h.indexOf(':');
            if (colon >= 0 && h.indexOf(':', colon + 1) >= 0) {
                return null; // an IPv6 address must be in brackets
            }
            host = colon < 0 ? h : h.substring(0, colon);
            port = colon < 0 ? "" : h.substring(colon + 1);
        }
        if (host.isEmpty() || !port.chars().allMatch(c -> c >= '0' && c <= '9') || port.length() > 5
                || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@' || c == '\\' || c >= 0x7f)) {
            return null;
        }
        return normalize(host);
    }

    private static String normalize(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.endsWith(".") && h.length() > 1) {
            h = h.substring(0, h.length() - 1); // "localhost." is "localhost"
        }
        return h;
    }
}

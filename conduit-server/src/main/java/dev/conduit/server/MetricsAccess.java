package dev.conduit.server;

import dev.conduit.server.spi.AuthRequest;
import dev.conduit.transport.HttpCall;
import dev.conduit.transport.HttpReply;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Who may read {@code /metrics}: the same principals as the dashboard. With authentication
 * configured, a request must carry {@code Authorization: Bearer <token or JWT>} (the credentials a
 * client gives in HELLO), checked by the server's authenticators, of a principal that may subscribe
 * to {@code $SYS.stats}; 401 without valid credentials, 403 for another principal. Without
 * authentication, metrics are served anonymously only to a loopback peer, as the dashboard's
 * anonymous access is meant for one machine; anyone else gets 403.
 *
 * <p>Thread-safe; never blocks (authenticators may not).
 */
final class MetricsAccess {
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final Pattern JWT = Pattern.compile("^eyJ[\\w-]*\\.[\\w-]+\\.[\\w-]*$");

    private final RoutingServer server;

    MetricsAccess(RoutingServer server) {
        this.server = server;
    }

    /** Null if the request may read the metrics; else the refusal to answer. */
    HttpReply check(HttpCall call) {
        Authentication auth = server.authentication();
        LimitLog log = server.limitLog("metrics access");
        if (!auth.config().authenticationConfigured()) {
            if (auth.config().anonymousAllowed() && loopback(call.remoteAddress())) {
                return null;
            }
            log.note(call.remoteAddress(), "refused /metrics: anonymous metrics are served to loopback peers only");
            return refusal(403, "metrics are served anonymously to loopback peers only; configure authentication\n");
        }
        String header = call.headers().get("authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() == 7) {
            log.note(call.remoteAddress(), "refused /metrics: no bearer credentials");
            return refusal(401, "credentials required: Authorization: Bearer <token or JWT>\n");
        }
        String secret = header.substring(7).trim();
        String scheme = JWT.matcher(secret).matches() ? JwtAuthenticator.SCHEME : TokenAuthenticator.SCHEME;
        Authentication.Outcome outcome = auth.authenticate(new AuthRequest(scheme,
                secret.getBytes(StandardCharsets.UTF_8), call.remoteAddress(), "http", List.of()));
        if (!outcome.isAccepted()) {
            log.note(call.remoteAddress(), "refused /metrics: " + outcome.reason()); // the reason never holds the secret
            return refusal(401, "credentials refused\n");
        }
        String denied = auth.accessFor(outcome.principal()).checkSubscribe("$SYS.stats");
        if (denied != null) {
            log.note(call.remoteAddress(), "refused /metrics to principal "
                    + dev.conduit.transport.LogSafe.quote(outcome.principal().name()) + ": it may not read $SYS.stats");
            return refusal(403, "this principal may not read the server's statistics\n");
        }
        return null;
    }

    private static HttpReply refusal(int status, String body) {
        Map<String, String> headers = status == 401
                ? Map.of("WWW-Authenticate", "Bearer realm=\"conduit\"", "Cache-Control", "no-store")
                : Map.of("Cache-Control", "no-store");
        return new HttpReply(status, TEXT, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    /** Whether {@code /127.0.0.1:5000} (a socket address as text) is a loopback address. */
    static boolean loopback(String remoteAddress) {
        String a = remoteAddress.startsWith("/") ? remoteAddress.substring(1) : remoteAddress;
        int colon = a.lastIndexOf(':');
        String ip = colon < 0 ? a : a.substring(0, colon);
        if (ip.startsWith("[") && ip.endsWith("]")) {
            ip = ip.substring(1, ip.length() - 1);
        }
        boolean v4 = !ip.isEmpty() && ip.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
        boolean v6 = ip.contains(":") && ip.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':');
        if (!v4 && !v6) {
            return false; // only literal addresses: never a name lookup
        }
        try {
            return InetAddress.getByName(ip).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}

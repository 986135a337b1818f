package dev.conduit.server;

import dev.conduit.transport.HttpCall;
import dev.conduit.transport.HttpReply;
import dev.conduit.transport.HttpService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the server's HTTP port answers besides the WebSocket endpoint: {@code /metrics} (Prometheus
 * text format 0.0.4, to the principals the dashboard serves: see {@link MetricsAccess}), {@code /healthz} (200 while the process runs), {@code /readyz} (200 while
 * accepting connections, 503 while starting or stopping), the dashboard at {@code /} with its
 * assets, the browser client at {@code /client/conduit.js} and the chat example at {@code
 * /examples/chat.html}.
 *
 * <p>Static files are read from the server jar once, when this is made, so that answering never
 * touches the disk on the I/O thread. Thread-safe.
 */
final class ServerHttp implements HttpService {
    private static final Logger log = LoggerFactory.getLogger(ServerHttp.class);
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String WEB = "/dev/conduit/server/web/";
    /** The dashboard loads only its own files and talks only to this server's WebSocket endpoint. */
    private static final String DASHBOARD_POLICY = "default-src 'self'; connect-src 'self' ws: wss:; "
            + "img-src 'self' data:; frame-ancestors 'none'";

    private record Asset(String contentType, byte[] body, boolean dashboard) {
    }

    private final RoutingServer server;
    private final Map<String, Asset> assets = new HashMap<>();
    private final MetricsAccess metricsAccess;

    ServerHttp(RoutingServer server) {
        this.server = server;
        this.metricsAccess = new MetricsAccess(server);
        Asset index = load("index.html", "text/html; charset=utf-8", true);
        if (index != null) {
            assets.put("/", index);
            assets.put("/index.html", index);
        }
        add("/dashboard.css", "dashboard.css", "text/css; charset=utf-8", true);
        add("/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8", true);
        add("/chart.js", "chart.js", "text/javascript; charset=utf-8", true);
        add("/client/conduit.js", "client/conduit.js", "text/javascript; charset=utf-8", false);
        add("/examples/chat.html", "examples/chat.html", "text/html; charset=utf-8", false);
    }

    private void add(String path, String resource, String contentType, boolean dashboard) {
        Asset a = load(resource, contentType, dashboard);
        if (a != null) {
            assets.put(path, a);
        }
    }

    private static Asset load(String resource, String contentType, boolean dashboard) {
        try (InputStream in = ServerHttp.class.getResourceAsStream(WEB + resource)) {
            if (in == null) {
                // The build puts every file there (and fails without them): only a hand-made class path lacks one.
                log.warn("{}{} is not on the class path: the HTTP port answers 404 for it", WEB, resource);
                return null;
            }
            return new Asset(contentType, in.readAllBytes(), dashboard);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + WEB + resource + ": " + e.getMessage(), e);
        }
    }

    @Override
    public HttpReply handle(HttpCall call) {
        if (!call.method().equals("GET") && !call.method().equals("HEAD")) {
            return new HttpReply(405, TEXT, "only GET and HEAD are served\n".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    Map.of("Allow", "GET, HEAD"));
        }
        return switch (call.path()) {
            case "/healthz" -> plain(200, "ok\n");
            case "/readyz" -> server.accepting() ? plain(200, "ready\n") : plain(503, "not accepting connections\n");
            case "/metrics" -> {
                HttpReply refused = metricsAccess.check(call);
                yield refused != null ? refused : metrics();
            }
            default -> file(call.path());
        };
    }

    private HttpReply metrics() {
        PrometheusMeterRegistry prometheus = server.metrics().prometheus();
        if (prometheus == null) {
            return plain(404, "this server's meters go to the registry its application passed in, not to Prometheus\n");
        }
        return new HttpReply(200, PROMETHEUS_TEXT, prometheus.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                Map.of("Cache-Control", "no-store"));
    }

    private HttpReply file(String path) {
        Asset a = assets.get(path);
        if (a == null) {
            return HttpReply.notFound();
        }
        Map<String, String> headers = a.dashboard()
                ? Map.of("Cache-Control", "no-cache", "X-Content-Type-Options", "nosniff",
                        "Content-Security-Policy", DASHBOARD_POLICY)
                : Map.of("Cache-Control", "no-cache", "X-Content-Type-Options", "nosniff");
        return new HttpReply(200, a.contentType(), a.body(), headers);
    }

    private static HttpReply plain(int status, String body) {
        return new HttpReply(status, TEXT, body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                Map.of("Cache-Control", "no-store"));
    }
}

package dev.conduit.server;

import dev.conduit.transport.HttpCall;
import dev.conduit.transport.HttpReply;
import dev.conduit.transport.HttpService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the server's HTTP port answers besides the WebSocket endpoint: {@code /metrics} (Prometheus
 * text format 0.0.4, to the principals the dashboard serves: see {@link MetricsAccess}), {@code /healthz} (200 while the process runs), {@code /readyz} (200 while
 * accepting connections, 503 while starting or stopping, or while a cluster backplane is degraded), the dashboard at {@code /} with its
 * assets, the browser client at {@code /client/conduit.js} and the chat example at {@code
 * /examples/chat.html}.
 *
 * <p>Static files are read from the server jar once, when this is made, so that answering never
 * touches the disk on the I/O thread; their gzip form and ETag are made then too. A static file is
 * sent gzipped when the request's {@code Accept-Encoding} allows it and that is smaller, and 304
 * answers an {@code If-None-Match} that names its ETag. The browser client also carries a CORS
 * header for a page whose origin {@code allowedOrigins} lists, so that an application served from
 * elsewhere (a development server) can import it. Thread-safe.
 */
final class ServerHttp implements HttpService {
    private static final Logger log = LoggerFactory.getLogger(ServerHttp.class);
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final String WEB = "/dev/conduit/server/web/";
    /** The dashboard loads only its own files and talks only to this server's WebSocket endpoint. */
    private static final String DASHBOARD_POLICY = "default-src 'self'; connect-src 'self' ws: wss:; "
            + "img-src 'self' data:; frame-ancestors 'none'";

    /**
     * @param gzipped the body gzipped, or null where that is not smaller
     * @param etag    the strong ETag of the body; that of the gzipped body adds {@code -gzip}
     * @param cors    whether pages from allowed origins may read it from another origin
     */
    private record Asset(String contentType, byte[] body, byte[] gzipped, String etag, boolean dashboard, boolean cors) {
    }

    private final RoutingServer server;
    private final Map<String, Asset> assets = new HashMap<>();
    private final MetricsAccess metricsAccess;

    ServerHttp(RoutingServer server) {
        this.server = server;
        this.metricsAccess = new MetricsAccess(server);
        Asset index = load("index.html", "text/html; charset=utf-8", true, false);
        if (index != null) {
            assets.put("/", index);
            assets.put("/index.html", index);
        }
        add("/dashboard.css", "dashboard.css", "text/css; charset=utf-8", true, false);
        add("/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8", true, false);
        add("/chart.js", "chart.js", "text/javascript; charset=utf-8", true, false);
        add("/client/conduit.js", "client/conduit.js", "text/javascript; charset=utf-8", false, true);
        add("/examples/chat.html", "examples/chat.html", "text/html; charset=utf-8", false, false);
    }

    private void add(String path, String resource, String contentType, boolean dashboard, boolean cors) {
        Asset a = load(resource, contentType, dashboard, cors);
        if (a != null) {
            assets.put(path, a);
        }
    }

    private static Asset load(String resource, String contentType, boolean dashboard, boolean cors) {
        try (InputStream in = ServerHttp.class.getResourceAsStream(WEB + resource)) {
            if (in == null) {
                // The build puts every file there (and fails without them): only a hand-made class path lacks one.
                log.warn("{}{} is not on the class path: the HTTP port answers 404 for it", WEB, resource);
                return null;
            }
            byte[] body = in.readAllBytes();
            byte[] gzipped = gzip(body);
            return new Asset(contentType, body, gzipped.length < body.length ? gzipped : null, etag(body), dashboard, cors);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + WEB + resource + ": " + e.getMessage(), e);
        }
    }

    private static byte[] gzip(byte[] body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length / 3 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(body);
        }
        return out.toByteArray();
    }

    /** A quoted strong ETag: the first 128 bits of the body's SHA-256. */
    private static String etag(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
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
            case "/readyz" -> readyz();
            case "/metrics" -> {
                HttpReply refused = metricsAccess.check(call);
                yield refused != null ? refused : metrics();
            }
            default -> file(call);
        };
    }

    /**
     * 200 while accepting connections and, in a cluster, while the backplane is healthy; 503 while
     * starting or stopping, and while the backplane is degraded (Redis unreachable: local traffic
     * goes on, cross-node traffic is held), with the reason in the body (docs/cluster.md).
     */
    private HttpReply readyz() {
        if (!server.accepting()) {
            return plain(503, "not accepting connections\n");
        }
        dev.conduit.server.spi.BackplaneStatus cluster = server.backplaneStatus();
        if (cluster != null && cluster.degraded()) {
            return plain(503, "degraded: " + cluster.reason() + "\n");
        }
        return plain(200, "ready\n");
    }

    private HttpReply metrics() {
        PrometheusMeterRegistry prometheus = server.metrics().prometheus();
        if (prometheus == null) {
            return plain(404, "this server's meters go to the registry its application passed in, not to Prometheus\n");
        }
        return new HttpReply(200, PROMETHEUS_TEXT, prometheus.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                Map.of("Cache-Control", "no-store"));
    }

    private HttpReply file(HttpCall call) {
        Asset a = assets.get(call.path());
        if (a == null) {
            return HttpReply.notFound();
        }
        boolean gzip = a.gzipped() != null && acceptsGzip(call.headers().get("accept-encoding"));
        String etag = gzip ? a.etag().substring(0, a.etag().length() - 1) + "-gzip\"" : a.etag();
        Map<String, String> headers = new HashMap<>();
        headers.put("Cache-Control", "no-cache");
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("ETag", etag);
        headers.put("Vary", a.cors() ? "Accept-Encoding, Origin" : "Accept-Encoding");
        if (a.dashboard()) {
            headers.put("Content-Security-Policy", DASHBOARD_POLICY);
        }
        String origin = call.headers().get("origin");
        if (a.cors() && origin != null && server.config().http().webSocketOptions().lists(origin)) {
            headers.put("Access-Control-Allow-Origin", origin);
        }
        if (matches(call.headers().get("if-none-match"), etag)) {
            return new HttpReply(304, a.contentType(), new byte[0], headers);
        }
        if (gzip) {
            headers.put("Content-Encoding", "gzip");
        }
        return new HttpReply(200, a.contentType(), gzip ? a.gzipped() : a.body(), headers);
    }

    /** Whether an Accept-Encoding header takes gzip (by name or {@code *}, with a q above 0). */
    static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        for (String part : acceptEncoding.split(",")) {
            String[] fields = part.split(";");
            String coding = fields[0].trim().toLowerCase(Locale.ROOT);
            if (!coding.equals("gzip") && !coding.equals("*")) {
                continue;
            }
            boolean refused = false;
            for (int i = 1; i < fields.length; i++) {
                String f = fields[i].trim().toLowerCase(Locale.ROOT);
                if (f.startsWith("q=")) {
                    try {
                        refused = Double.parseDouble(f.substring(2).trim()) <= 0;
                    } catch (NumberFormatException e) {
                        refused = true;
                    }
                }
            }
            if (!refused) {
                return true;
            }
        }
        return false;
    }

    /** Whether an If-None-Match header names {@code etag} (weak comparison, as RFC 9110 asks) or is {@code *}. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.trim();
            if (t.equals("*") || (t.startsWith("W/") ? t.substring(2) : t).equals(etag)) {
                return true;
            }
        }
        return false;
    }

    private static HttpReply plain(int status, String body) {
        return new HttpReply(status, TEXT, body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                Map.of("Cache-Control", "no-store"));
    }
}

package dev.conduit.server;

import dev.conduit.transport.HttpCall;
import dev.conduit.transport.HttpReply;
import dev.conduit.transport.HttpService;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What the server answers on its HTTP port besides WebSocket upgrades: {@code /healthz} (200 {@code
 * ok} while the server runs) and 404 for everything else. Runs on an I/O thread; answers from
 * nothing but its own constants, so it never blocks.
 */
final class ServerHttp implements HttpService {
    private static final String TEXT = "text/plain; charset=utf-8";

    @Override
    public HttpReply handle(HttpCall call) {
        if (call.path().equals("/healthz")) {
            return new HttpReply(200, TEXT, "ok\n".getBytes(StandardCharsets.UTF_8),
                    Map.of("cache-control", "no-store"));
        }
        return HttpReply.notFound();
    }
}

package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.server.spi.Permissions;
import dev.conduit.transport.HttpCall;
import dev.conduit.transport.HttpReply;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code /metrics} is read by the dashboard's principals only, and anonymously only from loopback. */
class MetricsAccessTest {
    private static final String OPS_TOKEN = TokenHashes.newToken();
    private static final String APP_TOKEN = TokenHashes.newToken();

    private RoutingServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private ServerHttp http(AuthConfig auth) {
        server = RoutingServer.create(ServerConfig.builder().host("127.0.0.1").port(0).httpPort(-1)
                .heartbeatInterval(Duration.ZERO).auth(auth).build());
        server.start();
        return new ServerHttp(server);
    }

    private static int status(ServerHttp http, String remote, Map<String, String> headers) {
        return http.handle(new HttpCall("GET", "/metrics", "", headers, remote)).status();
    }

    @Test
    void withoutAuthenticationOnlyLoopbackPeersReadMetrics() {
        ServerHttp http = http(AuthConfig.builder().build());
        assertThat(status(http, "/127.0.0.1:5000", Map.of())).isEqualTo(200);
        assertThat(status(http, "/[0:0:0:0:0:0:0:1]:5000", Map.of())).isEqualTo(200);
        assertThat(status(http, "/10.1.2.3:5000", Map.of())).isEqualTo(403);
        assertThat(status(http, "/192.168.0.9:5000", Map.of("authorization", "Bearer x"))).isEqualTo(403);
        assertThat(MetricsAccess.loopback("localhost:1")).as("names are never looked up").isFalse();
    }

    @Test
    void withAuthenticationMetricsNeedThePrincipalOfTheDashboard() {
        ServerHttp http = http(AuthConfig.builder().failedAuthDelay(Duration.ZERO)
                .token("ops", TokenHashes.hash(OPS_TOKEN)).token("app", TokenHashes.hash(APP_TOKEN))
                .permissions("ops", new Permissions(null, List.of(), List.of("$SYS.>"), List.of(), false))
                .build());
        assertThat(status(http, "/127.0.0.1:5000", Map.of())).as("loopback is no credential").isEqualTo(401);
        HttpReply noCredentials = http.handle(new HttpCall("GET", "/metrics", "", Map.of(), "/127.0.0.1:1"));
        assertThat(noCredentials.headers()).containsEntry("WWW-Authenticate", "Bearer realm=\"conduit\"");
        assertThat(status(http, "/10.1.2.3:5000", Map.of("authorization", "Bearer " + OPS_TOKEN + "x"))).isEqualTo(401);
        assertThat(status(http, "/10.1.2.3:5000", Map.of("authorization", "Basic " + OPS_TOKEN))).isEqualTo(401);
        assertThat(status(http, "/10.1.2.3:5000", Map.of("authorization", "Bearer " + APP_TOKEN)))
                .as("a principal that may not read $SYS.stats").isEqualTo(403);
        HttpReply ok = http.handle(new HttpCall("GET", "/metrics", "", Map.of("authorization", "bearer " + OPS_TOKEN),
                "/10.1.2.3:5000"));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.contentType()).isEqualTo(ServerHttp.PROMETHEUS_TEXT);
    }
}

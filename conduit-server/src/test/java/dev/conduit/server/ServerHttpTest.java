package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.client.Client;
import dev.conduit.transport.HttpCall;
import dev.conduit.transport.HttpReply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ServerHttpTest {

    private static ServerConfig config() {
        return ServerConfig.builder().host("127.0.0.1").port(0).heartbeatInterval(Duration.ZERO).build();
    }

    private static HttpReply get(ServerHttp http, String path) {
        return http.handle(new HttpCall("GET", path, "", Map.of(), "127.0.0.1:1"));
    }

    private static String text(HttpReply r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Test
    void metricsAreInPrometheusTextFormatWithItsContentType() throws Exception {
        try (RoutingServer server = RoutingServer.create(config())) {
            server.start();
            ServerHttp http = new ServerHttp(server);
            try (Client c = Client.connectLocal(server.localConnector())) {
                c.publish("a.b", new byte[5]);
                c.flush(Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
                HttpReply r = get(http, "/metrics");
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.contentType()).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
                assertThat(text(r)).contains("# TYPE conduit_messages_in_total counter")
                        .contains("conduit_messages_in_total 1.0")
                        .contains("conduit_payload_in_bytes_total 5.0")
                        .contains("conduit_connections{transport=\"memory\"} 1.0");
            }
        }
    }

    @Test
    void metricsCarryTheBuildVersionTheJvmAndProcessFiguresAndTheLatencyHistograms() {
        try (RoutingServer server = RoutingServer.create(config())) {
            server.start();
            String metrics = text(get(new ServerHttp(server), "/metrics"));
            assertThat(Version.get()).isNotEqualTo("unknown");
            assertThat(metrics).containsPattern("conduit_build_info\\{version=\"" + java.util.regex.Pattern.quote(Version.get())
                            + "\"} 1(\\.0)?\n")
                    .contains("jvm_memory_used_bytes{area=\"heap\"")
                    .contains("jvm_gc_")
                    .contains("jvm_threads_live_threads ")
                    .contains("process_cpu_usage ")
                    .contains("system_cpu_count ")
                    .contains("process_uptime_seconds ")
                    .contains("process_files_open_files ")
                    .contains("conduit_request_round_trip_seconds_bucket")
                    .contains("conduit_delivery_latency_seconds_bucket");
        }
    }

    @Test
    void readinessFollowsTheServersStateWhileHealthIsAlways200() {
        RoutingServer server = RoutingServer.create(config());
        ServerHttp http = new ServerHttp(server);
        assertThat(get(http, "/readyz").status()).isEqualTo(503);
        assertThat(get(http, "/healthz").status()).isEqualTo(200);
        server.start();
        assertThat(get(http, "/readyz").status()).isEqualTo(200);
        assertThat(text(get(http, "/readyz"))).isEqualTo("ready\n");
        server.close();
        assertThat(get(http, "/readyz").status()).isEqualTo(503);
        assertThat(get(http, "/healthz").status()).isEqualTo(200);
    }

    @Test
    void theDashboardTheBrowserClientAndTheChatExampleAreServedFromTheJar() {
        try (RoutingServer server = RoutingServer.create(config())) {
            ServerHttp http = new ServerHttp(server);
            HttpReply index = get(http, "/");
            assertThat(index.status()).isEqualTo(200);
            assertThat(index.contentType()).startsWith("text/html");
            assertThat(text(index)).contains("<script type=\"module\" src=\"/dashboard.js\">");
            assertThat(index.headers()).containsKey("Content-Security-Policy");
            assertThat(text(get(http, "/dashboard.js"))).contains("import { connect } from '/client/conduit.js'")
                    .contains("$SYS.stats");
            assertThat(get(http, "/chart.js").contentType()).startsWith("text/javascript");
            assertThat(get(http, "/dashboard.css").contentType()).startsWith("text/css");

            HttpReply client = get(http, "/client/conduit.js");
            assertThat(client.status()).isEqualTo(200);
            assertThat(client.contentType()).isEqualTo("text/javascript; charset=utf-8");
            assertThat(text(client)).contains("async function connect(").containsPattern("export \\{[^}]*\\bconnect\\b");
            HttpReply chat = get(http, "/examples/chat.html");
            assertThat(chat.status()).isEqualTo(200);
            assertThat(text(chat)).contains("/client/conduit.js");
        }
    }

    private static HttpReply get(ServerHttp http, String path, Map<String, String> headers) {
        return http.handle(new HttpCall("GET", path, "", headers, "127.0.0.1:1"));
    }

    private static byte[] gunzip(byte[] gz) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    @Test
    void theBrowserClientIsGzippedWhenAcceptedWithAnEtagThatAnswers304() throws IOException {
        try (RoutingServer server = RoutingServer.create(config())) {
            ServerHttp http = new ServerHttp(server);
            HttpReply plain = get(http, "/client/conduit.js");
            assertThat(plain.headers()).doesNotContainKey("Content-Encoding").containsKey("ETag")
                    .containsEntry("Vary", "Accept-Encoding, Origin");
            HttpReply gz = get(http, "/client/conduit.js", Map.of("accept-encoding", "br, gzip;q=0.8"));
            assertThat(gz.status()).isEqualTo(200);
            assertThat(gz.headers()).containsEntry("Content-Encoding", "gzip");
            assertThat(gz.body().length).isLessThan(plain.body().length / 2);
            assertThat(gunzip(gz.body())).isEqualTo(plain.body());
            assertThat(gz.headers().get("ETag")).isNotEqualTo(plain.headers().get("ETag")).endsWith("-gzip\"");
            assertThat(get(http, "/client/conduit.js", Map.of("accept-encoding", "gzip;q=0")).headers())
                    .doesNotContainKey("Content-Encoding");

            String etag = plain.headers().get("ETag");
            assertThat(etag).matches("\"[0-9a-f]{32}\"");
            HttpReply notModified = get(http, "/client/conduit.js", Map.of("if-none-match", "\"other\", W/" + etag));
            assertThat(notModified.status()).isEqualTo(304);
            assertThat(notModified.body()).isEmpty();
            assertThat(notModified.headers()).containsEntry("ETag", etag);
            assertThat(get(http, "/client/conduit.js", Map.of("if-none-match", "\"other\"")).status()).isEqualTo(200);
            HttpReply gz304 = get(http, "/client/conduit.js",
                    Map.of("accept-encoding", "gzip", "if-none-match", gz.headers().get("ETag")));
            assertThat(gz304.status()).isEqualTo(304);
            assertThat(get(http, "/dashboard.js", Map.of("accept-encoding", "gzip")).headers())
                    .containsEntry("Content-Encoding", "gzip").containsKey("Content-Security-Policy");
        }
    }

    @Test
    void theBrowserClientCarriesCorsOnlyForAllowedOrigins() {
        ServerConfig config = ServerConfig.builder().host("127.0.0.1").port(0).heartbeatInterval(Duration.ZERO)
                .allowedOrigins(List.of("http://app.example:3000")).build();
        try (RoutingServer server = RoutingServer.create(config)) {
            ServerHttp http = new ServerHttp(server);
            assertThat(get(http, "/client/conduit.js", Map.of("origin", "http://APP.example:3000")).headers())
                    .containsEntry("Access-Control-Allow-Origin", "http://APP.example:3000");
            assertThat(get(http, "/client/conduit.js", Map.of("origin", "http://evil.example")).headers())
                    .doesNotContainKey("Access-Control-Allow-Origin");
            assertThat(get(http, "/client/conduit.js", Map.of("origin", "null")).headers())
                    .doesNotContainKey("Access-Control-Allow-Origin");
            assertThat(get(http, "/examples/chat.html", Map.of("origin", "http://app.example:3000")).headers())
                    .as("only the client module is for other origins").doesNotContainKey("Access-Control-Allow-Origin");
        }
        ServerConfig any = ServerConfig.builder().host("127.0.0.1").port(0).heartbeatInterval(Duration.ZERO)
                .allowedOrigins(List.of("*")).build();
        try (RoutingServer server = RoutingServer.create(any)) {
            assertThat(get(new ServerHttp(server), "/client/conduit.js", Map.of("origin", "https://x.example")).headers())
                    .containsEntry("Access-Control-Allow-Origin", "https://x.example");
        }
    }

    @Test
    void unknownPathsAre404AndOtherMethods405() {
        try (RoutingServer server = RoutingServer.create(config())) {
            ServerHttp http = new ServerHttp(server);
            assertThat(get(http, "/nope").status()).isEqualTo(404);
            assertThat(get(http, "/../pom.xml").status()).isEqualTo(404);
            HttpReply post = http.handle(new HttpCall("POST", "/metrics", "", Map.of(), "127.0.0.1:1"));
            assertThat(post.status()).isEqualTo(405);
            assertThat(post.headers()).containsEntry("Allow", "GET, HEAD");
        }
    }

    @Test
    void withAnApplicationsRegistryThatIsNotPrometheusMetricsSaySoWith404() {
        try (RoutingServer server = RoutingServer.create(config(), new SimpleMeterRegistry())) {
            HttpReply r = get(new ServerHttp(server), "/metrics");
            assertThat(r.status()).isEqualTo(404);
            assertThat(text(r)).contains("registry");
        }
    }
}

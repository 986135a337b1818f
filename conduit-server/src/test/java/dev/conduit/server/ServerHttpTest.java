package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.client.Client;
import dev.conduit.transport.HttpCall;
import dev.conduit.transport.HttpReply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
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
            try (Client c = server.connectLocal()) {
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
            assertThat(text(client)).contains("export async function connect");
            HttpReply chat = get(http, "/examples/chat.html");
            assertThat(chat.status()).isEqualTo(200);
            assertThat(text(chat)).contains("/client/conduit.js");
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

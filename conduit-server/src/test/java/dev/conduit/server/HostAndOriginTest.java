package dev.conduit.server;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * DNS rebinding against the HTTP port: a page whose name the attacker re-points at 127.0.0.1
 * controls both Host and Origin, so neither may be trusted alone. A Host outside the allowed names
 * gets 403 before anything else, and a same-host Origin passes only for an allowed name.
 */
class HostAndOriginTest {
    private Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private int start(UnaryOperator<ServerConfig.Builder> tweak) {
        server = Server.create(tweak.apply(ServerConfig.builder().host("127.0.0.1").port(0).httpPort(0).ioThreads(1)
                .drainTimeout(Duration.ofSeconds(1))).build()).start();
        return server.httpAddress().getPort();
    }

    /** Sends one request with these extra header lines; returns the status line. */
    private String statusOf(String path, String... headers) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.httpAddress().getPort())) {
            s.setSoTimeout(20_000);
            StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\n");
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            req.append("\r\n");
            s.getOutputStream().write(req.toString().getBytes(US_ASCII));
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = s.getInputStream().read()) >= 0 && c != '\r') {
                line.append((char) c);
            }
            return line.toString();
        }
    }

    private String upgrade(String host, String origin) throws IOException {
        return statusOf("/conduit", "Host: " + host, "Origin: " + origin, "Upgrade: websocket", "Connection: Upgrade",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13");
    }

    @Test
    void theRebindingRequestGets403AndTheServersOwnNamesAreServed() throws Exception {
        int port = start(b -> b);
        assertThat(upgrade("evil.example:" + port, "http://evil.example:" + port)).isEqualTo("HTTP/1.1 403 Forbidden");
        assertThat(statusOf("/", "Host: evil.example:" + port)).isEqualTo("HTTP/1.1 403 Forbidden");
        assertThat(statusOf("/metrics", "Host: evil.example")).isEqualTo("HTTP/1.1 403 Forbidden");
        assertThat(statusOf("/", "Host: 127.0.0.1.evil.example:" + port)).isEqualTo("HTTP/1.1 403 Forbidden");
        assertThat(statusOf("/", "Host: [::1]:" + port)).isEqualTo("HTTP/1.1 200 OK");
        assertThat(statusOf("/", "Host: LOCALHOST:" + port)).isEqualTo("HTTP/1.1 200 OK");
        assertThat(upgrade("127.0.0.1:" + port, "http://127.0.0.1:" + port)).isEqualTo("HTTP/1.1 101 Switching Protocols");
        assertThat(upgrade("localhost:" + port, "http://localhost:" + port)).isEqualTo("HTTP/1.1 101 Switching Protocols");
        // An allowed Host does not let another page in: its Origin must still be this host or listed.
        assertThat(upgrade("127.0.0.1:" + port, "http://evil.example:" + port)).isEqualTo("HTTP/1.1 403 Forbidden");
    }

    @Test
    void configuredNamesReplaceTheDefaultsAndAListedOriginNeedNotBeAnAllowedHost() throws Exception {
        int port = start(b -> b.httpAllowedHosts(List.of("conduit.example")).allowedOrigins(List.of("https://app.example")));
        assertThat(upgrade("conduit.example:" + port, "http://conduit.example:" + port))
                .isEqualTo("HTTP/1.1 101 Switching Protocols");
        assertThat(upgrade("conduit.example:" + port, "https://app.example")).isEqualTo("HTTP/1.1 101 Switching Protocols");
        assertThat(upgrade("localhost:" + port, "http://localhost:" + port)).isEqualTo("HTTP/1.1 403 Forbidden");
        assertThat(statusOf("/healthz")).as("no Host: not a browser").isEqualTo("HTTP/1.1 200 OK");
    }

    @Test
    void aWildcardAnswersEveryHostAndSoTakesEverySameHostOrigin() throws Exception {
        int port = start(b -> b.httpAllowedHosts(List.of("*")));
        assertThat(statusOf("/", "Host: anything.example")).isEqualTo("HTTP/1.1 200 OK");
        assertThat(upgrade("evil.example:" + port, "http://evil.example:" + port))
                .isEqualTo("HTTP/1.1 101 Switching Protocols");
    }
}

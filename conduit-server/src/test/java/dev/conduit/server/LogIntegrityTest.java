package dev.conduit.server;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.testkit.ManualClock;
import dev.conduit.transport.LogSafe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Peer text cannot forge or flood the log: a newline in a client name, a header or a claim stays
 * inside its line, and a flood of one refusal class yields a bounded number of lines. The lines
 * are captured from slf4j-simple, which writes to whatever {@code System.err} is at the time.
 */
class LogIntegrityTest {
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream original;

    @BeforeEach
    void capture() {
        original = System.err;
        System.setErr(new PrintStream(captured, true, UTF_8));
    }

    @AfterEach
    void restore() {
        System.setErr(original);
    }

    private List<String> lines() {
        return Arrays.asList(captured.toString(UTF_8).split("\n"));
    }

    @Test
    void quotingEscapesControlCharactersAndBoundsLength() {
        assertThat(LogSafe.quote("a\nb\r\u001b[31m\u2028\"\\")).isEqualTo("\"a\\nb\\r\\u001b[31m\\u2028\\\"\\\\\"");
        assertThat(LogSafe.quote(null)).isEqualTo("null");
        assertThat(LogSafe.quote("x".repeat(1000))).hasSize(LogSafe.MAX_CHARS + 2 + "...(800 more chars)".length())
                .endsWith("...(800 more chars)");
        assertThat(LogSafe.escape("msg with \"quotes\"\nFORGED", 100)).isEqualTo("msg with \"quotes\"\\nFORGED");
    }

    @Test
    void aNewlineInPeerTextCannotStartALogLine() {
        LimitLog log = new LimitLog("test", ManualClock.create());
        log.note("connection (\"evil\nFORGED 1\" at /127.0.0.1:1)", "authentication failed: jwt issuer x\r\nFORGED 2");
        log.hit("peer", "reported error 500: boom\u2028FORGED 3", ErrorCode.TOO_MANY_CONNECTIONS);
        assertThat(lines()).noneMatch(l -> l.startsWith("FORGED")).anyMatch(l -> l.contains("\\nFORGED 1"))
                .anyMatch(l -> l.contains("\\r\\nFORGED 2")).anyMatch(l -> l.contains("\\u2028FORGED 3"));
    }

    @Test
    void aNewlineInAHelloClientNameStaysInsideItsLine() throws Exception {
        try (Server server = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).httpPort(-1).ioThreads(1)
                .heartbeatInterval(Duration.ZERO).drainTimeout(Duration.ofSeconds(1))
                .auth(AuthConfig.builder().failedAuthDelay(Duration.ZERO)
                        .token("ops", TokenHashes.hash(TokenHashes.newToken())).build()).build()).start();
             dev.conduit.client.Client client = dev.conduit.client.Client.connect(dev.conduit.client.ClientOptions
                     .builder().endpoints("tcp://127.0.0.1:" + server.address().getPort())
                     .clientName("app\nFORGED by the client name").token("wrong").initialConnectJitter(Duration.ZERO)
                     .build())) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> captured.toString(UTF_8).contains("FORGED by the client name"));
        } catch (RuntimeException refused) {
            // the connect itself may fail with the 401: the log line is what is checked
        }
        assertThat(lines()).noneMatch(l -> l.startsWith("FORGED"))
                .anyMatch(l -> l.contains("\"app\\nFORGED by the client name\""));
    }

    @Test
    void aFloodOfRefusedHostsOverTheNetworkYieldsABoundedNumberOfLines() throws Exception {
        try (Server server = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).httpPort(0).ioThreads(1)
                .drainTimeout(Duration.ofSeconds(1)).build()).start()) {
            int port = server.httpAddress().getPort();
            int requests = 200;
            for (int i = 0; i < requests; i++) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.setSoTimeout(20_000);
                    s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: evil" + i + ".example\r\n\r\n")
                            .getBytes(US_ASCII));
                    assertThat(new String(s.getInputStream().readAllBytes(), US_ASCII)).startsWith("HTTP/1.1 4");
                }
            }
        }
        long refusals = lines().stream().filter(l -> l.contains("httpAllowedHosts")).count();
        // One 10 s window, or at most two if the run straddles one: never one line per request.
        assertThat(refusals).isBetween(1L, 2L * LimitLog.LINES_PER_WINDOW);
        assertThat(lines()).noneMatch(l -> l.startsWith("FORGED"));
    }
}

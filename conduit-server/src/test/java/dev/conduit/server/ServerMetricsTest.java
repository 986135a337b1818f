package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.client.Client;
import dev.conduit.protocol.Frame;
import dev.conduit.testkit.RawFrameClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ServerMetricsTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final StoppedClock clock = new StoppedClock();
    private RoutingServer server;

    private RoutingServer start(MeterRegistry registry) {
        ServerConfig config = ServerConfig.builder().host("127.0.0.1").port(0).clock(clock)
                .heartbeatInterval(Duration.ZERO).build();
        server = registry == null ? RoutingServer.create(config) : RoutingServer.create(config, registry);
        server.start();
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static double count(MeterRegistry r, String name, String... tags) {
        var search = r.find(name).tags(tags);
        if (search.functionCounter() != null) {
            return search.functionCounter().count();
        }
        if (search.counter() != null) {
            return search.counter().count();
        }
        return search.gauge().value();
    }

    @Test
    void messagesAndPayloadBytesAreCountedInAndOutAndConnectionsByTransport() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        start(registry);
        try (Client sub1 = Client.connectLocal(server.localConnector());
             Client sub2 = Client.connectLocal(server.localConnector());
             Client pub = Client.connectLocal(server.localConnector())) {
            CountDownLatch got = new CountDownLatch(2 * 25);
            sub1.subscribe("m.*", m -> got.countDown());
            sub2.subscribe("m.x", m -> got.countDown());
            sub1.flush(WAIT).get(10, TimeUnit.SECONDS);
            sub2.flush(WAIT).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 25; i++) {
                pub.publish("m.x", new byte[10]);
            }
            pub.publish("nobody.listens", new byte[3]);
            pub.flush(WAIT).get(10, TimeUnit.SECONDS);
            assertThat(got.await(10, TimeUnit.SECONDS)).isTrue();

            assertThat(count(registry, "conduit.messages.in")).isEqualTo(26);
            assertThat(count(registry, "conduit.payload.in")).isEqualTo(25 * 10 + 3);
            assertThat(count(registry, "conduit.messages.out")).isEqualTo(50);
            assertThat(count(registry, "conduit.payload.out")).isEqualTo(500);
            assertThat(count(registry, "conduit.connections", "transport", "memory")).isEqualTo(3);
            assertThat(count(registry, "conduit.connections", "transport", "tcp")).isZero();
            assertThat(count(registry, "conduit.connections.opened", "transport", "memory")).isEqualTo(3);
            assertThat(count(registry, "conduit.sessions", "state", "attached")).isEqualTo(3);
            assertThat(count(registry, "conduit.subscriptions")).isEqualTo(2);
        }
    }

    @Test
    void anEndedSessionsTrafficStaysInTheTotals() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        start(registry);
        try (Client pub = Client.connectLocal(server.localConnector())) {
            pub.publish("a", new byte[7]);
            pub.publish("a", new byte[7]);
            pub.flush(WAIT).get(10, TimeUnit.SECONDS);
        }
        org.awaitility.Awaitility.await().atMost(WAIT).until(() -> server.sessionCount() == 0);
        assertThat(count(registry, "conduit.messages.in")).isEqualTo(2);
        assertThat(count(registry, "conduit.payload.in")).isEqualTo(14);
        assertThat(count(registry, "conduit.connections", "transport", "memory")).isZero();
    }

    @Test
    void handshakeFailuresAreCountedByReasonAndKeptAmongTheRecentErrors() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        start(registry);
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(new Frame.Hello(7, 9, "future", "", new byte[0], new byte[0], 0));
            c.readUntilClosed();
        }
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(new Frame.Ping(1));
            c.readUntilClosed();
        }
        assertThat(count(registry, "conduit.handshake.failures", "reason", "unsupported_version")).isEqualTo(1);
        assertThat(count(registry, "conduit.handshake.failures", "reason", "protocol_error")).isEqualTo(1);
        assertThat(count(registry, "conduit.errors", "code", "426")).isEqualTo(1);
        List<RecentErrors.Entry> errors = server.metrics().recentErrors().latest();
        assertThat(errors).hasSize(2);
        assertThat(errors.get(0).code()).isEqualTo(460); // newest first
        assertThat(errors.get(1).code()).isEqualTo(426);
        assertThat(errors.get(1).message()).contains("7..9");
        assertThat(errors.get(1).peer()).contains("127.0.0.1");
    }

    @Test
    void authenticationFailuresAreCountedByTheReasonTheAuthenticatorGives() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        start(registry);
        server.metrics().authenticationFailed("bad_token");
        server.metrics().authenticationFailed("bad_token");
        server.metrics().authenticationFailed("no_credentials");
        assertThat(count(registry, "conduit.auth.failures", "reason", "bad_token")).isEqualTo(2);
        assertThat(count(registry, "conduit.auth.failures", "reason", "no_credentials")).isEqualTo(1);
    }

    @Test
    void aRequestsRoundTripIsTimedOnTheServersClockFromRoutingToTheReplysDelivery() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        start(registry);
        try (Client replier = Client.connectLocal(server.localConnector());
             Client requester = Client.connectLocal(server.localConnector())) {
            replier.subscribe("svc.time", m -> {
                clock.advanceNanos(TimeUnit.MILLISECONDS.toNanos(5)); // the replier takes 5 ms
                m.reply("ok".getBytes(StandardCharsets.UTF_8));
            });
            replier.flush(WAIT).get(10, TimeUnit.SECONDS);
            requester.request("svc.time", new byte[0], WAIT).get(10, TimeUnit.SECONDS);
            requester.request("svc.time", new byte[0], WAIT).get(10, TimeUnit.SECONDS);
        }
        var timer = registry.find("conduit.request.round.trip").timer();
        assertThat(timer.count()).isEqualTo(2);
        assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(10.0);
        assertThat(timer.max(TimeUnit.MILLISECONDS)).isEqualTo(5.0);
    }

    @Test
    void theOwnRegistryIsPrometheusAndScrapesTheConduitMeters() throws Exception {
        start(null);
        try (Client c = Client.connectLocal(server.localConnector())) {
            c.publish("x", new byte[1]);
            c.flush(WAIT).get(10, TimeUnit.SECONDS);
            String text = server.metrics().prometheus().scrape();
            assertThat(text).contains("conduit_messages_in_total 1.0")
                    .contains("conduit_payload_in_bytes_total 1.0")
                    .contains("conduit_connections{transport=\"memory\"} 1.0")
                    .contains("conduit_connections{transport=\"wss\"} 0.0")
                    .contains("conduit_sessions{state=\"attached\"} 1.0")
                    .contains("conduit_request_round_trip_seconds_bucket");
        }
    }

    @Test
    void stoppingRemovesTheMetersFromAnApplicationsRegistry() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        start(registry);
        assertThat(registry.find("conduit.messages.in").functionCounter()).isNotNull();
        server.close();
        assertThat(registry.getMeters()).isEmpty();
        assertThat(registry.isClosed()).isFalse();
    }
}

package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conduit.client.Client;
import dev.conduit.protocol.Frame;
import dev.conduit.testkit.RawFrameClient;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@code $SYS.stats} snapshot, built at times the test chooses on a clock that only it moves. */
class StatsSnapshotTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private final StoppedClock clock = new StoppedClock();
    private RoutingServer server;

    @BeforeEach
    void start() {
        server = RoutingServer.create(ServerConfig.builder().host("127.0.0.1").port(0).clock(clock)
                .heartbeatInterval(Duration.ZERO).build());
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private JsonNode snapshotAfter(long nanos) {
        clock.advanceNanos(nanos);
        return new ObjectMapper().valueToTree(server.stats().snapshot(clock.nanoTime()));
    }

    @Test
    void ratesAreOverTheIntervalSinceTheLastSnapshotAndTopSubjectsAreRankedByRate() throws Exception {
        try (Client sub = Client.connectLocal(server.localConnector());
             Client pub = Client.connectLocal(server.localConnector())) {
            CountDownLatch got = new CountDownLatch(40);
            sub.subscribe("orders.>", m -> got.countDown());
            sub.flush(WAIT).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < 30; i++) {
                pub.publish("orders.eu", new byte[100]);
            }
            for (int i = 0; i < 10; i++) {
                pub.publish("orders.us", new byte[100]);
            }
            pub.flush(WAIT).get(10, TimeUnit.SECONDS);
            assertThat(got.await(10, TimeUnit.SECONDS)).isTrue();

            JsonNode s = snapshotAfter(2 * SECOND);
            assertThat(s.get("serverId").asText()).isEqualTo(server.serverId());
            assertThat(s.get("uptimeSeconds").asDouble()).isEqualTo(2.0);
            assertThat(s.get("intervalSeconds").asDouble()).isEqualTo(2.0);
            assertThat(s.at("/messages/in").asLong()).isEqualTo(40);
            assertThat(s.at("/messages/out").asLong()).isEqualTo(40);
            assertThat(s.at("/messages/inPerSecond").asDouble()).isEqualTo(20.0);
            assertThat(s.at("/messages/outPerSecond").asDouble()).isEqualTo(20.0);
            assertThat(s.at("/bytes/inPerSecond").asDouble()).isEqualTo(2000.0);
            assertThat(s.at("/connections/memory").asInt()).isEqualTo(2);
            assertThat(s.at("/connections/tcp").asInt()).isZero();
            assertThat(s.at("/sessions/total").asInt()).isEqualTo(2);
            assertThat(s.at("/sessions/attached").asInt()).isEqualTo(2);
            assertThat(s.at("/sessions/byTransport/memory").asInt()).isEqualTo(2);
            assertThat(s.get("subscriptions").asInt()).isEqualTo(1);
            assertThat(s.get("topSubjectsSampleStep").asLong()).isEqualTo(1);
            assertThat(s.get("topSubjects")).hasSize(2);
            assertThat(s.at("/topSubjects/0/subject").asText()).isEqualTo("orders.eu");
            assertThat(s.at("/topSubjects/0/perSecond").asDouble()).isEqualTo(15.0);
            assertThat(s.at("/topSubjects/1/subject").asText()).isEqualTo("orders.us");
            assertThat(s.at("/topSubjects/1/perSecond").asDouble()).isEqualTo(5.0);

            JsonNode rows = s.at("/sessionList/rows");
            assertThat(s.at("/sessionList/total").asInt()).isEqualTo(2);
            assertThat(rows).hasSize(2);
            for (JsonNode row : rows) { // each moved 40 messages, one way or the other
                assertThat(row.get("messagesIn").asLong() + row.get("messagesOut").asLong()).isEqualTo(40);
                assertThat(row.get("transport").asText()).isEqualTo("memory");
                assertThat(row.get("state").asText()).isEqualTo("attached");
                assertThat(row.get("client").asText()).isEqualTo("in-process");
                assertThat(row.get("ageSeconds").asDouble()).isEqualTo(2.0);
                assertThat(row.get("resumes").asInt()).isZero();
                assertThat(row.has("remote")).isTrue();
                assertThat(row.has("pendingBytes")).isTrue();
            }
            assertThat(rows.findValues("subscriptions")).extracting(JsonNode::asInt).containsExactlyInAnyOrder(0, 1);
            assertThat(s.has("cluster")).as("a server without a cluster setting has no cluster object").isFalse();

            JsonNode quiet = snapshotAfter(SECOND);
            assertThat(quiet.at("/messages/in").asLong()).isEqualTo(40);
            assertThat(quiet.at("/messages/inPerSecond").asDouble()).isZero();
            assertThat(quiet.get("topSubjects")).isEmpty();
            assertThat(quiet.get("uptimeSeconds").asDouble()).isEqualTo(3.0);
        }
    }

    @Test
    void theTickPublishesTheSnapshotOnSysStatsToTheSessionsSubscribed() throws Exception {
        try (Client watcher = Client.connectLocal(server.localConnector())) {
            BlockingQueue<String> received = new ArrayBlockingQueue<>(4);
            watcher.subscribe("$SYS.>", m -> received.add(m.subject() + " " + m.payloadAsString()));
            watcher.flush(WAIT).get(10, TimeUnit.SECONDS);
            clock.advanceNanos(SECOND);
            server.stats().tick(clock.nanoTime());
            String message = received.poll(10, TimeUnit.SECONDS);
            assertThat(message).startsWith("$SYS.stats {");
            JsonNode s = new ObjectMapper().readTree(message.substring("$SYS.stats ".length()));
            assertThat(s.get("serverId").asText()).isEqualTo(server.serverId());
            assertThat(s.at("/sessions/total").asInt()).isEqualTo(1);
            // The watcher's own $SYS subscription and the snapshot it received are not the users' traffic.
            assertThat(s.get("subscriptions").asInt()).isZero();
            JsonNode next = snapshotAfter(SECOND);
            assertThat(next.at("/messages/out").asLong()).isZero();
            assertThat(next.at("/sessionList/rows/0/messagesOut").asLong()).isZero();
        }
    }

    @Test
    void latenciesAreNullUntilMeasuredThenPercentilesOfRequestsAndDeliveries() throws Exception {
        JsonNode none = snapshotAfter(SECOND);
        assertThat(none.at("/latency/request/samples").asLong()).isZero();
        assertThat(none.at("/latency/request/p50Millis").isNull()).isTrue();
        assertThat(none.at("/latency/delivery/p99Millis").isNull()).isTrue();
        assertThat(none.at("/requests/meanMillis").isNull()).isTrue();
        try (Client responder = Client.connectLocal(server.localConnector());
             Client requester = Client.connectLocal(server.localConnector())) {
            responder.subscribe("echo", m -> m.reply(m.payload()));
            responder.flush(WAIT).get(10, TimeUnit.SECONDS);
            int requests = 3;
            for (int i = 0; i < requests; i++) {
                requester.requestAndWait("echo", new byte[1], WAIT);
            }
            // One publish in DELIVERY_SAMPLE_EVERY per publisher is timed: the responder's replies
            // and the requester's requests reach that count together.
            for (int i = 0; i < RoutingServer.DELIVERY_SAMPLE_EVERY; i++) {
                requester.publish("echo.none", new byte[1]);
            }
            CountDownLatch got = new CountDownLatch(RoutingServer.DELIVERY_SAMPLE_EVERY);
            responder.subscribe("timed", m -> got.countDown());
            responder.flush(WAIT).get(10, TimeUnit.SECONDS);
            for (int i = 0; i < RoutingServer.DELIVERY_SAMPLE_EVERY; i++) {
                requester.publish("timed", new byte[1]);
            }
            requester.flush(WAIT).get(10, TimeUnit.SECONDS);
            assertThat(got.await(10, TimeUnit.SECONDS)).isTrue();
            // The delivery sample is recorded on the subscriber's connection after the write.
            org.awaitility.Awaitility.await().atMost(WAIT)
                    .until(() -> server.metrics().registry().get("conduit.delivery.latency").timer().count() >= 1);
            JsonNode s = snapshotAfter(SECOND);
            assertThat(s.at("/latency/windowSeconds").asInt()).isEqualTo(LatencyWindow.SECONDS);
            assertThat(s.at("/latency/request/samples").asLong()).isEqualTo(requests);
            // The test's clock stands still: every latency is the histogram's lowest value, never null.
            assertThat(s.at("/latency/request/p50Millis").isNumber()).isTrue();
            assertThat(s.at("/latency/request/p99Millis").asDouble()).isLessThan(0.01);
            assertThat(s.at("/latency/delivery/samples").asLong()).isGreaterThanOrEqualTo(1);
            assertThat(s.at("/latency/delivery/p50Millis").isNumber()).isTrue();
            assertThat(s.at("/requests/meanMillis").isNumber()).isTrue();
            assertThat(s.at("/process/heapUsedBytes").asLong()).isPositive();
            assertThat(s.at("/process/threads").asInt()).isPositive();
            assertThat(s.get("version").asText()).isNotBlank();
        }
    }

    @Test
    void aTickWithoutSubscribersPublishesNothingButTheNextSnapshotsRatesStartFromIt() throws Exception {
        try (Client pub = Client.connectLocal(server.localConnector())) {
            for (int i = 0; i < 10; i++) {
                pub.publish("early", new byte[1]);
            }
            pub.flush(WAIT).get(10, TimeUnit.SECONDS);
            clock.advanceNanos(SECOND);
            server.stats().tick(clock.nanoTime()); // nobody listens: only the readings move on
            for (int i = 0; i < 4; i++) {
                pub.publish("late", new byte[1]);
            }
            pub.flush(WAIT).get(10, TimeUnit.SECONDS);
            JsonNode s = snapshotAfter(2 * SECOND);
            assertThat(s.at("/messages/in").asLong()).isEqualTo(14);
            assertThat(s.at("/messages/inPerSecond").asDouble()).isEqualTo(2.0);
            assertThat(s.get("intervalSeconds").asDouble()).isEqualTo(2.0);
            assertThat(s.get("topSubjects")).singleElement()
                    .satisfies(t -> assertThat(t.get("subject").asText()).isEqualTo("late"));
        }
    }

    @Test
    void theLatestErrorsAreInTheSnapshotNewestFirst() throws Exception {
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(new Frame.Hello(7, 9, "future", "", new byte[0], new byte[0], 0));
            c.readUntilClosed();
        }
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, "bad..pattern", null));
            c.sync();
        }
        JsonNode errors = snapshotAfter(SECOND).get("errors");
        assertThat(errors).hasSize(2);
        assertThat(errors.get(0).get("code").asInt()).isEqualTo(422);
        assertThat(errors.get(0).get("name").asText()).isEqualTo("INVALID_SUBJECT");
        assertThat(errors.get(1).get("code").asInt()).isEqualTo(426);
        assertThat(errors.get(1).get("message").asText()).contains("7..9");
        assertThat(errors.get(1).get("peer").asText()).contains("127.0.0.1");
        assertThat(errors.get(1).get("time").asLong()).isPositive();
    }
}

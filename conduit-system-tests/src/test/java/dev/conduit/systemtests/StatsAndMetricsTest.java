package dev.conduit.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conduit.client.Client;
import dev.conduit.testkit.FaultProxy;
import dev.conduit.testkit.ManualClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The server's $SYS.stats snapshots run on its clock (a manual one here, so each second is a step
 * the test takes), and its meters count resumes and sessions lost when a resume window expires.
 */
class StatsAndMetricsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration RESUME_WINDOW = Duration.ofSeconds(10);

    @Test
    void snapshotsArePublishedEverySecondOfTheServersClockAndCountResumesAndLostSessions() throws Exception {
        ManualClock clock = ManualClock.create();
        try (TestServer ts = TestServer.start(b -> b.clock(clock).heartbeatInterval(Duration.ZERO)
                     .resumeWindow(RESUME_WINDOW));
             FaultProxy resumable = FaultProxy.start(ts.server.address());
             FaultProxy doomed = FaultProxy.start(ts.server.address())) {
            ObjectMapper json = new ObjectMapper();
            AtomicInteger snapshots = new AtomicInteger();
            AtomicReference<JsonNode> latest = new AtomicReference<>();
            Client watcher = ts.client(b -> b.clientName("watcher"));
            watcher.subscribe("$SYS.stats", m -> {
                latest.set(json.readTree(m.payload()));
                snapshots.incrementAndGet();
            });
            watcher.flush(WAIT).get();

            clock.advance(Duration.ofMillis(999));
            assertThat(snapshots.get()).as("nothing before a second has passed").isZero();
            clock.advance(Duration.ofMillis(1));
            await().atMost(WAIT).until(() -> snapshots.get() == 1);
            assertThat(latest.get().get("serverId").asText()).isEqualTo(ts.server.serverId());
            assertThat(latest.get().at("/sessions/byTransport/tcp").asInt()).isEqualTo(1);

            Client a = ts.client(b -> b.clientName("a").endpoints(resumable.endpoint())
                    .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(20)));
            a.subscribe("x", m -> { });
            a.flush(WAIT).get();
            Client b = ts.client(o -> o.clientName("b").endpoints(doomed.endpoint())
                    .reconnectBackoff(Duration.ofMillis(20), Duration.ofMillis(20)));
            b.flush(WAIT).get();

            MeterRegistry registry = ts.server.meterRegistry();
            resumable.cutAll();
            await().atMost(WAIT).until(() -> registry.get("conduit.sessions.resumed").counter().count() == 1);

            doomed.refuse(true);
            doomed.cutAll();
            await().atMost(WAIT).until(() -> registry.get("conduit.sessions").tag("state", "detached").gauge().value() == 1);
            clock.advance(RESUME_WINDOW);
            await().atMost(WAIT).until(() -> snapshots.get() == 11);
            assertThat(registry.get("conduit.sessions.lost").counter().count()).isEqualTo(1);
            JsonNode last = latest.get();
            assertThat(last.get("resumes").asLong()).isEqualTo(1);
            assertThat(last.get("sessionsLost").asLong()).isEqualTo(1);
            assertThat(last.at("/sessions/total").asInt()).isEqualTo(2);
            assertThat(last.at("/sessions/detached").asInt()).isZero();
            assertThat(last.get("uptimeSeconds").asDouble()).isEqualTo(11.0);
            assertThat(last.at("/sessionList/rows").findValuesAsText("client")).containsExactlyInAnyOrder("watcher", "a");

            String scrape = ((PrometheusMeterRegistry) registry).scrape();
            assertThat(scrape).contains("conduit_sessions_resumed_total 1.0").contains("conduit_sessions_lost_total 1.0")
                    .contains("conduit_connections{transport=\"tcp\"} 2.0");
            b.close();
        }
    }
}

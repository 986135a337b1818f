package dev.conduit.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ConnectionState;
import dev.conduit.testkit.FaultProxy;
import dev.conduit.testkit.ManualClock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A peer that vanishes without a FIN (a black-holed link) is declared dead by each side exactly
 * when interval x misses of silence have passed on that side's clock. Both clocks are manual, so
 * the deadlines are checked without waiting for them.
 */
class DeadPeerTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final int MISSES = 3;

    @Test
    void aBlackHoledConnectionIsDeclaredDeadWithinIntervalTimesMissesOnBothSides() throws Exception {
        ManualClock serverClock = ManualClock.create();
        ManualClock clientClock = ManualClock.create();
        try (TestServer ts = TestServer.start(b -> b.clock(serverClock).heartbeatInterval(INTERVAL).heartbeatMisses(MISSES));
             FaultProxy proxy = FaultProxy.start(ts.server.address())) {
            AtomicInteger resumed = new AtomicInteger();
            Client client = ts.client(b -> b.endpoints(proxy.endpoint()).clock(clientClock)
                    .reconnectBackoff(Duration.ofMillis(100), Duration.ofMillis(100))
                    .listener(new dev.conduit.client.ClientListener() {
                        @Override
                        public void onResumed(dev.conduit.client.ServerInfo server) {
                            resumed.incrementAndGet();
                        }
                    }));
            AtomicInteger got = new AtomicInteger();
            client.subscribe("alive", m -> got.incrementAndGet());
            client.flush(WAIT).get();

            // The client's side: silence just short of the deadline is tolerated, the deadline is not.
            proxy.blackHole(true);
            clientClock.advance(INTERVAL.multipliedBy(MISSES).minusMillis(1));
            assertThat(client.state()).isEqualTo(ConnectionState.OPEN);
            clientClock.advance(Duration.ofMillis(1));
            await().atMost(WAIT).until(() -> client.state() == ConnectionState.RESUMING);

            // The link comes back; the backoff (on the client's clock) runs out; the session resumes.
            proxy.clearFaults();
            clientClock.advance(Duration.ofMillis(100));
            await().atMost(WAIT).until(() -> client.state() == ConnectionState.OPEN);
            // onResumed is a listener call, made on the client's executor after the state is OPEN.
            await().atMost(WAIT).untilAsserted(() -> assertThat(resumed.get()).isEqualTo(1));
            await().atMost(WAIT).until(() -> ts.server.connectionCount() == 1);

            // The server's side, the same way on its own clock.
            proxy.blackHole(true);
            serverClock.advance(INTERVAL.multipliedBy(MISSES).minusMillis(1));
            assertThat(ts.server.connectionCount()).isEqualTo(1);
            serverClock.advance(Duration.ofMillis(1));
            await().atMost(WAIT).until(() -> ts.server.connectionCount() == 0);
            assertThat(ts.server.sessionCount()).as("kept for a resume").isEqualTo(1);
        }
    }

    @Test
    void theDefaultDetectsADeadPeerWithinThirtySeconds() {
        var config = dev.conduit.server.ServerConfig.builder().build();
        assertThat(config.heartbeatInterval().multipliedBy(config.heartbeatMisses())).isLessThanOrEqualTo(Duration.ofSeconds(30));
    }
}

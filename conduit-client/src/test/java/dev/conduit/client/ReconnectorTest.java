package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import dev.conduit.transport.Endpoint;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link Reconnector} alone: what it schedules after each failure, when it gives up, and what a
 * GOAWAY changes. Nothing connects: the executor and the clock only record what they are given, so
 * no attempt runs (and the session the attempts would need is not there).
 */
class ReconnectorTest {
    private static final long MS = 1_000_000;
    private static final Endpoint A = Endpoint.parse("tcp://a.example:1");
    private static final Endpoint B = Endpoint.parse("tcp://b.example:2");
    private static final Throwable REFUSED = new ConnectException("refused");

    /** Timers handed to the clock, by delay; none ever fires. */
    private final List<Long> timerDelays = new ArrayList<>();
    /** Attempts handed to the executor at once. */
    private final List<Runnable> immediate = new ArrayList<>();

    private final Clock clock = new Clock() {
        @Override
        public long nanoTime() {
            return 0;
        }

        @Override
        public Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
            timerDelays.add(unit.toNanos(delay));
            return () -> { };
        }
    };

    private Reconnector reconnector(ClientOptions.Builder options) {
        ClientOptions o = options.clock(clock).random(new SplittableRandom(7)).build();
        return new Reconnector(null, o, immediate::add, null, null);
    }

    private static ClientOptions.Builder twoEndpoints() {
        return ClientOptions.builder().endpoints("tcp://a.example:1", "tcp://b.example:2")
                .reconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    }

    @Test
    void theFirstConnectGivesUpOnceEveryEndpointRefused() {
        Reconnector r = reconnector(twoEndpoints());

        assertThat(r.failed(A, REFUSED, true)).isNull();
        assertThat(timerDelays).hasSize(1);
        assertThat(timerDelays.get(0)).isBetween(0L, 100 * MS);

        assertThat(r.failed(B, REFUSED, true)).isInstanceOf(ConnectFailedException.class)
                .hasMessageContaining("tcp://a.example:1: refused")
                .hasMessageContaining("tcp://b.example:2: refused");
        assertThat(timerDelays).as("no attempt after giving up").hasSize(1);
    }

    @Test
    void anEstablishedSessionRetriesWithGrowingBackoffUntilMaxReconnectAttempts() {
        Reconnector r = reconnector(twoEndpoints().maxReconnectAttempts(3));

        for (int i = 0; i < 3; i++) {
            assertThat(r.failed(i % 2 == 0 ? A : B, REFUSED, false)).as("failure %d", i + 1).isNull();
        }
        assertThat(timerDelays).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(timerDelays.get(i)).as("backoff %d", i).isBetween(0L, (100L << i) * MS);
        }
        assertThat(r.failed(B, REFUSED, false)).isInstanceOf(ConnectionClosedException.class)
                .hasMessageContaining("gave up after 4 failed connection attempts");
    }

    @Test
    void aWelcomeForgetsTheFailuresSoFar() {
        Reconnector r = reconnector(twoEndpoints().maxReconnectAttempts(1));

        assertThat(r.failed(A, REFUSED, false)).isNull();
        r.connected();
        assertThat(r.failed(B, REFUSED, false)).as("counted from zero again").isNull();
        assertThat(r.failed(A, REFUSED, false)).isInstanceOf(ConnectionClosedException.class);
    }

    @Test
    void aLostConnectionResumesAfterTheFirstBackoffStepButAfterGoAwayAtOnce() {
        Reconnector r = reconnector(twoEndpoints());

        r.lost();
        assertThat(immediate).isEmpty();
        assertThat(timerDelays).hasSize(1);
        assertThat(timerDelays.get(0)).isBetween(0L, 100 * MS);

        r.goingAway(List.of());
        r.lost();
        assertThat(immediate).as("moved on to the next endpoint without waiting").hasSize(1);
        assertThat(timerDelays).hasSize(1);
    }

    @Test
    void goAwayAddsTheAlternatesItNamesOnceAndSkipsBadOnes() {
        Reconnector r = reconnector(twoEndpoints());

        r.goingAway(List.of("tcp://c.example:3", "not a url", "tcp://a.example:1"));

        // A first connect gives up once every endpoint failed: now three, so the third failure.
        assertThat(r.failed(A, REFUSED, true)).isNull();
        assertThat(r.failed(B, REFUSED, true)).isNull();
        assertThat(r.failed(Endpoint.parse("tcp://c.example:3"), REFUSED, true))
                .isInstanceOf(ConnectFailedException.class)
                .hasMessageContaining("tcp://c.example:3: refused");
    }

    @Test
    void aWelcomeAddsTheClusterNodesItNamesAndAGoAwayThenMovesToOne() {
        Reconnector r = reconnector(ClientOptions.builder().endpoints("tcp://a.example:1"));

        r.alternates(List.of("tcp://n2:7440", "tcp://n3:7440", "tcp://a.example:1", "tcp://n2:7440", "not a url"));
        assertThat(r.endpoints()).containsExactly(A, Endpoint.parse("tcp://n2:7440"), Endpoint.parse("tcp://n3:7440"));
        assertThat(r.next()).as("a WELCOME does not move the client").isEqualTo(A);

        r.goingAway(List.of("tcp://n3:7440"));
        r.lost();
        assertThat(immediate).as("at once").hasSize(1);
        assertThat(r.next()).isEqualTo(Endpoint.parse("tcp://n2:7440"));
    }

    @Test
    void learnedEndpointsAreBoundedTheOldestForgottenTheClientsOwnKept() {
        Reconnector r = reconnector(twoEndpoints());

        for (int i = 0; i < 100; i++) {
            r.alternates(List.of("tcp://n" + i + ":7440"));
        }
        List<Endpoint> all = r.endpoints();
        assertThat(all).hasSize(2 + Reconnector.MAX_LEARNED);
        assertThat(all).startsWith(A, B).endsWith(Endpoint.parse("tcp://n99:7440"))
                .doesNotContain(Endpoint.parse("tcp://n35:7440")).contains(Endpoint.parse("tcp://n36:7440"));
        assertThat(r.next()).isEqualTo(A);

        // On a learned endpoint when the oldest is forgotten: the rotation stays on it.
        r.goingAway(List.of());
        r.lost();
        r.goingAway(List.of());
        r.lost();
        r.goingAway(List.of());
        r.lost();
        assertThat(r.next()).isEqualTo(Endpoint.parse("tcp://n37:7440"));
        r.alternates(List.of("tcp://n100:7440"));
        assertThat(r.next()).isEqualTo(Endpoint.parse("tcp://n37:7440"));
        assertThat(r.endpoints()).startsWith(A, B, Endpoint.parse("tcp://n37:7440"));
    }
}

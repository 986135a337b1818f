package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link Heartbeat}'s deadlines on a stepped time, with its checks on timers apart from the clock
 * (as on a connection's event loop), and where {@link Heartbeat#timersFor} puts them.
 */
class HeartbeatTest {
    private static final Duration INTERVAL = Duration.ofSeconds(5);
    private static final long I = INTERVAL.toNanos();
    private static final int MISSES = 3;

    /** Time that moves when told, and a timer queue on it that is not the clock's (a loop's). */
    private static final class SteppedLoop implements Heartbeat.Timers {
        private record Task(long due, long seq, Runnable run, boolean[] cancelled) {
        }

        private final PriorityQueue<Task> tasks = new PriorityQueue<>(
                (a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
        private long now = 1_000_000_000_000L;
        private long seq;

        /** A clock reading this time whose own timers must not be used. */
        final Clock clock = new Clock() {
            @Override
            public long nanoTime() {
                return now;
            }

            @Override
            public Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
                throw new AssertionError("the heartbeat used the clock's timers, not the loop's");
            }
        };

        @Override
        public Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
            boolean[] cancelled = {false};
            tasks.add(new Task(now + unit.toNanos(delay), seq++, task, cancelled));
            return () -> cancelled[0] = true;
        }

        void advance(long nanos) {
            long until = now + nanos;
            while (!tasks.isEmpty() && tasks.peek().due() <= until) {
                Task t = tasks.poll();
                now = t.due();
                if (!t.cancelled()[0]) {
                    t.run().run();
                }
            }
            now = until;
        }

        long pending() {
            return tasks.stream().filter(t -> !t.cancelled()[0]).count();
        }
    }

    private final SteppedLoop loop = new SteppedLoop();
    private final AtomicInteger pings = new AtomicInteger();
    private final AtomicInteger deaths = new AtomicInteger();

    private Heartbeat start() {
        return new Heartbeat(loop.clock, loop, INTERVAL, MISSES, pings::incrementAndGet, deaths::incrementAndGet).start();
    }

    @Test
    void aSilentPeerIsPingedEveryIntervalAndDeclaredDeadExactlyAtIntervalTimesMisses() {
        start();
        loop.advance(I - 1);
        assertThat(pings).hasValue(0);
        loop.advance(1);
        assertThat(pings).as("a PING after one interval of silence").hasValue(1);
        loop.advance(I);
        assertThat(pings).hasValue(2);
        loop.advance(I - 1);
        assertThat(deaths).as("silent for just under interval x misses").hasValue(0);
        loop.advance(1);
        assertThat(deaths).hasValue(1);
        assertThat(loop.pending()).as("a dead peer's heartbeat stops").isZero();
        loop.advance(10 * I);
        assertThat(deaths).hasValue(1);
        assertThat(pings).hasValue(2);
    }

    @Test
    void whatArrivesPutsThePingOffAndAnIdleButAnsweringPeerKeepsOneTimer() {
        Heartbeat h = start();
        for (int i = 0; i < 20; i++) {
            loop.advance(I / 2);
            h.received(); // the peer's PING or PONG, every half interval
            assertThat(loop.pending()).isEqualTo(1);
        }
        assertThat(pings).as("never an interval of silence").hasValue(0);
        assertThat(deaths).hasValue(0);

        loop.advance(I);
        assertThat(pings).as("one interval after the last arrival").hasValue(1);
        h.received(); // its PONG
        loop.advance(MISSES * I - 1);
        assertThat(deaths).as("the deadline counts from the PONG").hasValue(0);
        loop.advance(1);
        assertThat(deaths).hasValue(1);
    }

    @Test
    void stopCancelsTheTimerAndNothingRunsAfterIt() {
        Heartbeat h = start();
        assertThat(loop.pending()).isEqualTo(1);
        h.stop();
        assertThat(loop.pending()).isZero();
        loop.advance(10 * I);
        assertThat(pings).hasValue(0);
        assertThat(deaths).hasValue(0);
        h.stop(); // idempotent
    }

    @Test
    void theSystemClocksTimersAreTheConnectionsAndAnotherClocksAreItsOwn() {
        List<String> scheduledOnConnection = new ArrayList<>();
        Connection connection = (Connection) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("schedule")) {
                        scheduledOnConnection.add(args[1] + " " + args[2]);
                        return (Connection.Cancellable) () -> { };
                    }
                    throw new AssertionError("unexpected call: " + method.getName());
                });
        Runnable task = () -> { };

        Heartbeat.timersFor(Clock.system(), connection).schedule(task, 5, TimeUnit.SECONDS);
        assertThat(scheduledOnConnection).containsExactly("5 SECONDS");

        Heartbeat.timersFor(loop.clock, connection);
        assertThatThrownBy(() -> Heartbeat.timersFor(loop.clock, connection).schedule(task, 5, TimeUnit.SECONDS))
                .as("a test's clock keeps its timers").hasMessageContaining("the clock's timers");
        assertThat(scheduledOnConnection).hasSize(1);
    }

    @Test
    void theClockOnlyConstructorStillUsesTheClocksTimers() {
        assertThatThrownBy(() -> new Heartbeat(loop.clock, INTERVAL, MISSES, () -> { }, () -> { }).start())
                .hasMessageContaining("the clock's timers");
    }

    @Test
    void timersThatRefuseTheTaskStopTheHeartbeatInsteadOfThrowing() {
        Heartbeat h = new Heartbeat(loop.clock, (task, delay, unit) -> {
            throw new java.util.concurrent.RejectedExecutionException("event loop shut down");
        }, INTERVAL, MISSES, pings::incrementAndGet, deaths::incrementAndGet);
        h.start();
        h.stop();
        assertThat(pings).hasValue(0);
        assertThat(deaths).hasValue(0);
    }
}

package dev.conduit.transport;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Dead-peer detection for one connection, the same on both sides. Whenever nothing has been
 * received for {@code interval}, it sends a PING (through {@code ping}); the peer's PONG, or any
 * other frame, counts as a sign of life. When nothing at all has arrived for {@code interval x
 * misses}, the peer is declared dead ({@code onDead} runs once) and the heartbeat stops.
 *
 * <p>A connection that carries traffic costs nothing but {@link #received()} once per read batch: no
 * timer per frame. An idle one has one timer pending at a time, which fires about once per interval
 * while its peer's PINGs or PONGs keep arriving (each firing schedules the next). Time comes from the
 * injected {@link Clock}, so the deadlines can be tested without waiting.
 *
 * <p>Where the checks run ({@link Timers}): for a connection, {@link #timersFor} puts them on the
 * connection's own thread (its event loop, whose one timer queue then serves all its connections'
 * heartbeats) when the clock is {@link Clock#system()}, so that a PING is sent without waking the
 * loop from another thread; with any other clock (a test's manual clock) they run where that clock
 * runs its tasks, at the clock's times.
 *
 * <p>Thread-safe: {@link #received()} is called on the I/O thread, the checks run where the timers
 * run, {@link #stop()} may be called from any thread.
 */
public final class Heartbeat {

    /** Runs a task once after a delay: {@link Clock#schedule} or {@link Connection#schedule}. */
    @FunctionalInterface
    public interface Timers {
        /** Runs {@code task} once, {@code delay} from now; it must not block. */
        Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit);
    }

    /**
     * The timers a heartbeat of {@code connection} should use: the connection's own ({@link
     * Connection#schedule}, in real time on its thread) when {@code clock} is {@link Clock#system()},
     * else {@code clock}'s, so that a test's clock still decides when the checks run.
     */
    public static Timers timersFor(Clock clock, Connection connection) {
        Objects.requireNonNull(connection, "connection");
        return clock == Clock.system() ? connection::schedule : clock::schedule;
    }

    private final Clock clock;
    private final Timers timers;
    private final Runnable check = this::check;
    private final long intervalNanos;
    private final long deadAfterNanos;
    private final Runnable ping;
    private final Runnable onDead;
    private volatile long lastReceived;
    private volatile boolean stopped;
    private Connection.@Nullable Cancellable timer;

    /**
     * @param interval how long the link may be silent before a PING goes out; also the time between
     *                 PINGs while it stays silent
     * @param misses   how many intervals of silence make the peer dead
     * @param ping     sends one PING; must not block
     * @param onDead   runs once when the peer is declared dead; must not block
     */
    public Heartbeat(Clock clock, Duration interval, int misses, Runnable ping, Runnable onDead) {
        this(clock, Objects.requireNonNull(clock, "clock")::schedule, interval, misses, ping, onDead);
    }

    /**
     * As {@link #Heartbeat(Clock, Duration, int, Runnable, Runnable)}, with the checks scheduled on
     * {@code timers} (see {@link #timersFor}); time is still read from {@code clock}.
     */
    public Heartbeat(Clock clock, Timers timers, Duration interval, int misses, Runnable ping, Runnable onDead) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.timers = Objects.requireNonNull(timers, "timers");
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("interval must be > 0: " + interval);
        }
        if (misses < 1) {
            throw new IllegalArgumentException("misses must be > 0: " + misses);
        }
        this.intervalNanos = interval.toNanos();
        this.deadAfterNanos = Math.multiplyExact(intervalNanos, misses);
        this.ping = Objects.requireNonNull(ping, "ping");
        this.onDead = Objects.requireNonNull(onDead, "onDead");
    }

    /** Starts watching: the link counts as alive now. */
    public synchronized Heartbeat start() {
        lastReceived = clock.nanoTime();
        schedule(intervalNanos);
        return this;
    }

    /** Something arrived from the peer. Cheap: one clock reading and one volatile write. */
    public void received() {
        lastReceived = clock.nanoTime();
    }

    /** Stops watching, for a connection that is closing anyway. Idempotent. */
    public synchronized void stop() {
        stopped = true;
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    /** The time the peer may stay silent before it is declared dead. */
    public Duration deadAfter() {
        return Duration.ofNanos(deadAfterNanos);
    }

    private void check() {
        long now = clock.nanoTime();
        long silent = now - lastReceived;
        if (silent >= deadAfterNanos) {
            synchronized (this) {
                if (stopped) {
                    return;
                }
                stopped = true;
                timer = null;
            }
            onDead.run();
            return;
        }
        if (silent >= intervalNanos) {
            ping.run();
        }
        // Next look: one interval from now, or exactly at the death deadline if that comes first.
        long untilDead = deadAfterNanos - silent;
        long next = silent >= intervalNanos ? intervalNanos : intervalNanos - silent;
        synchronized (this) {
            if (!stopped) {
                schedule(Math.max(1, Math.min(next, untilDead)));
            }
        }
    }

    private void schedule(long delayNanos) {
        try {
            timer = timers.schedule(check, delayNanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The connection's event loop is shut down (the transport stopped): nothing is left to watch.
            stopped = true;
            timer = null;
        }
    }
}

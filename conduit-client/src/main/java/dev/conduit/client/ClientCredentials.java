package dev.conduit.client;

import dev.conduit.protocol.Frame;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's use of its credentials supplier ({@link ClientOptions#credentials()}, user code):
 * asked once per connection attempt, for the HELLO, and again before the credentials the server
 * accepted expire, to renew them in AUTH.
 *
 * <p>Threads: the supplier is only ever called on the client's executor, never on an I/O or clock
 * thread and never under the client's monitor. The renewal timer is guarded by the client's
 * monitor, which callers of {@link #scheduleRenewal} and {@link #cancel} hold; it fires on the
 * clock thread and hands the renewal to the executor.
 */
final class ClientCredentials {
    private static final Logger log = LoggerFactory.getLogger(ClientCredentials.class);

    private final ClientOptions options;
    private final Clock clock;
    private final Executor executor;
    /** The client's monitor. */
    private final Object monitor;
    /** Sends fresh credentials before the server's announced expiry; under the monitor. */
    private Connection.@Nullable Cancellable renewTimer;

    ClientCredentials(ClientOptions options, Executor executor, Object monitor) {
        this.options = options;
        this.clock = options.clock();
        this.executor = executor;
        this.monitor = monitor;
    }

    /**
     * The credentials for the HELLO of the next attempt. On the executor, outside the monitor.
     *
     * @throws ConnectFailedException if the supplier throws or returns null: that attempt fails
     */
    Credentials forHello() {
        try {
            return Objects.requireNonNull(options.credentials().get(), "the credentials supplier returned null");
        } catch (RuntimeException e) {
            throw new ConnectFailedException("the credentials supplier failed: " + e, e);
        }
    }

    /**
     * Under the monitor: once four fifths of the credentials' validity have passed, asks the
     * credentials supplier (on the executor) for fresh ones and sends them in AUTH on {@code
     * connection}, if {@code stillActive} (asked under the monitor) says its link is still the
     * client's active one; the server's AUTH_OK schedules the next renewal. 0: the credentials do
     * not expire.
     */
    void scheduleRenewal(Connection connection, BooleanSupplier stillActive, long validMillis) {
        cancel();
        if (validMillis <= 0) {
            return;
        }
        long delayNanos = TimeUnit.MILLISECONDS.toNanos(validMillis) / 5 * 4;
        renewTimer = clock.schedule(() -> executor.execute(() -> {
            synchronized (monitor) {
                if (!stillActive.getAsBoolean()) {
                    return;
                }
            }
            Credentials c = options.credentials().get();
            log.debug("renewing credentials ({}) before they expire", c.scheme());
            connection.send(new Frame.Auth(c.scheme(), c.credentials()));
        }), delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Under the monitor: no renewal (the link closed, or the client did). */
    void cancel() {
        if (renewTimer != null) {
            renewTimer.cancel();
            renewTimer = null;
        }
    }
}

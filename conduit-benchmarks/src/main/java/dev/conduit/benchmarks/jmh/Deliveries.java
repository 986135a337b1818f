package dev.conduit.benchmarks.jmh;

import dev.conduit.client.Client;
import dev.conduit.client.MessageHandler;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Counts the deliveries of one round of publishes, so that a benchmark invocation can publish a
 * batch and return only once every subscriber has had every message. Waits are bounded: a round
 * that does not complete within {@link #ROUND_TIMEOUT} fails the benchmark instead of hanging it.
 */
final class Deliveries {
    static final Duration ROUND_TIMEOUT = Duration.ofSeconds(30);

    private volatile CountDownLatch round = new CountDownLatch(0);

    /** The handler to subscribe with: each message counts one delivery of the current round. */
    MessageHandler handler() {
        return m -> round.countDown();
    }

    /** Starts a round that expects this many deliveries; call before publishing its messages. */
    void expect(long deliveries) {
        round = new CountDownLatch(Math.toIntExact(deliveries));
    }

    /** Waits until the current round is complete. */
    void await() throws InterruptedException {
        CountDownLatch r = round;
        if (!r.await(ROUND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(r.getCount() + " deliveries still missing after " + ROUND_TIMEOUT
                    + " (dropped as a slow consumer?)");
        }
    }

    /** Waits until the server has confirmed everything the client sent, subscriptions included. */
    static void flush(Client client) throws InterruptedException {
        try {
            client.flush(ROUND_TIMEOUT).get(ROUND_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("flush failed", e);
        }
    }
}

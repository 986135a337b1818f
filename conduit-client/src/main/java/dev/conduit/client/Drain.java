package dev.conduit.client;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.transport.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's graceful end ({@link Client#drain()} and {@link Client#close()}), within one {@code
 * drainTimeout} in all: end the subscriptions and let their handlers finish, let the requests in
 * flight settle, wait for the server to confirm everything sent, say GOAWAY and wait for the
 * connection to close; then the client shuts down.
 *
 * <p>Threads: {@link #begin} moves the client to DRAINING under the client's monitor and runs the
 * steps on a {@code conduit-drain} virtual thread, which waits on futures (in real time, measured
 * on the client's clock) and takes the monitor only briefly. {@link #draining} is guarded by the
 * client's monitor. {@link #close} blocks its caller.
 */
final class Drain {
    private static final Logger log = LoggerFactory.getLogger(Drain.class);

    private final ClientSession session;
    private final Clock clock;
    private final Duration timeout;
    /** Done when the client has closed and released its threads. */
    private final CompletableFuture<Void> released;
    /** The drain's outcome, once begun; guarded by the client's monitor. */
    private @Nullable CompletableFuture<Void> draining;

    Drain(ClientSession session, ClientOptions options, CompletableFuture<Void> released) {
        this.session = session;
        this.clock = options.clock();
        this.timeout = options.drainTimeout();
        this.released = released;
    }

    /** Under the client's monitor: whether a drain has begun (and the client is not just losing a link). */
    boolean begun() {
        return draining != null;
    }

    /** Begins the drain, or returns the one already begun. */
    CompletableFuture<Void> begin() {
        synchronized (session) {
            if (draining != null) {
                return draining;
            }
            draining = new CompletableFuture<>();
            if (!session.startDraining()) {
                draining.complete(null);
                return draining;
            }
        }
        CompletableFuture<Void> result = draining;
        Thread.ofVirtual().name("conduit-drain").start(() -> {
            try {
                steps(clock.nanoTime() + timeout.toNanos());
            } catch (RuntimeException e) {
                log.warn("drain failed", e);
            } finally {
                session.shutdown(new ConnectionClosedException("client closed"));
                result.complete(null);
            }
        });
        return result;
    }

    private void steps(long deadline) {
        // 1. No new messages: end every subscription but the request inbox, and let handlers finish.
        List<CompletableFuture<Void>> idle = new ArrayList<>();
        for (ClientSubscription s : session.subscriptions()) {
            if (!session.requests().isInbox(s)) {
                s.unsubscribe();
            }
            idle.add(s.idle());
        }
        await(CompletableFuture.allOf(idle.toArray(CompletableFuture[]::new)), deadline, "handlers to finish");
        // 2. In-flight requests get their replies.
        await(session.requests().allSettled(), deadline, "in-flight requests");
        // 3. The server confirms everything sent.
        await(session.flush(Duration.ofNanos(Math.max(1, deadline - clock.nanoTime()))), deadline,
                "confirmation of publishes");
        // 4. Goodbye.
        Link l = session.sayingGoodbye();
        if (l != null) {
            l.connection.sendAndClose(new Frame.GoAway(ErrorCode.NORMAL_CLOSE.code(), 0, "client closing"));
            await(l.connection.closeFuture(), deadline, "the connection to close");
        }
    }

    private void await(CompletableFuture<?> f, long deadline, String what) {
        long left = deadline - clock.nanoTime();
        try {
            f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            log.debug("drain: waiting for {} failed: {}", what, String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            log.info("drain: gave up waiting for {} at the deadline", what);
        }
    }

    /** Drains, waits for it (up to the drain timeout plus 5 s), shuts down and waits for the release. */
    void close() {
        CompletableFuture<Void> d = begin();
        try {
            d.get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("close: drain did not finish: {}", e.toString());
        }
        session.shutdown(new ConnectionClosedException("client closed"));
        try {
            released.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("close: release did not finish: {}", e.toString());
        }
    }
}

package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ConnectionClosedException;
import dev.conduit.client.ConnectionState;
import dev.conduit.client.ServerErrorException;
import dev.conduit.client.SessionLost;
import dev.conduit.client.Subscription;
import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.ErrorCode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The client listener of every long-running command: it lets the command wait until its connection
 * closes or it is done, says why the connection closed, counts every loss the client library
 * reports (messages the server skipped with GAP, sessions that could not be resumed, messages the
 * client itself dropped), tells the user of each on stderr in plain words, and gives up
 * reconnecting once the reconnect budget is spent.
 *
 * <p>The budget is time, not attempts: the client backs off with random jitter, so a number of
 * attempts covers a varying stretch of time, and the point is to keep trying for as long as the
 * server would keep the session for a resume (its resume window, 2 minutes by default).
 *
 * <p>Thread-safe: the client calls it on its executor, one call at a time, in order; the command's
 * thread reads it.
 */
final class ClientWatcher implements ClientListener {
    private final CountDownLatch closed = new CountDownLatch(1);
    private final CountDownLatch stateClosed = new CountDownLatch(1);
    private final AtomicReference<ConduitException> firstError = new AtomicReference<>();
    private final AtomicReference<ServerErrorException> denied = new AtomicReference<>();
    private final CountDownLatch deniedLatch = new CountDownLatch(1);
    private final AtomicLong gapped = new AtomicLong();
    private final AtomicLong sessionsLost = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicBoolean subscriptionEnded = new java.util.concurrent.atomic.AtomicBoolean();
    private final AtomicLong droppedByClient = new AtomicLong();
    private final PrintWriter err;
    private final Duration reconnectFor;
    private final ScheduledExecutorService timer;
    private volatile Client client;
    private ScheduledFuture<?> giveUp;

    /**
     * @param err          where warnings go
     * @param reconnectFor how long to keep reconnecting after a connection drops; zero or negative
     *                     for as long as the client's own attempts last
     */
    ClientWatcher(PrintWriter err, Duration reconnectFor) {
        this.err = err;
        this.reconnectFor = reconnectFor;
        this.timer = reconnectFor.isPositive() ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "conduit-reconnect-budget");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /** The client this watches, once connected: the one closed when the reconnect budget runs out. */
    void watch(Client c) {
        this.client = c;
    }

    @Override
    public void onError(ConduitException error) {
        if (error instanceof ServerErrorException se && !se.fatal() && se.errorCode() == ErrorCode.PERMISSION_DENIED) {
            if (denied.compareAndSet(null, se)) {
                deniedLatch.countDown();
            }
            return;
        }
        firstError.compareAndSet(null, error);
    }

    @Override
    public synchronized void onStateChange(ConnectionState from, ConnectionState to) {
        if (to == ConnectionState.RESUMING && timer != null && giveUp == null) {
            warn("connection lost; reconnecting for up to " + DurationConverter.format(reconnectFor));
            giveUp = timer.schedule(this::budgetSpent, reconnectFor.toNanos(), TimeUnit.NANOSECONDS);
        } else if (to == ConnectionState.OPEN && giveUp != null) {
            giveUp.cancel(false);
            giveUp = null;
        } else if (to == ConnectionState.CLOSED) {
            if (giveUp != null) {
                giveUp.cancel(false);
            }
            if (timer != null) {
                timer.shutdown();
            }
            closed.countDown();
            stateClosed.countDown();
        }
    }

    private void budgetSpent() {
        firstError.compareAndSet(null, new ConnectionClosedException("gave up reconnecting after "
                + DurationConverter.format(reconnectFor) + " (--reconnect-for)"));
        Client c = client;
        if (c != null) {
            c.close(); // fails what is unconfirmed, which the command then reports
        }
    }

    @Override
    public void onSessionLost(SessionLost lost) {
        sessionsLost.incrementAndGet();
        warn("the session was lost (" + lost.reason() + "); a new one began: messages sent to this client "
                + "meanwhile were not delivered, " + lost.unconfirmed().size() + " publishes were not confirmed");
    }

    @Override
    public void onGap(Subscription subscription, long dropped) {
        gapped.addAndGet(dropped);
        warn("the server skipped " + dropped + " messages for " + subscription.pattern()
                + ": this client fell too far behind");
    }

    @Override
    public void onSlowConsumer(Subscription subscription, long dropped) {
        droppedByClient.addAndGet(dropped);
        if (!subscription.isActive()) {
            // A reliable subscription the server ended: it took nothing for the server's maxStall.
            subscriptionEnded.set(true);
            warn("the server ended the subscription to " + subscription.pattern() + ": it took no message for the "
                    + "server's maxStall; " + dropped + " messages held for it were not delivered");
            finish();
            return;
        }
        warn("dropped " + dropped + " messages for " + subscription.pattern() + ": they arrived faster than "
                + "they could be handled");
    }

    /** Whether the server ended a subscription of this client for stalling (reported by onSlowConsumer). */
    boolean subscriptionEnded() {
        return subscriptionEnded.get();
    }

    private void warn(String message) {
        synchronized (err) {
            err.println("conduit: " + message);
            err.flush();
        }
    }

    /** Ends {@link #await()} early: the command has done what it was asked. */
    void finish() {
        closed.countDown();
    }

    /** Waits until the connection closes or {@link #finish()} is called. */
    void await() throws InterruptedException {
        closed.await();
    }

    /**
     * Waits until the client has reported CLOSED, after its {@link Client#close()} returned: the
     * client reports in order, so every earlier report (an error, a lost session) has been heard.
     */
    void awaitClosed() throws InterruptedException {
        stateClosed.await(30, TimeUnit.SECONDS);
    }

    /** The server's denial, waiting up to {@code wait} for it. */
    ServerErrorException denial(Duration wait) throws InterruptedException {
        deniedLatch.await(wait.toNanos(), TimeUnit.NANOSECONDS);
        return denied.get();
    }

    /** The server's denial, if one was heard. */
    ServerErrorException denial() {
        return denied.get();
    }

    long gapped() {
        return gapped.get();
    }

    long sessionsLost() {
        return sessionsLost.get();
    }

    long droppedByClient() {
        return droppedByClient.get();
    }

    /** Why the connection closed, as the exception a command should end with. */
    ConduitException reason() {
        ConduitException e = firstError.get();
        return e != null ? e : new ConnectionClosedException("connection closed");
    }
}

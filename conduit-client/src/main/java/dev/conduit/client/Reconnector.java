package dev.conduit.client;

import dev.conduit.protocol.ConduitException;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import dev.conduit.transport.Connector;
import dev.conduit.transport.Endpoint;
import dev.conduit.transport.TlsErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When and where a client connects next, and each attempt: the endpoints it rotates through (its
 * own, then the alternates servers name in WELCOME and GOAWAY, at most {@value #MAX_LEARNED} of
 * those, the oldest forgotten first), the count of consecutive failed attempts, the
 * jittered {@link Backoff} between them, and the decision to give up. An attempt asks for
 * credentials, connects, and starts a {@link Link} on the new connection, which says HELLO; a
 * failure before WELCOME comes back through {@link ClientSession#attemptFailed} to {@link #failed}.
 *
 * <p>Threads: every field is guarded by the client's monitor, which callers hold around each method
 * but {@link #attempt}. The retry timer runs on the clock thread and only hands the attempt to the
 * executor; the attempt runs there, outside the monitor but for a brief check, so the credentials
 * supplier (user code) never runs on an I/O thread or under the monitor.
 */
final class Reconnector {
    private static final Logger log = LoggerFactory.getLogger(Reconnector.class);
    /** The most endpoints learned from servers kept beside the client's own (a cluster's other nodes). */
    static final int MAX_LEARNED = 64;

    private final ClientSession session;
    private final ClientOptions options;
    private final Clock clock;
    private final Executor executor;
    private final Connector connector;
    private final ClientCredentials credentials;
    private final Backoff backoff;

    /** The client's own endpoints first (never removed), then those learned from servers. */
    private final List<Endpoint> endpoints;
    private final int own;
    private int endpointIndex;
    /** Consecutive failed attempts; reset by a WELCOME. */
    private int failures;
    private final List<String> failureLog = new ArrayList<>();
    /** A server said GOAWAY: the next attempt goes to the next endpoint, at once. */
    private boolean moveOn;
    private Connection.@Nullable Cancellable retryTimer;

    Reconnector(ClientSession session, ClientOptions options, Executor executor, Connector connector,
                ClientCredentials credentials) {
        this.session = session;
        this.options = options;
        this.clock = options.clock();
        this.executor = executor;
        this.connector = connector;
        this.credentials = credentials;
        this.backoff = new Backoff(options.reconnectBackoffBase(), options.reconnectBackoffCap(), options.random());
        this.endpoints = new ArrayList<>(options.endpoints());
        this.own = endpoints.size();
    }

    /** Schedules the first attempt, after a random part of {@code initialConnectJitter}. */
    void start() {
        long jitter = options.initialConnectJitter().toNanos();
        long delay = jitter == 0 ? 0 : options.random().nextLong(jitter + 1);
        schedule(delay);
    }

    private void schedule(long delayNanos) {
        if (delayNanos == 0) {
            executor.execute(this::attempt);
        } else {
            retryTimer = clock.schedule(() -> executor.execute(this::attempt), delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** One attempt, on the executor: credentials, then a connection, then its link says HELLO. */
    private void attempt() {
        Endpoint endpoint;
        synchronized (session) {
            retryTimer = null;
            if (!session.wantsLink()) {
                return;
            }
            endpoint = next();
        }
        // User code: asked here, on the executor and outside the monitor, never on the I/O thread.
        Credentials creds;
        try {
            creds = credentials.forHello();
        } catch (ConnectFailedException e) {
            session.attemptFailed(endpoint, e);
            return;
        }
        Link[] created = new Link[1];
        CompletableFuture<Connection> f;
        try {
            f = connector.connect(endpoint, options.connectTimeout(), options.tls(),
                    c -> created[0] = new Link(session, c, endpoint, creds));
        } catch (RuntimeException e) {
            session.attemptFailed(endpoint, e);
            return;
        }
        f.whenComplete((c, e) -> {
            if (e != null) {
                session.attemptFailed(endpoint, e);
            } else {
                created[0].start();
            }
        });
    }

    /**
     * An attempt to {@code endpoint} failed before its handshake: schedules the next one at the next
     * endpoint after a backoff, or says why to give up.
     *
     * @param neverOpened whether the client never had a session (its first connect)
     * @return null if another attempt is scheduled, else the failure to close the client with
     */
    @Nullable ConduitException failed(Endpoint endpoint, Throwable cause, boolean neverOpened) {
        failures++;
        String reason = endpoint + ": " + describe(cause);
        failureLog.add(reason);
        if (failureLog.size() > endpoints.size()) {
            failureLog.remove(0);
        }
        log.debug("connection attempt {} failed: {}", failures, reason);
        endpointIndex++;
        // A refusal the server says is final, or a peer that does not speak the protocol (such as an
        // HTTP port answering HELLO): the same address would fail the same way.
        boolean fatal = cause instanceof ConduitException ce && !ce.retryable();
        if (neverOpened && (fatal || (!options.retryInitialConnect() && failures >= endpoints.size()))) {
            return new ConnectFailedException("cannot connect to " + String.join("; ", failureLog),
                    cause instanceof ConduitException ce ? ce : null);
        } else if (options.maxReconnectAttempts() >= 0 && failures > options.maxReconnectAttempts()) {
            return new ConnectionClosedException("gave up after " + failures + " failed connection attempts; last: "
                    + reason);
        }
        schedule(backoff.delayNanos(failures - 1));
        return null;
    }

    /** A WELCOME arrived: the failures so far are forgotten. */
    void connected() {
        failures = 0;
        failureLog.clear();
        moveOn = false;
    }

    /**
     * An established connection was lost: schedules the resume, after the first backoff step, or at
     * once to the next endpoint if the server said GOAWAY.
     */
    void lost() {
        if (moveOn) {
            endpointIndex++;
        }
        schedule(moveOn ? 0 : backoff.delayNanos(0));
    }

    /** A server is going away: adds the alternates it names, and moves on from it at the next attempt. */
    void goingAway(List<String> alternates) {
        learn(alternates);
        moveOn = true;
    }

    /**
     * A WELCOME named the cluster's other nodes: adds them to the endpoints, where a later
     * reconnect may go (the next attempt still goes where the rotation says).
     */
    void alternates(List<String> alternates) {
        learn(alternates);
    }

    /**
     * Adds the endpoints a server named that the client does not have yet; past {@link #MAX_LEARNED}
     * learned ones, forgets the oldest learned (never one of the client's own).
     */
    private void learn(List<String> alternates) {
        // As a position, so that a longer list leaves the rotation on the endpoint it is at.
        endpointIndex %= endpoints.size();
        for (String url : alternates) {
            Endpoint e;
            try {
                e = Endpoint.parse(url);
            } catch (IllegalArgumentException ex) {
                log.warn("ignoring alternate endpoint '{}': {}", url, ex.getMessage());
                continue;
            }
            if (endpoints.contains(e)) {
                continue;
            }
            if (endpoints.size() - own == MAX_LEARNED) {
                endpoints.remove(own);
                if (endpointIndex > own) {
                    endpointIndex--;
                }
            }
            endpoints.add(e);
        }
    }

    /** Where the next attempt goes. */
    Endpoint next() {
        return endpoints.get(endpointIndex % endpoints.size());
    }

    /** The endpoints in rotation order: the client's own, then those learned; for tests. */
    List<Endpoint> endpoints() {
        return List.copyOf(endpoints);
    }

    /** The client closed: no further attempt. */
    void cancel() {
        if (retryTimer != null) {
            retryTimer.cancel();
        }
    }

    /** Why an attempt or a connection failed, in a few words. */
    static String describe(Throwable t) {
        if (t instanceof TimeoutException) {
            return "timed out";
        }
        if (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof SSLException) {
            return "TLS handshake failed: " + TlsErrors.describe(t);
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}

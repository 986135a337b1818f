package dev.conduit.client;

import dev.conduit.transport.ClientTls;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Endpoint;
import dev.conduit.transport.TransportOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link Client} connects and behaves. Immutable; build with {@link #builder()}. Every value is
 * checked when it is set, and a bad one fails at once with the value in the message.
 *
 * @param endpoints                    servers to connect to, in rotation: a failed attempt moves on to
 *                                     the next; host names are resolved again on every attempt
 * @param clientName                   name sent in HELLO, shown in server logs
 * @param connectTimeout               time allowed for one connection attempt and its handshake
 * @param drainTimeout                 time {@link Client#drain()} and {@link Client#close()} give
 *                                     in-flight work
 * @param executor                     runs handlers and listener calls; {@code null} for a virtual
 *                                     thread per task
 * @param listener                     hears state changes, session events and asynchronous errors
 * @param maxPendingMessagesPerSubscription messages held for a handler that has not caught up: a
 *                                     reliable subscription's credit in messages (the server sends
 *                                     no more); a lossy one drops the excess and tells {@link
 *                                     ClientListener#onSlowConsumer}
 * @param maxPendingBytesPerSubscription payload bytes a reliable subscription's credit allows
 *                                     beyond what its handler has taken (one larger message still
 *                                     comes alone)
 * @param transport                    I/O threads and native transport choice
 * @param reconnectBackoffBase         backoff before reconnect attempt n: random in [0, min(cap,
 *                                     base x 2^n)]
 * @param reconnectBackoffCap          the largest backoff
 * @param maxReconnectAttempts         consecutive failed attempts after which the client gives up and
 *                                     closes; -1 for never
 * @param initialConnectJitter         the first connection waits a random time up to this, so that
 *                                     many clients started together do not arrive together
 * @param retryInitialConnect          keep trying the first connection with backoff instead of failing
 *                                     {@link Client#connect} once every endpoint refused; a final
 *                                     refusal (a non-retryable error frame) or a peer that does not
 *                                     speak the protocol (an HTTP port answering HELLO) fails it at once
 * @param maxBufferedBytes             bytes of publishes and requests held until the server confirms
 *                                     them (sent and unacknowledged, or waiting for a connection)
 * @param bufferFull                   what a publish does when the buffer is full
 * @param bufferFullWait               how long {@link BufferFullPolicy#WAIT} waits for room (and, at
 *                                     most, how long it is paced on a live connection)
 * @param disconnectWhenSlow           subscriptions ask the server to end the session, rather than
 *                                     skip messages with a gap notice, if this client falls too far
 *                                     behind
 * @param clock                        time for backoff, heartbeats and deadlines
 * @param random                       randomness for jitter (tests pass a seeded one)
 * @param poolSize                     connections (each with its own session) the client keeps open;
 *                                     see {@link Client} for how work is spread over them
 * @param maxRequestsPerConnection     requests in flight on one pooled connection; past it a request
 *                                     goes to another, or waits for room as {@link #bufferFull} says
 * @param maxConnectionAge             pooled connections other than the first are replaced once this
 *                                     old, so that load spreads again over servers added since;
 *                                     {@link Duration#ZERO} for never
 * @param maxConnectionAgeJitter       a random extra age up to this, so that connections opened
 *                                     together are not replaced together
 * @param credentials                  what the client authenticates with: asked for on every connect
 *                                     (new session or resume) and before its credentials expire, on the
 *                                     client's executor; it must return quickly (fetch tokens ahead)
 * @param tls                          TLS for {@code tls://} and {@code wss://} endpoints: trusted
 *                                     authorities, a client certificate, host-name verification (on by
 *                                     default)
 */
public record ClientOptions(List<Endpoint> endpoints, String clientName, Duration connectTimeout,
                            Duration drainTimeout, @Nullable Executor executor, ClientListener listener,
                            int maxPendingMessagesPerSubscription, long maxPendingBytesPerSubscription,
                            TransportOptions transport,
                            Duration reconnectBackoffBase, Duration reconnectBackoffCap, int maxReconnectAttempts,
                            Duration initialConnectJitter, boolean retryInitialConnect, long maxBufferedBytes,
                            BufferFullPolicy bufferFull, Duration bufferFullWait, boolean disconnectWhenSlow,
                            Clock clock, RandomGenerator random, int poolSize, int maxRequestsPerConnection,
                            Duration maxConnectionAge, Duration maxConnectionAgeJitter,
                            java.util.function.Supplier<Credentials> credentials, ClientTls tls) {

    public ClientOptions {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("at least one endpoint is required");
        }
        Objects.requireNonNull(clientName, "clientName");
        requirePositive(connectTimeout, "connectTimeout");
        requireNotNegative(drainTimeout, "drainTimeout");
        Objects.requireNonNull(listener, "listener");
        if (maxPendingMessagesPerSubscription < 1) {
            throw new IllegalArgumentException(
                    "maxPendingMessagesPerSubscription must be > 0: " + maxPendingMessagesPerSubscription);
        }
        if (maxPendingBytesPerSubscription < 1 || maxPendingBytesPerSubscription > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("maxPendingBytesPerSubscription must be between 1 and 4294967295: "
                    + maxPendingBytesPerSubscription);
        }
        Objects.requireNonNull(transport, "transport");
        requireNotNegative(reconnectBackoffBase, "reconnectBackoffBase");
        requireNotNegative(reconnectBackoffCap, "reconnectBackoffCap");
        if (reconnectBackoffCap.compareTo(reconnectBackoffBase) < 0) {
            throw new IllegalArgumentException("reconnectBackoffCap " + reconnectBackoffCap
                    + " is below reconnectBackoffBase " + reconnectBackoffBase);
        }
        if (maxReconnectAttempts < -1) {
            throw new IllegalArgumentException("maxReconnectAttempts must be >= -1: " + maxReconnectAttempts);
        }
        requireNotNegative(initialConnectJitter, "initialConnectJitter");
        if (maxBufferedBytes < 1) {
            throw new IllegalArgumentException("maxBufferedBytes must be > 0: " + maxBufferedBytes);
        }
        Objects.requireNonNull(bufferFull, "bufferFull");
        requireNotNegative(bufferFullWait, "bufferFullWait");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(random, "random");
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be > 0: " + poolSize);
        }
        if (maxRequestsPerConnection < 1) {
            throw new IllegalArgumentException("maxRequestsPerConnection must be > 0: " + maxRequestsPerConnection);
        }
        requireNotNegative(maxConnectionAge, "maxConnectionAge");
        requireNotNegative(maxConnectionAgeJitter, "maxConnectionAgeJitter");
        Objects.requireNonNull(credentials, "credentials");
        Objects.requireNonNull(tls, "tls");
        if (!maxConnectionAge.isZero() && poolSize < 2) {
            throw new IllegalArgumentException("maxConnectionAge " + maxConnectionAge
                    + " needs poolSize >= 2: the first connection holds the subscriptions and is never replaced");
        }
    }

    /**
     * The options of one connection of a pool: this client's, with its own listener and name, and
     * (for connections opened in the background) retrying the first connection until it succeeds.
     */
    ClientOptions forPoolMember(int index, ClientListener memberListener, boolean retryFirstConnect) {
        return new ClientOptions(endpoints, clientName + "#" + index, connectTimeout, drainTimeout, executor,
                memberListener, maxPendingMessagesPerSubscription, maxPendingBytesPerSubscription, transport,
                reconnectBackoffBase,
                reconnectBackoffCap, maxReconnectAttempts, initialConnectJitter,
                retryInitialConnect || retryFirstConnect, maxBufferedBytes, bufferFull, bufferFullWait,
                disconnectWhenSlow, clock, random, 1, maxRequestsPerConnection, Duration.ZERO, Duration.ZERO,
                credentials, tls);
    }

    public static Builder builder() {
        return new Builder();
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be > 0: " + d);
        }
    }

    private static void requireNotNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must be >= 0: " + d);
        }
    }

    /**
     * Collects options. Defaults: tcp://127.0.0.1:7440; 5 s connect and drain timeouts; reconnect
     * forever with backoff from 100 ms up to 5 s; first connect jittered up to 1 s; 64 MiB buffer,
     * waiting up to 10 s for room; slow subscriptions skip with a gap notice; one connection, at
     * most 1,024 requests in flight on each, never replaced for its age.
     */
    public static final class Builder {
        private java.util.function.Supplier<Credentials> credentials = () -> Credentials.NONE;
        private ClientTls tls = ClientTls.DEFAULT;
        private final List<Endpoint> endpoints = new ArrayList<>();
        private String clientName = "conduit-java";
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration drainTimeout = Duration.ofSeconds(5);
        private @Nullable Executor executor;
        private ClientListener listener = new ClientListener() { };
        private int maxPendingMessagesPerSubscription = 65_536;
        private long maxPendingBytesPerSubscription = 8L << 20;
        private TransportOptions transport = TransportOptions.builder().ioThreads(1).daemon(true).build();
        private Duration reconnectBackoffBase = Duration.ofMillis(100);
        private Duration reconnectBackoffCap = Duration.ofSeconds(5);
        private int maxReconnectAttempts = -1;
        private Duration initialConnectJitter = Duration.ofSeconds(1);
        private boolean retryInitialConnect;
        private long maxBufferedBytes = 64L << 20;
        private BufferFullPolicy bufferFull = BufferFullPolicy.WAIT;
        private Duration bufferFullWait = Duration.ofSeconds(10);
        private boolean disconnectWhenSlow;
        private Clock clock = Clock.system();
        private RandomGenerator random = RandomGenerator.getDefault();
        private int poolSize = 1;
        private int maxRequestsPerConnection = 1024;
        private Duration maxConnectionAge = Duration.ZERO;
        private Duration maxConnectionAgeJitter = Duration.ZERO;

        private Builder() {
        }

        /** Endpoints as URLs, e.g. {@code tcp://127.0.0.1:7440} or {@code ws://127.0.0.1:7480/conduit}; replaces any set before. */
        public Builder endpoints(String... urls) {
            endpoints.clear();
            for (String url : urls) {
                endpoints.add(Endpoint.parse(url));
            }
            return this;
        }

        public Builder endpoints(List<Endpoint> list) {
            endpoints.clear();
            endpoints.addAll(list);
            return this;
        }

        public Builder clientName(String name) {
            this.clientName = Objects.requireNonNull(name, "clientName");
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            requirePositive(timeout, "connectTimeout");
            this.connectTimeout = timeout;
            return this;
        }

        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = timeout;
            return this;
        }

        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        public Builder listener(ClientListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public Builder maxPendingMessagesPerSubscription(int max) {
            this.maxPendingMessagesPerSubscription = max;
            return this;
        }

        /** Default 8 MiB; see {@link ClientOptions#maxPendingBytesPerSubscription()}. */
        public Builder maxPendingBytesPerSubscription(long max) {
            this.maxPendingBytesPerSubscription = max;
            return this;
        }

        public Builder transport(TransportOptions transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        public Builder reconnectBackoff(Duration base, Duration cap) {
            this.reconnectBackoffBase = base;
            this.reconnectBackoffCap = cap;
            return this;
        }

        public Builder maxReconnectAttempts(int attempts) {
            this.maxReconnectAttempts = attempts;
            return this;
        }

        /** Zero for none: for a single interactive client, not a fleet. */
        public Builder initialConnectJitter(Duration jitter) {
            this.initialConnectJitter = jitter;
            return this;
        }

        public Builder retryInitialConnect(boolean retry) {
            this.retryInitialConnect = retry;
            return this;
        }

        public Builder maxBufferedBytes(long bytes) {
            this.maxBufferedBytes = bytes;
            return this;
        }

        public Builder bufferFull(BufferFullPolicy policy, Duration wait) {
            this.bufferFull = policy;
            this.bufferFullWait = wait;
            return this;
        }

        public Builder disconnectWhenSlow(boolean disconnect) {
            this.disconnectWhenSlow = disconnect;
            return this;
        }

        /** Default {@link ClientTls#DEFAULT}: the JDK's trusted authorities, host names checked, TLS 1.3. */
        public Builder tls(ClientTls tls) {
            this.tls = Objects.requireNonNull(tls, "tls");
            return this;
        }

        /** Authenticates with a static token (scheme {@code token}). */
        public Builder token(String token) {
            Credentials c = Credentials.token(Objects.requireNonNull(token, "token"));
            this.credentials = () -> c;
            return this;
        }

        /**
         * Authenticates with whatever the supplier returns, asked anew on every connect and before the
         * server says the credentials expire (a JWT source that hands out fresh tokens). Runs on the
         * client's executor; it must not block for long.
         */
        public Builder credentials(java.util.function.Supplier<Credentials> credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        public Builder poolSize(int size) {
            this.poolSize = size;
            return this;
        }

        public Builder maxRequestsPerConnection(int max) {
            this.maxRequestsPerConnection = max;
            return this;
        }

        /** {@link Duration#ZERO} for never; see {@link ClientOptions#maxConnectionAge()}. */
        public Builder maxConnectionAge(Duration age, Duration jitter) {
            this.maxConnectionAge = age;
            this.maxConnectionAgeJitter = jitter;
            return this;
        }

        public ClientOptions build() {
            List<Endpoint> list = endpoints.isEmpty() ? List.of(Endpoint.parse(Endpoint.DEFAULT_URL)) : endpoints;
            return new ClientOptions(list, clientName, connectTimeout, drainTimeout, executor, listener,
                    maxPendingMessagesPerSubscription, maxPendingBytesPerSubscription, transport, reconnectBackoffBase,
                    reconnectBackoffCap,
                    maxReconnectAttempts, initialConnectJitter, retryInitialConnect, maxBufferedBytes, bufferFull,
                    bufferFullWait, disconnectWhenSlow, clock, random, poolSize, maxRequestsPerConnection,
                    maxConnectionAge, maxConnectionAgeJitter, credentials, tls);
        }
    }
}

package dev.conduit.client;

import dev.conduit.transport.Endpoint;
import dev.conduit.transport.TransportOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * How a {@link Client} connects and behaves. Immutable; build with {@link #builder()}. Every value is
 * checked when it is set, and a bad one fails at once with the value in the message.
 *
 * @param endpoints                    servers to connect to, tried in order
 * @param clientName                   name sent in HELLO, shown in server logs
 * @param connectTimeout               time allowed for connection and handshake, per endpoint
 * @param drainTimeout                 time {@link Client#close()} waits for in-flight work
 * @param executor                     runs handlers and listener calls; {@code null} for a virtual
 *                                     thread per task
 * @param listener                     hears state changes and asynchronous errors
 * @param maxPendingMessagesPerSubscription messages held for a handler that has not caught up;
 *                                     past it messages are dropped and {@link
 *                                     ClientListener#onSlowConsumer} is told
 * @param transport                    I/O threads and native transport choice
 */
public record ClientOptions(List<Endpoint> endpoints, String clientName, Duration connectTimeout,
                            Duration drainTimeout, Executor executor, ClientListener listener,
                            int maxPendingMessagesPerSubscription, TransportOptions transport) {

    public ClientOptions {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("at least one endpoint is required");
        }
        Objects.requireNonNull(clientName, "clientName");
        requirePositive(connectTimeout, "connectTimeout");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must be >= 0: " + drainTimeout);
        }
        Objects.requireNonNull(listener, "listener");
        if (maxPendingMessagesPerSubscription < 1) {
            throw new IllegalArgumentException(
                    "maxPendingMessagesPerSubscription must be > 0: " + maxPendingMessagesPerSubscription);
        }
        Objects.requireNonNull(transport, "transport");
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

    /** Collects options; defaults: tcp://127.0.0.1:7440, 5 s connect and drain timeouts. */
    public static final class Builder {
        private final List<Endpoint> endpoints = new ArrayList<>();
        private String clientName = "conduit-java";
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration drainTimeout = Duration.ofSeconds(5);
        private Executor executor;
        private ClientListener listener = new ClientListener() { };
        private int maxPendingMessagesPerSubscription = 65_536;
        private TransportOptions transport = TransportOptions.builder().ioThreads(1).daemon(true).build();

        private Builder() {
        }

        /** Endpoints as URLs, e.g. {@code tcp://127.0.0.1:7440}; replaces any set before. */
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

        public Builder transport(TransportOptions transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        public ClientOptions build() {
            if (endpoints.isEmpty()) {
                endpoints.add(Endpoint.parse(Endpoint.DEFAULT_URL));
            }
            return new ClientOptions(endpoints, clientName, connectTimeout, drainTimeout, executor, listener,
                    maxPendingMessagesPerSubscription, transport);
        }
    }
}

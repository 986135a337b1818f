package dev.conduit.client;

import dev.conduit.protocol.Headers;
import dev.conduit.transport.Connector;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A connection to a Conduit server, through which an application publishes, subscribes, sends
 * requests and answers them.
 *
 * <pre>{@code
 * try (Client client = Client.connect("tcp://127.0.0.1:7440")) {
 *     client.subscribe("orders.>", m -> System.out.println(m.subject() + ": " + m.payloadAsString()));
 *     client.publish("orders.eu.created", "42".getBytes(UTF_8));
 *     Message reply = client.requestAndWait("svc.echo", "ping".getBytes(UTF_8), Duration.ofSeconds(2));
 * }
 * }</pre>
 *
 * <p>Thread-safe: any thread may call any method. No method blocks on the network except {@link
 * #requestAndWait}, {@link #flush} and {@link #close}. Handlers run on the client's executor
 * (virtual threads by default), never on an I/O thread; the messages of one subscription are handled
 * one at a time, in order.
 *
 * <p>With {@link ClientOptions#poolSize()} above 1 the client keeps that many connections, each with
 * a session of its own. The first holds every subscription and carries every publish, so ordering
 * and exactly-once delivery are as with one connection; requests are spread over all of them, each
 * to the open connection with the fewest in flight. Connections that close are replaced in the
 * background, and with {@link ClientOptions#maxConnectionAge()} all but the first are replaced
 * when they reach that age. {@link #state()} and {@link #serverInfo()} are the first connection's.
 *
 * <p>Arguments are checked at the call: a bad subject or an oversized payload throws at once, with
 * the bad value in the message, and nothing is sent.
 */
public interface Client extends AutoCloseable {

    /** Connects with default options to the given endpoints ({@code tcp://host:port}). */
    static Client connect(String... endpoints) {
        return connect(ClientOptions.builder().endpoints(endpoints).build());
    }

    /**
     * Connects and completes the handshake before returning.
     *
     * @throws ConnectFailedException if no endpoint accepts a connection and handshake within
     *                                {@link ClientOptions#connectTimeout()}
     */
    static Client connect(ClientOptions options) {
        return connect(options, null);
    }

    /**
     * Connects through the given connector instead of the network: an embedded server's in-process
     * connector, or a test's.
     */
    static Client connect(ClientOptions options, @Nullable Connector connector) {
        return options.poolSize() > 1 ? PooledClient.connect(options, connector) : ConduitClient.connect(options, connector);
    }

    /**
     * Connects to a server in the same process through its in-process connector ({@code
     * server.localConnector()} of an embedded conduit-server {@code Server}), with default options
     * except the client name {@code in-process} and no initial connect jitter (there is no crowd of
     * clients to spread out). For other options use {@link #connect(ClientOptions, Connector)}.
     */
    static Client connectLocal(Connector connector) {
        return connect(ClientOptions.builder().clientName("in-process").initialConnectJitter(Duration.ZERO).build(),
                connector);
    }

    /**
     * Publishes a message to every subscription matching the subject. Returns at once; the message is
     * held until the server confirms it, and across a dropped connection it is sent again on the
     * resumed session, exactly once. If the session cannot be resumed, {@link
     * ClientListener#onSessionLost} lists it.
     *
     * @return true when the message was taken; false only under {@link BufferFullPolicy#RETURN_FALSE}
     *         when the buffer is full
     * @throws BufferFullException under {@link BufferFullPolicy#THROW} or {@link BufferFullPolicy#WAIT}
     *                             when the buffer stays full
     */
    default boolean publish(String subject, byte[] payload) {
        return publish(subject, Headers.EMPTY, payload);
    }

    /** Publishes a message with headers; see {@link #publish(String, byte[])}. */
    default boolean publish(String subject, Headers headers, byte[] payload) {
        return publish(subject, null, headers, payload);
    }

    /** Publishes a UTF-8 string; see {@link #publish(String, byte[])}. */
    default boolean publish(String subject, String payload) {
        return publish(subject, Headers.EMPTY, Payloads.of(payload));
    }

    /**
     * Publishes the buffer's remaining bytes (copied at the call; its position is not moved); see
     * {@link #publish(String, byte[])}.
     */
    default boolean publish(String subject, ByteBuffer payload) {
        return publish(subject, Headers.EMPTY, Payloads.of(payload));
    }

    /** Publishes a UTF-8 string with headers; see {@link #publish(String, byte[])}. */
    default boolean publish(String subject, Headers headers, String payload) {
        return publish(subject, headers, Payloads.of(payload));
    }

    /** Publishes the buffer's remaining bytes with headers; see {@link #publish(String, ByteBuffer)}. */
    default boolean publish(String subject, Headers headers, ByteBuffer payload) {
        return publish(subject, headers, Payloads.of(payload));
    }

    /**
     * Publishes a message that names a subject to send replies to; the usual way to answer it is
     * {@link Message#reply}.
     */
    boolean publish(String subject, @Nullable String replyTo, Headers headers, byte[] payload);

    /**
     * Publishes and reports the outcome: the future completes when the server confirms the message
     * (it has been routed; by a node of a cluster, once the other nodes' streams hold it), or fails with {@link PublishExpiredException} if {@code timeToLive}
     * (when not null) ran out while the message waited for a connection, {@link
     * SessionLostException} if the session was lost before confirmation, {@link BufferFullException}
     * if it did not fit, or {@link ConnectionClosedException} if the client closed first.
     */
    CompletableFuture<Void> publishConfirmed(String subject, Headers headers, byte[] payload,
                                             @Nullable Duration timeToLive);

    /**
     * Subscribes for pulling: no handler, the application takes each message with {@link
     * Subscription#next(java.time.Duration)}. Reliable, no queue group.
     */
    default Subscription subscribe(String pattern) {
        return subscribe(pattern, null, Delivery.RELIABLE);
    }

    /**
     * Subscribes for pulling ({@link Subscription#next(java.time.Duration)}), reliable or lossy, as a
     * member of a queue group or not ({@code null}).
     */
    default Subscription subscribe(String pattern, @Nullable String queueGroup, Delivery delivery) {
        return subscribe(pattern, queueGroup, delivery, PullHandler.INSTANCE);
    }

    /** Subscribes to every subject matching the pattern ({@code *} one token, {@code >} the rest). */
    default Subscription subscribe(String pattern, MessageHandler handler) {
        return subscribe(pattern, null, handler);
    }

    /**
     * Subscribes as a member of a queue group: each message goes to one member of the group.
     * A {@code null} group means a plain subscription.
     */
    default Subscription subscribe(String pattern, @Nullable String queueGroup, MessageHandler handler) {
        return subscribe(pattern, queueGroup, Delivery.RELIABLE, handler);
    }

    /**
     * Subscribes, reliable or lossy ({@link Delivery}), optionally as a member of a queue group
     * ({@code null} for none). With {@link ClientOptions#disconnectWhenSlow()} every subscription is
     * lossy.
     */
    Subscription subscribe(String pattern, @Nullable String queueGroup, Delivery delivery, MessageHandler handler);

    /** Sends a request and completes with the first reply; see {@link #request(String, Headers, byte[], Duration)}. */
    default CompletableFuture<Message> request(String subject, byte[] payload, Duration timeout) {
        return request(subject, Headers.EMPTY, payload, timeout);
    }

    /** Sends a UTF-8 string as a request; see {@link #request(String, Headers, byte[], Duration)}. */
    default CompletableFuture<Message> request(String subject, String payload, Duration timeout) {
        return request(subject, Headers.EMPTY, Payloads.of(payload), timeout);
    }

    /**
     * Sends the buffer's remaining bytes (copied at the call; its position is not moved) as a
     * request; see {@link #request(String, Headers, byte[], Duration)}.
     */
    default CompletableFuture<Message> request(String subject, ByteBuffer payload, Duration timeout) {
        return request(subject, Headers.EMPTY, Payloads.of(payload), timeout);
    }

    /** Sends a UTF-8 string with headers as a request; see {@link #request(String, Headers, byte[], Duration)}. */
    default CompletableFuture<Message> request(String subject, Headers headers, String payload, Duration timeout) {
        return request(subject, headers, Payloads.of(payload), timeout);
    }

    /**
     * Sends the buffer's remaining bytes with headers as a request; see {@link #request(String,
     * ByteBuffer, Duration)}.
     */
    default CompletableFuture<Message> request(String subject, Headers headers, ByteBuffer payload, Duration timeout) {
        return request(subject, headers, Payloads.of(payload), timeout);
    }

    /**
     * Sends a request and completes with the first reply. Completes exceptionally with {@link
     * NoRespondersException} at once if nothing subscribes to the subject, with {@link
     * RequestTimeoutException} after the timeout, or with {@link ConnectionClosedException} if the
     * connection ends first. Many requests may be in flight on one connection.
     */
    default CompletableFuture<Message> request(String subject, Headers headers, byte[] payload, Duration timeout) {
        return request(subject, headers, payload, timeout, false);
    }

    /**
     * A request that survives a lost session: if the session cannot be resumed while it is in
     * flight, an {@code idempotent} request is sent again on the new session (the responder may see
     * it twice), and any other fails with {@link SessionLostException}. Across a resumed session
     * every request is delivered once and its reply arrives once.
     */
    CompletableFuture<Message> request(String subject, Headers headers, byte[] payload, Duration timeout,
                                       boolean idempotent);

    /**
     * The blocking form of {@link #request}: waits for the reply and throws the same typed
     * exceptions directly.
     */
    default Message requestAndWait(String subject, byte[] payload, Duration timeout) {
        return Futures.await(request(subject, payload, timeout));
    }

    /** {@link #requestAndWait(String, byte[], Duration)} with a UTF-8 string. */
    default Message requestAndWait(String subject, String payload, Duration timeout) {
        return requestAndWait(subject, Payloads.of(payload), timeout);
    }

    /** {@link #requestAndWait(String, byte[], Duration)} with the buffer's remaining bytes (copied). */
    default Message requestAndWait(String subject, ByteBuffer payload, Duration timeout) {
        return requestAndWait(subject, Payloads.of(payload), timeout);
    }

    /** {@link #requestAndWait(String, byte[], Duration)} with headers. */
    default Message requestAndWait(String subject, Headers headers, byte[] payload, Duration timeout) {
        return Futures.await(request(subject, headers, payload, timeout));
    }

    /**
     * Completes once the server has confirmed everything this client sent or buffered before the
     * call: publishes routed, subscriptions in effect. Fails with {@link ConnectionClosedException}
     * when the server confirms nothing at all for {@code timeout} (a server that confirms slowly, as
     * when a reliable subscriber's credit holds this publisher back, keeps the flush waiting), or with
     * {@link SessionLostException}.
     */
    CompletableFuture<Void> flush(Duration timeout);

    /**
     * Drains: takes no new subscriptions, ends the existing ones, lets their handlers finish what
     * they hold, waits for in-flight requests and for the server to confirm every publish, then
     * closes; all within {@link ClientOptions#drainTimeout()}. What is still unconfirmed at the
     * deadline fails with {@link ConnectionClosedException}. Idempotent.
     */
    CompletableFuture<Void> drain();

    /** Where the connection is in its lifecycle. */
    ConnectionState state();

    /** What the server announced about itself in its handshake. */
    ServerInfo serverInfo();

    /** {@link #drain()} and wait for it. Idempotent. */
    @Override
    void close();
}

package dev.conduit.testing;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that runs a Conduit {@link Server} on 127.0.0.1, on a free port, for the
 * tests of a class, and closes the clients the tests open through it:
 *
 * <pre>{@code
 * class OrdersTest {
 *     @RegisterExtension
 *     static ConduitServerExtension server = ConduitServerExtension.create();
 *
 *     @Test
 *     void publishesOrders() {
 *         Client client = server.connect();   // closed after the test
 *         ...
 *     }
 * }
 * }</pre>
 *
 * <p>Registered on a {@code static} field, one server serves every test of the class (and of its
 * {@code @Nested} classes): it starts before all of them and stops after all of them. Registered on
 * an instance field, each test gets a server of its own, on a new port. Either way each test starts
 * with the server running, even if the previous test {@linkplain #stop() stopped} it, and the
 * clients a test opened with {@link #connect()} are closed after it; clients opened outside a test
 * (in {@code @BeforeAll}) are closed after all tests.
 *
 * <p>{@link #restart()}, {@link #stop()} and {@link #start()} let a test take the server away and
 * bring it back on the same port, as a client that reconnects would expect.
 *
 * <p>The server is configured as {@link ServerConfig#builder()} makes it, except host {@code
 * 127.0.0.1}, port 0, HTTP port 0 ({@link #webSocketEndpoint()}, {@link #connectWebSocket()}) and
 * two I/O threads; {@link #create(UnaryOperator)} changes more. Thread-safe,
 * but meant for tests that do not run concurrently with each other on the same extension.
 */
public final class ConduitServerExtension
        implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

    private final UnaryOperator<ServerConfig.Builder> configurer;
    /** Guarded by {@code this}: everything below. */
    private @Nullable Server server;
    private boolean running;
    /** The port to bind next; 0 until a server has bound one, and again after a per-test server. */
    private int port;
    /** Likewise for the HTTP port (WebSocket links); 0 also when the server has none. */
    private int httpPort;
    /** The running (or last) server's configuration. */
    private @Nullable ServerConfig config;
    /** How many class-level scopes ({@code @BeforeAll}, nested classes included) are open. */
    private int classScopes;
    private boolean inTest;
    private final List<Client> classClients = new ArrayList<>();
    private final List<Client> testClients = new ArrayList<>();

    private ConduitServerExtension(UnaryOperator<ServerConfig.Builder> configurer) {
        this.configurer = configurer;
    }

    /** An extension running a server with the default configuration (see the class comment). */
    public static ConduitServerExtension create() {
        return new ConduitServerExtension(b -> b);
    }

    /**
     * An extension whose server configuration is changed by {@code configurer}, for example {@code
     * b -> b.maxPayloadBytes(1024)}. It receives a builder already set to 127.0.0.1, port 0 and two
     * I/O threads. A port set here is used for the first server; later ones reuse the bound port.
     */
    public static ConduitServerExtension create(UnaryOperator<ServerConfig.Builder> configurer) {
        return new ConduitServerExtension(Objects.requireNonNull(configurer, "configurer"));
    }

    /**
     * The running server.
     *
     * @throws IllegalStateException if no server is running (outside a test, or after {@link #stop()})
     */
    public synchronized Server server() {
        Server s = server;
        if (!running || s == null) {
            throw new IllegalStateException("no Conduit server is running"
                    + (s == null ? "" : ": it was stopped; start() brings it back"));
        }
        return s;
    }

    /** The address the server is bound to. */
    public synchronized InetSocketAddress address() {
        return server().address();
    }

    /** The port the server is bound to, kept across {@link #restart()}. */
    public synchronized int port() {
        return address().getPort();
    }

    /** Where clients connect: {@code tcp://127.0.0.1:PORT}. */
    public synchronized String endpoint() {
        InetSocketAddress a = address();
        return "tcp://" + a.getHostString() + ":" + a.getPort();
    }

    /**
     * The address of the server's HTTP port (WebSocket links, {@code /healthz}).
     *
     * @throws IllegalStateException if no server is running or it has no HTTP port
     */
    public synchronized InetSocketAddress httpAddress() {
        return server().httpAddress();
    }

    /** The HTTP port the server is bound to, kept across {@link #restart()}. */
    public synchronized int httpPort() {
        return httpAddress().getPort();
    }

    /** Where WebSocket clients connect: {@code ws://127.0.0.1:HTTPPORT/conduit} (the configured path). */
    public synchronized String webSocketEndpoint() {
        InetSocketAddress a = httpAddress();
        ServerConfig c = Objects.requireNonNull(config, "a running server has its configuration");
        return "ws://" + a.getHostString() + ":" + a.getPort() + c.webSocketPath();
    }

    /** Like {@link #connect()}, over a WebSocket link to {@link #webSocketEndpoint()}. */
    public Client connectWebSocket() {
        return connectWebSocket(b -> b);
    }

    /** Like {@link #connect(UnaryOperator)}, over a WebSocket link to {@link #webSocketEndpoint()}. */
    public Client connectWebSocket(UnaryOperator<ClientOptions.Builder> options) {
        Objects.requireNonNull(options, "options");
        ClientOptions built = options.apply(ClientOptions.builder().endpoints(webSocketEndpoint())).build();
        return track(Client.connect(built));
    }

    /**
     * A client connected to the server over TCP with default options, closed after the current test
     * (or after all tests, if called outside one).
     *
     * @throws dev.conduit.client.ConnectFailedException if the server does not answer
     */
    public Client connect() {
        return connect(b -> b);
    }

    /**
     * A client connected with options changed by {@code options}, which receives a builder whose
     * endpoint is already this server; closed like {@link #connect()}'s.
     */
    public Client connect(UnaryOperator<ClientOptions.Builder> options) {
        Objects.requireNonNull(options, "options");
        ClientOptions built = options.apply(ClientOptions.builder().endpoints(endpoint())).build();
        return track(Client.connect(built));
    }

    /**
     * An in-process client of the server ({@link Client#connectLocal} through {@link
     * Server#localConnector()}), closed like {@link #connect()}'s.
     */
    public Client connectLocal() {
        return track(Client.connectLocal(server().localConnector()));
    }

    /**
     * Stops the server gracefully and starts a new one on the same port. Clients connected to the
     * old server are sent GOAWAY and disconnected; they reconnect to the new one by themselves, and
     * since a new server holds none of the old sessions, they are told through {@link
     * dev.conduit.client.ClientListener#onSessionLost}.
     *
     * @return the new server
     * @throws java.io.UncheckedIOException if the port cannot be bound again
     */
    public synchronized Server restart() {
        stop();
        return start();
    }

    /**
     * Stops the server gracefully (see {@link Server#stop()}) and waits for it, keeping its port for
     * {@link #start()}. Does nothing if it is not running.
     */
    public synchronized void stop() {
        Server s = server;
        if (running && s != null) {
            running = false;
            s.close();
        }
    }

    /**
     * Starts a new server on the port of the previous one, or returns the running one.
     *
     * @return the running server
     * @throws java.io.UncheckedIOException if the port cannot be bound
     */
    public synchronized Server start() {
        if (!running) {
            ServerConfig.Builder defaults = ServerConfig.builder().host("127.0.0.1").port(0).httpPort(0).ioThreads(2);
            ServerConfig.Builder builder = configurer.apply(defaults);
            if (port != 0) {
                builder.port(port);
            }
            if (httpPort != 0) {
                builder.httpPort(httpPort);
            }
            ServerConfig built = builder.build();
            Server started = Server.create(built).start();
            config = built;
            server = started;
            running = true;
            port = started.address().getPort();
            httpPort = built.http().enabled() ? started.httpAddress().getPort() : 0;
        }
        return server();
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) {
        classScopes++;
        start();
    }

    @Override
    public synchronized void beforeEach(ExtensionContext context) {
        inTest = true;
        start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<Client> toClose;
        synchronized (this) {
            inTest = false;
            toClose = List.copyOf(testClients);
            testClients.clear();
        }
        try {
            closeAll(toClose);
        } finally {
            synchronized (this) {
                if (classScopes == 0) {
                    stop();
                    port = 0;
                    httpPort = 0;
                }
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<Client> toClose = List.of();
        synchronized (this) {
            if (--classScopes > 0) {
                return; // a nested class ended; the outer class's tests still use the server
            }
            toClose = List.copyOf(classClients);
            classClients.clear();
        }
        try {
            closeAll(toClose);
        } finally {
            synchronized (this) {
                stop();
                port = 0;
                httpPort = 0;
            }
        }
    }

    private synchronized Client track(Client client) {
        (inTest ? testClients : classClients).add(client);
        return client;
    }

    /** Closes every client, even if some fail, and rethrows the first failure. */
    private static void closeAll(List<Client> clients) {
        RuntimeException failure = null;
        for (Client c : clients) {
            try {
                c.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public synchronized String toString() {
        return "ConduitServerExtension[" + (running ? endpoint() : "stopped") + "]";
    }
}

package dev.conduit.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Endpoint;
import dev.conduit.transport.ServerTls;
import dev.conduit.transport.TlsProvider;
import dev.conduit.transport.TransportOptions;
import dev.conduit.transport.UnixSocket;
import dev.conduit.transport.WebSocketOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Everything a server is configured with. Immutable; every value is checked when set, and a bad one
 * fails at once with the value in the message. (Long because it is the one place that knows every setting: its
 * key, its check, its default and how a file, the environment or a flag sets it.)
 *
 * <p>Settings come in layers, each overriding the last: defaults, an optional YAML file ({@link
 * #load(Path)}), environment variables ({@link Builder#applyEnvironment}), then whatever the caller
 * (the CLI's flags) sets. The keys are the component names below; their environment forms are
 * {@code CONDUIT_} plus the name in upper snake case ({@code maxPayloadBytes} is {@code
 * CONDUIT_MAX_PAYLOAD_BYTES}).
 *
 * @param host                         address to bind; {@code 127.0.0.1} by default, so a default
 *                                     server is not reachable from other machines
 * @param port                         TCP port; 0 for any free port
 * @param limits                       frame, payload, header and subject limits announced to clients
 * @param handshakeTimeout             a connection that has not completed its handshake (TLS, HELLO
 *                                     and authentication, up to WELCOME) this long after it was
 *                                     accepted is closed with 408
 * @param drainTimeout                 graceful stop: time given to clients after GOAWAY
 * @param maxPendingBytesPerSession    bytes of deliveries the server holds for one session until
 *                                     its client acknowledges them (queued, in flight, or buffered
 *                                     while it is disconnected); past it the session is too slow and
 *                                     each subscription's policy applies: drop with a GAP notice, or
 *                                     disconnect with SLOW_CONSUMER. Formerly {@code
 *                                     maxPendingBytesPerConnection}, still accepted as a key
 * @param transport                    I/O threads and socket implementation
 * @param heartbeatInterval            silence after which either side sends a PING; announced to
 *                                     clients in WELCOME; zero turns heartbeats off
 * @param heartbeatMisses              intervals of silence after which a peer is declared dead
 * @param resumeWindow                 how long a session whose connection dropped is kept for its
 *                                     client to resume; zero ends sessions with their connection
 * @param alternates                   endpoint URLs named in the GOAWAY sent when the server stops,
 *                                     where clients may reconnect (a cluster node names its other
 *                                     live nodes after these, and those alone in WELCOME)
 * @param clock                        time for heartbeats and resume windows (tests pass a manual one)
 * @param peerLimits                   connection, subscription, subject-depth and rate limits against
 *                                     hostile peers
 * @param http                         the HTTP port (WebSocket links, health and admin pages): keys
 *                                     {@code httpPort} (-1 turns it off), {@code httpHost}, {@code
 *                                     webSocketPath}, {@code allowedOrigins}, {@code httpAllowedHosts}
 * @param auth                         authentication and permissions (see {@link AuthConfig})
 * @param tls                          TLS for the TCP port ({@code tls://}) and the HTTP port (https and
 *                                     {@code wss://}); null for none (see docs/security.md)
 * @param flow                         pacing of reliable subscriptions: keys {@code
 *                                     maxHeldBytesPerSubscription}, {@code maxStall} (see {@link
 *                                     FlowControl})
 * @param memory                       the server-wide bounds on what it buffers: {@code maxMemory},
 *                                     {@code maxDetachedSessions}, {@code maxDetachedBytes}, {@code
 *                                     maxPongBacklogBytes} (see {@link MemoryLimits})
 * @param unixSocket                   a Unix domain socket to listen on besides the TCP port
 *                                     ({@code unix://} clients, plain, same limits and
 *                                     authentication); keys {@code unixSocket} (the file), {@code
 *                                     unixSocketMode} (octal, e.g. {@code 660}), {@code
 *                                     unixSocketOwner}, {@code unixSocketGroup}; null for none
 * @param cluster                      this server as one node of a cluster over Redis: the YAML
 *                                     section {@code cluster} (keys {@code redis}, {@code nodeId},
 *                                     {@code advertise}, {@code durableSessions}), or {@code clusterRedis}, ... ({@code
 *                                     CONDUIT_CLUSTER_REDIS}, ...); null for a single server (see
 *                                     {@link ClusterConfig}, docs/cluster.md)
 * @param extensions                   the settings of {@link dev.conduit.server.spi.ServerExtension}s
 *                                     (such as the ZeroMQ gateway of conduit-zeromq), by section, as
 *                                     text: {@code zeromqPort} (or {@code port} in the YAML section
 *                                     {@code zeromq:}) is {@code extensions().get("zeromq").get("port")};
 *                                     each was checked by its extension when set. Settings of an
 *                                     extension that is not on the class path are refused
 *
 * <p>Past 600 lines because every setting is documented once, here, with its default and its
 * bound, and the builder that checks it sits beside it; the file and environment parsing lives in
 * ConfigSettings and the groups that stand alone in their own records (PeerLimits, MemoryLimits,
 * AuthConfig, HttpConfig, ClusterConfig).
 */
public record ServerConfig(String host, int port, ProtocolLimits limits, Duration handshakeTimeout,
                           Duration drainTimeout, long maxPendingBytesPerSession, TransportOptions transport,
                           Duration heartbeatInterval, int heartbeatMisses, Duration resumeWindow,
                           List<String> alternates, Clock clock, PeerLimits peerLimits, HttpConfig http,
                           AuthConfig auth, @Nullable ServerTls tls, FlowControl flow,
                           MemoryLimits memory, @Nullable UnixSocket unixSocket, @Nullable ClusterConfig cluster,
                           Map<String, Map<String, String>> extensions) {

    /** The settings whose values are file names; in a YAML file they are relative to the file's folder. */
    static final Set<String> PATH_SETTINGS = Set.of("tlsCert", "tlsKey", "tlsKeyStore", "tlsClientCa", "tlsClientCrl",
            "unixSocket");
    /** The keys of the YAML {@code tls} section; each is the setting {@code tls} + the key capitalised. */
    /** The keys of the YAML {@code cluster} section; each is the setting {@code cluster} + the key capitalised. */
    static final List<String> CLUSTER_SECTION_KEYS = List.of("redis", "nodeId", "advertise");
    static final List<String> TLS_SECTION_KEYS = List.of("cert", "key", "keyPassword", "keyStore", "keyStorePassword",
            "clientAuth", "clientCa", "clientCrl", "protocols", "provider", "reloadInterval");

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
        }
        Objects.requireNonNull(limits, "limits");
        positive(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must be >= 0: " + drainTimeout);
        }
        if (maxPendingBytesPerSession < limits.maxFrameBytes()) {
            throw new IllegalArgumentException("maxPendingBytesPerSession must be at least the maximum frame size ("
                    + limits.maxFrameBytes() + "): " + maxPendingBytesPerSession);
        }
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(transport, "transport");
        Map<String, Map<String, String>> ext = new java.util.TreeMap<>();
        Objects.requireNonNull(extensions, "extensions").forEach((k, v) -> ext.put(k, new ExtensionSettings(v)));
        extensions = java.util.Collections.unmodifiableMap(ext);
        notNegative(heartbeatInterval, "heartbeatInterval");
        if (heartbeatInterval.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("heartbeatInterval must fit in 31 bits of milliseconds: " + heartbeatInterval);
        }
        if (heartbeatMisses < 1 || heartbeatMisses > 0xFFFF) {
            throw new IllegalArgumentException("heartbeatMisses must be between 1 and 65535: " + heartbeatMisses);
        }
        notNegative(resumeWindow, "resumeWindow");
        alternates = List.copyOf(alternates);
        alternates.forEach(Endpoint::parse);
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(peerLimits, "peerLimits");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(flow, "flow");
        if (auth.mtls() != null && (tls == null || tls.clientAuth() == ServerTls.ClientAuth.NONE)) {
            throw new IllegalArgumentException("authentication by client certificate (mtlsPrincipalFrom) needs TLS "
                    + "that asks for client certificates: set tlsClientAuth to request or require, and tlsClientCa");
        }
    }

    /**
     * The former name of {@link #maxPendingBytesPerSession()}: the bound was always per session.
     *
     * @deprecated use {@link #maxPendingBytesPerSession()}
     */
    @Deprecated
    public long maxPendingBytesPerConnection() {
        return maxPendingBytesPerSession;
    }

    /** Whether the ports speak TLS. */
    public boolean tlsEnabled() {
        return tls != null;
    }

    /** The HTTP port; 0 for any free one, {@link HttpConfig#DISABLED} for none. */
    public int httpPort() {
        return http.port();
    }

    /** The address the HTTP port binds: {@code httpHost} if set, else {@link #host()}. */
    public String httpHost() {
        return http.host().isEmpty() ? host : http.host();
    }

    /** The HTTP path of WebSocket links. */
    public String webSocketPath() {
        return http.webSocketPath();
    }

    /** Browser origins allowed besides same-host pages; {@code *} for any. */
    public List<String> allowedOrigins() {
        return http.allowedOrigins();
    }

    private static void notNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must be >= 0: " + d);
        }
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be > 0: " + d);
        }
    }

    /** The defaults: 127.0.0.1:7440, {@link ProtocolLimits#DEFAULT}, 10 s handshake, 5 s drain. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads a duration as settings write them: {@code 250ms}, {@code 10s}, {@code 2m}, {@code 1h},
     * or ISO-8601 such as {@code PT10S}.
     *
     * @throws IllegalArgumentException if the text is none of these
     */
    public static Duration parseDuration(String text) {
        return ConfigSettings.duration(text);
    }

    /** A builder holding the defaults overridden by the settings in a YAML file. */
    public static Builder load(Path yamlFile) {
        Builder b = builder();
        Path folder = Objects.requireNonNull(yamlFile.toAbsolutePath().getParent(), "an absolute file has a folder");
        ConfigSettings.fromYaml(yamlFile, b.extensions()::isSection).forEach((key, value) -> b.set(key,
                PATH_SETTINGS.contains(key) && !value.isBlank() ? folder.resolve(value.trim()).toString() : value,
                yamlFile.toString()));
        JsonNode tls = ConfigSettings.section(yamlFile, "tls");
        if (tls != null && !tls.isNull()) {
            if (!tls.isObject()) {
                throw new IllegalArgumentException(yamlFile + ": tls must be a mapping of settings (cert, key, ...)");
            }
            tls.fields().forEachRemaining(e -> {
                if (!TLS_SECTION_KEYS.contains(e.getKey())) {
                    throw new IllegalArgumentException(yamlFile + ": unknown setting 'tls." + e.getKey() + "' (expected "
                            + String.join(", ", TLS_SECTION_KEYS) + ")");
                }
                String key = "tls" + Character.toUpperCase(e.getKey().charAt(0)) + e.getKey().substring(1);
                JsonNode v = e.getValue();
                String text;
                if (v.isArray()) {
                    List<String> items = new ArrayList<>();
                    v.forEach(item -> items.add(item.asText()));
                    text = String.join(",", items);
                } else if (v.isValueNode() && !v.isNull()) {
                    text = v.asText();
                } else {
                    throw new IllegalArgumentException(yamlFile + ": setting 'tls." + e.getKey() + "' must be a plain value");
                }
                if (PATH_SETTINGS.contains(key) && !text.isBlank()) {
                    text = folder.resolve(text.trim()).toString();
                }
                b.set(key, text, yamlFile + " (tls." + e.getKey() + ")");
            });
        }
        JsonNode cluster = ConfigSettings.section(yamlFile, "cluster");
        if (cluster != null && !cluster.isNull()) {
            if (!cluster.isObject()) {
                throw new IllegalArgumentException(yamlFile + ": cluster must be a mapping of settings (redis, nodeId, advertise)");
            }
            cluster.fields().forEachRemaining(e -> {
                if (!CLUSTER_SECTION_KEYS.contains(e.getKey())) {
                    throw new IllegalArgumentException(yamlFile + ": unknown setting 'cluster." + e.getKey() + "' (expected "
                            + String.join(", ", CLUSTER_SECTION_KEYS) + ")");
                }
                if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                    throw new IllegalArgumentException(yamlFile + ": setting 'cluster." + e.getKey() + "' must be a plain value");
                }
                String key = "cluster" + Character.toUpperCase(e.getKey().charAt(0)) + e.getKey().substring(1);
                b.set(key, e.getValue().asText(), yamlFile + " (cluster." + e.getKey() + ")");
            });
        }
        b.authSettings.fromYaml(ConfigSettings.section(yamlFile, "auth"), ConfigSettings.section(yamlFile, "permissions"),
                yamlFile, (key, value) -> b.set(key, value, yamlFile + " (auth)"));
        ConfigSettings.extensionSections(yamlFile, b.extensions()::isSection).forEach((section, settings) ->
                settings.forEach((key, text) -> b.set(Extensions.flatKey(section, key), text,
                        yamlFile + " (" + section + "." + key + ")")));
        return b;
    }

    /**
     * Collects settings. Not thread-safe.
     *
     * <p>Each setter checks its value on its own at once. The one check that needs several values
     * ({@code maxPendingBytesPerSession} against the frame size the limits allow) is made in {@link
     * #build()}; its message names where the values involved came from (the file, the environment
     * variable, or the source given to {@link #set}), so a bad value is traced to its source however it
     * fails.
     */
    public static final class Builder {
        /** Environment variables of the client commands, never read as server settings. */
        public static final java.util.Set<String> CLIENT_VARIABLES = java.util.Set.of("CONDUIT_SERVER", "CONDUIT_TOKEN");
        private static final java.util.regex.Pattern SECRET =
                java.util.regex.Pattern.compile("(?i)secret|password|token|credential");

        private String host = "127.0.0.1";
        private int port = Endpoint.DEFAULT_PORT;
        private int maxPayloadBytes = ProtocolLimits.DEFAULT.maxPayloadBytes();
        private int maxHeaderBytes = ProtocolLimits.DEFAULT.maxHeaderBytes();
        private int maxSubjectBytes = ProtocolLimits.DEFAULT.maxSubjectBytes();
        private Duration handshakeTimeout = Duration.ofSeconds(10);
        private Duration drainTimeout = Duration.ofSeconds(5);
        private long maxPendingBytesPerSession = 64L << 20;
        private long maxMemory = MemoryLimits.defaultMaxMemory();
        private int maxDetachedSessions = MemoryLimits.DEFAULT_MAX_DETACHED_SESSIONS;
        /** -1 until set: then half of {@link #maxMemory}. */
        private long maxDetachedBytes = -1;
        private long maxPongBacklogBytes = MemoryLimits.DEFAULT_MAX_PONG_BACKLOG_BYTES;
        private int ioThreads = Runtime.getRuntime().availableProcessors();
        private TransportOptions.Kind transportKind = TransportOptions.Kind.AUTO;
        private Duration heartbeatInterval = Duration.ofSeconds(5);
        private int heartbeatMisses = 3;
        private Duration resumeWindow = Duration.ofMinutes(2);
        private long maxHeldBytesPerSubscription = FlowControl.DEFAULT.maxHeldBytesPerSubscription();
        private Duration maxStall = FlowControl.DEFAULT.maxStall();
        private final List<String> alternates = new ArrayList<>();
        private Clock clock = Clock.system();
        private int maxConnections = PeerLimits.DEFAULT.maxConnections();
        private int maxConnectionsPerAddress = PeerLimits.DEFAULT.maxConnectionsPerAddress();
        private int maxSubscriptionsPerSession = PeerLimits.DEFAULT.maxSubscriptionsPerSession();
        private int maxSubjectTokens = PeerLimits.DEFAULT.maxSubjectTokens();
        private long maxMessagesPerSecond = PeerLimits.DEFAULT.maxMessagesPerSecond();
        private long maxBytesPerSecond = PeerLimits.DEFAULT.maxBytesPerSecond();
        /** Null until set: then it follows {@link #port} (0 if that is 0, else the default). */
        private @Nullable Integer httpPort;
        private String httpHost = HttpConfig.DEFAULT.host();
        private String webSocketPath = HttpConfig.DEFAULT.webSocketPath();
        private List<String> allowedOrigins = HttpConfig.DEFAULT.allowedOrigins();
        private List<String> httpAllowedHosts = HttpConfig.DEFAULT.allowedHosts();
        private final AuthConfig.Builder authSettings = AuthConfig.builder();
        private @Nullable Path tlsCert;
        private @Nullable Path tlsKey;
        private @Nullable String tlsKeyPassword;
        private @Nullable Path tlsKeyStore;
        private @Nullable String tlsKeyStorePassword;
        private ServerTls.ClientAuth tlsClientAuth = ServerTls.ClientAuth.NONE;
        private @Nullable Path tlsClientCa;
        private @Nullable Path tlsClientCrl;
        private List<String> tlsProtocols = List.of("TLSv1.3");
        private TlsProvider tlsProvider = TlsProvider.AUTO;
        private Duration tlsReloadInterval = ServerTls.DEFAULT_RELOAD_INTERVAL;
        /** Set by {@link #tls(ServerTls)}: replaces the {@code tls*} settings. */
        private @Nullable ServerTls tls;
        private @Nullable AuthConfig auth;
        private @Nullable Path unixSocket;
        private @Nullable Set<java.nio.file.attribute.PosixFilePermission> unixSocketPermissions;
        private @Nullable String unixSocketOwner;
        private @Nullable String unixSocketGroup;
        private @Nullable String clusterRedis;
        private @Nullable String clusterNodeId;
        private @Nullable String clusterAdvertise;
        private boolean clusterDurableSessions;
        private @Nullable ClusterConfig cluster;
        /** Where each setting's current value came from, for settings last set through {@link #set}. */
        private final Map<String, String> sources = new HashMap<>();
        /** Extension settings by section, key within it, text; {@link #extensions} is found on first need. */
        private final Map<String, Map<String, String>> extensionSettings = new java.util.TreeMap<>();
        private @Nullable Extensions extensions;

        private Builder() {
        }

        /** Default 5 s; with {@link #heartbeatMisses} 3 a silent peer is declared dead after 15 s. */
        public Builder heartbeatInterval(Duration interval) {
            notNegative(interval, "heartbeatInterval");
            this.heartbeatInterval = interval;
            return this;
        }

        public Builder heartbeatMisses(int misses) {
            this.heartbeatMisses = misses;
            return this;
        }

        /** Default 2 minutes. */
        public Builder resumeWindow(Duration window) {
            notNegative(window, "resumeWindow");
            this.resumeWindow = window;
            return this;
        }

        /** Default 1 MiB: see {@link FlowControl#maxHeldBytesPerSubscription()}. */
        public Builder maxHeldBytesPerSubscription(long bytes) {
            this.maxHeldBytesPerSubscription = bytes;
            new FlowControl(bytes, maxStall);
            return this;
        }

        /** Default 30 s; zero: never. See {@link FlowControl#maxStall()}. */
        public Builder maxStall(Duration stall) {
            notNegative(stall, "maxStall");
            this.maxStall = stall;
            return this;
        }

        /** Endpoint URLs offered to clients in the GOAWAY sent at stop; replaces any set before. */
        public Builder alternates(List<String> urls) {
            urls.forEach(Endpoint::parse);
            alternates.clear();
            alternates.addAll(urls);
            return this;
        }

        /** Authentication and permissions; replaces whatever auth settings came through {@link #set}. */
        public Builder auth(AuthConfig auth) {
            this.auth = Objects.requireNonNull(auth, "auth");
            return this;
        }

        /** TLS for both ports; replaces whatever {@code tls*} settings came through {@link #set}. Null for none. */
        public Builder tls(@Nullable ServerTls tls) {
            this.tls = tls;
            tlsCert = null;
            tlsKey = null;
            tlsKeyStore = null;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Default 10,000; see {@link PeerLimits}. */
        public Builder maxConnections(int connections) {
            new PeerLimits(connections, 1, 1, 1, 0, 0); // checks the range, as PeerLimits defines it
            this.maxConnections = connections;
            sources.remove("maxConnections");
            return this;
        }

        /** Default 1,000; see {@link PeerLimits}. */
        public Builder maxConnectionsPerAddress(int connections) {
            new PeerLimits(1, connections, 1, 1, 0, 0); // checks the range, as PeerLimits defines it
            this.maxConnectionsPerAddress = connections;
            sources.remove("maxConnectionsPerAddress");
            return this;
        }

        /** Default 10,000; see {@link PeerLimits}. */
        public Builder maxSubscriptionsPerSession(int subscriptions) {
            new PeerLimits(1, 1, subscriptions, 1, 0, 0); // checks the range, as PeerLimits defines it
            this.maxSubscriptionsPerSession = subscriptions;
            sources.remove("maxSubscriptionsPerSession");
            return this;
        }

        /** Default 32, at most 65535; see {@link PeerLimits}. */
        public Builder maxSubjectTokens(int tokens) {
            new PeerLimits(1, 1, 1, tokens, 0, 0); // checks the range, as PeerLimits defines it
            this.maxSubjectTokens = tokens;
            sources.remove("maxSubjectTokens");
            return this;
        }

        /**
         * Default 0: off. The benchmarks push about a million messages a second through one session,
         * and one session is already held to its share of one event loop, so the rate limits are for
         * deployments that want to cap a tenant; memory is bounded without them. See {@link PeerLimits}.
         */
        public Builder maxMessagesPerSecond(long messages) {
            new PeerLimits(1, 1, 1, 1, messages, 0); // checks the range, as PeerLimits defines it
            this.maxMessagesPerSecond = messages;
            sources.remove("maxMessagesPerSecond");
            return this;
        }

        /** Default 0: off; see {@link #maxMessagesPerSecond} and {@link PeerLimits}. */
        public Builder maxBytesPerSecond(long bytes) {
            new PeerLimits(1, 1, 1, 1, 0, bytes); // checks the range, as PeerLimits defines it
            this.maxBytesPerSecond = bytes;
            sources.remove("maxBytesPerSecond");
            return this;
        }

        /** The peer limits as set so far. */
        private PeerLimits peerLimits() {
            return new PeerLimits(maxConnections, maxConnectionsPerAddress, maxSubscriptionsPerSession,
                    maxSubjectTokens, maxMessagesPerSecond, maxBytesPerSecond);
        }

        /**
         * Default {@value Endpoint#DEFAULT_HTTP_PORT}, or 0 (any free port) when {@link #port} is 0, so
         * that servers started on free ports do not contend for the fixed one; -1 for no HTTP port.
         */
        public Builder httpPort(int port) {
            HttpConfig.checkPort(port);
            this.httpPort = port;
            sources.remove("httpPort");
            return this;
        }

        /** Default: the same as {@link #host}. */
        public Builder httpHost(String host) {
            Objects.requireNonNull(host, "httpHost");
            if (host.isBlank()) {
                throw new IllegalArgumentException("httpHost must not be blank");
            }
            this.httpHost = host;
            return this;
        }

        /** Default {@value Endpoint#DEFAULT_WEBSOCKET_PATH}. */
        public Builder webSocketPath(String path) {
            new WebSocketOptions(path, List.of());
            this.webSocketPath = path;
            return this;
        }

        /** Origins such as {@code https://app.example.com}, or {@code *}; replaces any set before. */
        public Builder allowedOrigins(List<String> origins) {
            new WebSocketOptions(Endpoint.DEFAULT_WEBSOCKET_PATH, origins);
            this.allowedOrigins = List.copyOf(origins);
            return this;
        }

        /**
         * Host names and addresses the HTTP port answers to (its {@code Host} header), or {@code *};
         * replaces any set before. Default: see {@link HttpConfig#allowedHostsFor}.
         */
        public Builder httpAllowedHosts(List<String> hosts) {
            new HttpConfig(HttpConfig.DEFAULT.port(), "", Endpoint.DEFAULT_WEBSOCKET_PATH, List.of(), hosts);
            this.httpAllowedHosts = List.copyOf(hosts);
            return this;
        }

        public Builder host(String host) {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            this.host = host;
            sources.remove("host");
            return this;
        }

        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
            }
            this.port = port;
            sources.remove("port");
            return this;
        }

        /** 0 to {@value ProtocolLimits#MAX_PAYLOAD_BYTES_CAP}. */
        public Builder maxPayloadBytes(int bytes) {
            ProtocolLimits.DEFAULT.withMaxPayloadBytes(bytes); // checks the range, as ProtocolLimits defines it
            this.maxPayloadBytes = bytes;
            sources.remove("maxPayloadBytes");
            return this;
        }

        /** 0 to 1048576. */
        public Builder maxHeaderBytes(int bytes) {
            new ProtocolLimits(ProtocolLimits.DEFAULT.maxPayloadBytes(), bytes, ProtocolLimits.DEFAULT.maxSubjectBytes());
            this.maxHeaderBytes = bytes;
            sources.remove("maxHeaderBytes");
            return this;
        }

        /** 1 to 65535. */
        public Builder maxSubjectBytes(int bytes) {
            new ProtocolLimits(ProtocolLimits.DEFAULT.maxPayloadBytes(), ProtocolLimits.DEFAULT.maxHeaderBytes(), bytes);
            this.maxSubjectBytes = bytes;
            sources.remove("maxSubjectBytes");
            return this;
        }

        public Builder handshakeTimeout(Duration timeout) {
            positive(timeout, "handshakeTimeout");
            this.handshakeTimeout = timeout;
            sources.remove("handshakeTimeout");
            return this;
        }

        public Builder drainTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "drainTimeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("drainTimeout must be >= 0: " + timeout);
            }
            this.drainTimeout = timeout;
            sources.remove("drainTimeout");
            return this;
        }

        /**
         * At least the largest frame the limits allow ({@link ProtocolLimits#maxFrameBytes()}); as that
         * depends on the other limits, this is checked by {@link #build()}.
         */
        public Builder maxPendingBytesPerSession(long bytes) {
            this.maxPendingBytesPerSession = bytes;
            sources.remove("maxPendingBytesPerSession");
            return this;
        }

        /**
         * The former name of {@link #maxPendingBytesPerSession}.
         *
         * @deprecated use {@link #maxPendingBytesPerSession}
         */
        @Deprecated
        public Builder maxPendingBytesPerConnection(long bytes) {
            return maxPendingBytesPerSession(bytes);
        }

        /** Default a quarter of the heap ({@link Runtime#maxMemory()}), at least 64 MiB; see {@link MemoryLimits}. */
        public Builder maxMemory(long bytes) {
            new MemoryLimits(bytes, 1, bytes, MemoryLimits.DEFAULT_MAX_PONG_BACKLOG_BYTES); // checks the range
            this.maxMemory = bytes;
            sources.remove("maxMemory");
            return this;
        }

        /** Default {@value MemoryLimits#DEFAULT_MAX_DETACHED_SESSIONS}; see {@link MemoryLimits}. */
        public Builder maxDetachedSessions(int sessions) {
            new MemoryLimits(1 << 20, sessions, 1 << 20, MemoryLimits.DEFAULT_MAX_PONG_BACKLOG_BYTES);
            this.maxDetachedSessions = sessions;
            sources.remove("maxDetachedSessions");
            return this;
        }

        /** Default half of {@code maxMemory}; at most {@code maxMemory}; see {@link MemoryLimits}. */
        public Builder maxDetachedBytes(long bytes) {
            new MemoryLimits(Long.MAX_VALUE, 1, bytes, MemoryLimits.DEFAULT_MAX_PONG_BACKLOG_BYTES);
            this.maxDetachedBytes = bytes;
            sources.remove("maxDetachedBytes");
            return this;
        }

        /** Default {@value MemoryLimits#DEFAULT_MAX_PONG_BACKLOG_BYTES}; see {@link MemoryLimits}. */
        public Builder maxPongBacklogBytes(long bytes) {
            new MemoryLimits(1 << 20, 1, 1 << 20, bytes);
            this.maxPongBacklogBytes = bytes;
            sources.remove("maxPongBacklogBytes");
            return this;
        }

        public Builder ioThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("ioThreads must be > 0: " + threads);
            }
            this.ioThreads = threads;
            sources.remove("ioThreads");
            return this;
        }

        public Builder transport(TransportOptions.Kind kind) {
            this.transportKind = Objects.requireNonNull(kind, "transport");
            sources.remove("transport");
            return this;
        }

        /**
         * Applies {@code CONDUIT_*} variables from the given environment (usually {@link
         * System#getenv()}); unknown {@code CONDUIT_*} names are an error, so a typo does not pass
         * unnoticed. The client commands' variables ({@link #CLIENT_VARIABLES}: {@code
         * CONDUIT_SERVER}, {@code CONDUIT_TOKEN}) are skipped, so that a shell set up for clients
         * can start a server too.
         */
        public Builder applyEnvironment(Map<String, String> environment) {
            environment.forEach((name, value) -> {
                if (name.startsWith(ConfigSettings.ENV_PREFIX) && !CLIENT_VARIABLES.contains(name)) {
                    set(ConfigSettings.keyForEnvironmentName(name), value, "environment variable " + name);
                }
            });
            return this;
        }

        /**
         * Sets one setting by its key, from text.
         *
         * @param source where the text came from (a file, an environment variable, a flag), for the
         *               error message, now or in {@link #build()}
         * @throws IllegalArgumentException naming the source, key and value if either is not valid
         */
        public Builder set(String key, String value, String source) {
            if (value == null) {
                throw new IllegalArgumentException(source + ": setting '" + key + "' has no value");
            }
            try {
                switch (key) {
                    case "host" -> host(value);
                    case "port" -> port(Integer.parseInt(value.trim()));
                    case "maxPayloadBytes" -> maxPayloadBytes(Integer.parseInt(value.trim()));
                    case "maxHeaderBytes" -> maxHeaderBytes(Integer.parseInt(value.trim()));
                    case "maxSubjectBytes" -> maxSubjectBytes(Integer.parseInt(value.trim()));
                    case "handshakeTimeout" -> handshakeTimeout(ConfigSettings.duration(value));
                    case "drainTimeout" -> drainTimeout(ConfigSettings.duration(value));
                    case "maxPendingBytesPerSession" -> maxPendingBytesPerSession(Long.parseLong(value.trim()));
                    case "maxPendingBytesPerConnection" -> { // the former name, kept as an alias
                        maxPendingBytesPerSession(Long.parseLong(value.trim()));
                        sources.put("maxPendingBytesPerSession", source + " (as maxPendingBytesPerConnection)");
                    }
                    case "maxMemory" -> maxMemory(Long.parseLong(value.trim()));
                    case "maxDetachedSessions" -> maxDetachedSessions(Integer.parseInt(value.trim()));
                    case "maxDetachedBytes" -> maxDetachedBytes(Long.parseLong(value.trim()));
                    case "maxPongBacklogBytes" -> maxPongBacklogBytes(Long.parseLong(value.trim()));
                    case "ioThreads" -> ioThreads(Integer.parseInt(value.trim()));
                    case "transport" -> transport(ConfigSettings.transportKind(value));
                    case "heartbeatInterval" -> heartbeatInterval(ConfigSettings.duration(value));
                    case "heartbeatMisses" -> heartbeatMisses(Integer.parseInt(value.trim()));
                    case "resumeWindow" -> resumeWindow(ConfigSettings.duration(value));
                    case "maxHeldBytesPerSubscription" -> maxHeldBytesPerSubscription(Long.parseLong(value.trim()));
                    case "maxStall" -> maxStall(ConfigSettings.duration(value));
                    case "maxConnections" -> maxConnections(Integer.parseInt(value.trim()));
                    case "maxConnectionsPerAddress" -> maxConnectionsPerAddress(Integer.parseInt(value.trim()));
                    case "maxSubscriptionsPerSession" -> maxSubscriptionsPerSession(Integer.parseInt(value.trim()));
                    case "maxSubjectTokens" -> maxSubjectTokens(Integer.parseInt(value.trim()));
                    case "maxMessagesPerSecond" -> maxMessagesPerSecond(Long.parseLong(value.trim()));
                    case "maxBytesPerSecond" -> maxBytesPerSecond(Long.parseLong(value.trim()));
                    case "alternates" -> alternates(value.isBlank() ? List.of()
                            : List.of(value.trim().split("\\s*,\\s*")));
                    case "httpPort" -> httpPort(Integer.parseInt(value.trim()));
                    case "httpHost" -> httpHost(value.trim());
                    case "webSocketPath" -> webSocketPath(value.trim());
                    case "allowedOrigins" -> allowedOrigins(value.isBlank() ? List.of()
                            : List.of(value.trim().split("\\s*,\\s*")));
                    case "httpAllowedHosts" -> httpAllowedHosts(value.isBlank() ? List.of()
                            : List.of(value.trim().split("\\s*,\\s*")));
                    case "tlsCert" -> tlsCert = path(value);
                    case "tlsKey" -> tlsKey = path(value);
                    case "tlsKeyPassword" -> tlsKeyPassword = value;
                    case "tlsKeyStore" -> tlsKeyStore = path(value);
                    case "tlsKeyStorePassword" -> tlsKeyStorePassword = value;
                    case "tlsClientAuth" -> tlsClientAuth = ServerTls.ClientAuth.parse(value);
                    case "tlsClientCa" -> tlsClientCa = path(value);
                    case "tlsClientCrl" -> tlsClientCrl = path(value);
                    case "tlsProtocols" -> tlsProtocols = ServerTls.checkProtocols(List.of(value.trim().split("\\s*,\\s*")));
                    case "tlsProvider" -> tlsProvider = TlsProvider.parse(value);
                    case "tlsReloadInterval" -> tlsReloadInterval = ConfigSettings.duration(value);
                    case "clusterRedis" -> {
                        clusterRedis = value.isBlank() ? null : new ClusterConfig(java.net.URI.create(value.trim()), null, null)
                                .redis().toString();
                        cluster = null;
                    }
                    case "clusterNodeId" -> {
                        clusterNodeId = value.isBlank() ? null : new ClusterConfig(java.net.URI.create("redis://x"),
                                value.trim(), null).nodeId();
                        cluster = null;
                    }
                    case "clusterAdvertise" -> {
                        clusterAdvertise = value.isBlank() ? null : value.trim();
                        cluster = null;
                    }
                    case "clusterDurableSessions" -> {
                        clusterDurableSessions = ConfigSettings.bool(value);
                        cluster = null;
                    }
                    case "unixSocket" -> unixSocket = value.isBlank() ? null : path(value);
                    case "unixSocketMode" -> unixSocketPermissions = UnixSocket.parseMode(value);
                    case "unixSocketOwner" -> unixSocketOwner = new UnixSocket(Path.of("x"), null, value.trim(), null).owner();
                    case "unixSocketGroup" -> unixSocketGroup = new UnixSocket(Path.of("x"), null, null, value.trim()).group();
                    default -> {
                        if (!authSettings.set(key, value) && !setExtension(key, value)) {
                            throw new IllegalArgumentException("unknown setting");
                        }
                    }
                }
            } catch (IllegalArgumentException e) {
                // A secret's value is never repeated: error messages end up in logs and terminals.
                boolean secret = SECRET.matcher(key).find() || SECRET.matcher(source).find();
                String why = String.valueOf(e.getMessage());
                if (secret && !value.isBlank()) {
                    why = why.replace(value, "(hidden)");
                }
                throw new IllegalArgumentException(source + ": invalid " + key + " "
                        + (secret ? "(value hidden)" : "'" + value + "'") + ": " + why, e);
            }
            sources.put(key, source);
            return this;
        }

        /**
         * The config. Every value was checked when set; what is left is {@code
         * maxPendingBytesPerSession} against the limits, and maxDetachedBytes against maxMemory.
         *
         * @throws IllegalArgumentException naming the values involved and where each came from
         */
        public ServerConfig build() {
            ProtocolLimits limits = new ProtocolLimits(maxPayloadBytes, maxHeaderBytes, maxSubjectBytes);
            if (maxPendingBytesPerSession < limits.maxFrameBytes()) {
                throw new IllegalArgumentException(attributed("maxPendingBytesPerSession")
                        + "maxPendingBytesPerSession must be at least the maximum frame size ("
                        + limits.maxFrameBytes() + ", from maxPayloadBytes " + maxPayloadBytes + sourceOf("maxPayloadBytes")
                        + ", maxHeaderBytes " + maxHeaderBytes + sourceOf("maxHeaderBytes")
                        + " and maxSubjectBytes " + maxSubjectBytes + sourceOf("maxSubjectBytes") + "): "
                        + maxPendingBytesPerSession);
            }
            long detachedBytes = maxDetachedBytes < 0 ? maxMemory / 2 : maxDetachedBytes;
            if (detachedBytes > maxMemory) {
                throw new IllegalArgumentException(attributed("maxDetachedBytes") + "maxDetachedBytes must be at most "
                        + "maxMemory (" + maxMemory + sourceOf("maxMemory") + "): " + detachedBytes);
            }
            MemoryLimits memory = new MemoryLimits(maxMemory, maxDetachedSessions, detachedBytes, maxPongBacklogBytes);
            TransportOptions transport = TransportOptions.builder().ioThreads(ioThreads).kind(transportKind).clock(clock).build();
            String boundHttpHost = httpHost.isEmpty() ? host : httpHost;
            int httpPort = this.httpPort != null ? this.httpPort : port == 0 ? 0 : HttpConfig.DEFAULT.port();
            if (httpPort == port && port != 0 && boundHttpHost.equals(host)) {
                throw new IllegalArgumentException(attributed("httpPort") + "httpPort must differ from port "
                        + port + sourceOf("port") + " (-1 turns the HTTP port off): " + httpPort);
            }
            AuthConfig a;
            try {
                a = auth != null ? auth : authSettings.build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid auth settings" + sourceOf("jwtAlgorithm") + ": "
                        + e.getMessage(), e);
            }
            return new ServerConfig(host, port, limits, handshakeTimeout, drainTimeout,
                    maxPendingBytesPerSession, transport, heartbeatInterval, heartbeatMisses, resumeWindow,
                    alternates, clock, peerLimits(), new HttpConfig(httpPort, httpHost, webSocketPath, allowedOrigins,
                    httpAllowedHosts), a,
                    tls != null ? tls : tlsFromSettings(), new FlowControl(maxHeldBytesPerSubscription, maxStall),
                    memory, unixSocketFromSettings(), clusterFromSettings(), extensionSettings);
        }

        /** The server extensions on the class path, loaded on first need. */
        Extensions extensions() {
            if (extensions == null) {
                extensions = Extensions.load();
            }
            return extensions;
        }

        /** Keeps a setting of an extension's section after the extension checked it; false if no section owns it. */
        private boolean setExtension(String key, String value) {
            String section = extensions().sectionOf(key);
            if (section == null) {
                return false;
            }
            String within = Extensions.keyWithin(key, section);
            extensions().get(section).checkSetting(within, value);
            extensionSettings.computeIfAbsent(section, s -> new java.util.LinkedHashMap<>()).put(within, value);
            return true;
        }

        /** The {@code cluster*} settings as a {@link ClusterConfig}; null without {@code clusterRedis}. */
        private @Nullable ClusterConfig clusterFromSettings() {
            if (cluster != null) {
                return cluster;
            }
            if (clusterRedis == null) {
                for (String key : List.of("clusterNodeId", "clusterAdvertise", "clusterDurableSessions")) {
                    if (sources.containsKey(key)) {
                        throw new IllegalArgumentException(attributed(key) + key + " is set, but cluster.redis is not");
                    }
                }
                return null;
            }
            return new ClusterConfig(java.net.URI.create(clusterRedis), clusterNodeId, clusterAdvertise,
                    clusterDurableSessions);
        }

        /** Makes this server a node of a cluster (docs/cluster.md); null for a single server, the default. */
        public Builder cluster(@Nullable ClusterConfig config) {
            this.cluster = config;
            this.clusterRedis = config == null ? null : config.redis().toString();
            this.clusterNodeId = config == null ? null : config.nodeId();
            this.clusterAdvertise = config == null ? null : config.advertise();
            this.clusterDurableSessions = config != null && config.durableSessions();
            for (String key : List.of("clusterRedis", "clusterNodeId", "clusterAdvertise", "clusterDurableSessions")) {
                sources.remove(key);
            }
            return this;
        }

        /** The {@code unixSocket*} settings as a {@link UnixSocket}; null if no file is set (then nothing else may be). */
        private @Nullable UnixSocket unixSocketFromSettings() {
            if (unixSocket == null) {
                for (String key : List.of("unixSocketMode", "unixSocketOwner", "unixSocketGroup")) {
                    if (sources.containsKey(key)) {
                        throw new IllegalArgumentException(attributed(key) + key + " is set, but unixSocket is not");
                    }
                }
                return null;
            }
            return new UnixSocket(unixSocket, unixSocketPermissions, unixSocketOwner, unixSocketGroup);
        }

        /** A Unix domain socket to listen on besides the TCP port; null for none. */
        public Builder unixSocket(@Nullable UnixSocket socket) {
            this.unixSocket = socket == null ? null : socket.path();
            this.unixSocketOwner = socket == null ? null : socket.owner();
            this.unixSocketGroup = socket == null ? null : socket.group();
            this.unixSocketPermissions = socket == null ? null : socket.permissions();
            return this;
        }

        /** The {@code tls*} settings as a {@link ServerTls}; null if no certificate is set (then nothing else may be). */
        private @Nullable ServerTls tlsFromSettings() {
            if (tlsCert == null && tlsKey == null && tlsKeyStore == null) {
                for (String key : List.of("tlsClientAuth", "tlsClientCa", "tlsClientCrl", "tlsProtocols", "tlsProvider", "tlsKeyPassword",
                        "tlsKeyStorePassword", "tlsReloadInterval")) {
                    if (sources.containsKey(key)) {
                        throw new IllegalArgumentException(attributed(key) + key + " is set, but TLS is not: set tlsCert "
                                + "and tlsKey (PEM files), or tlsKeyStore (PKCS#12)");
                    }
                }
                return null;
            }
            try {
                return new ServerTls(tlsCert, tlsKey, tlsKeyPassword, tlsKeyStore, tlsKeyStorePassword, tlsClientAuth,
                        tlsClientCa, tlsClientCrl, tlsProtocols, tlsProvider, tlsReloadInterval);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid TLS settings" + sourceOf("tlsCert") + sourceOf("tlsKeyStore")
                        + ": " + e.getMessage(), e);
            }
        }

        private static Path path(String value) {
            if (value.isBlank()) {
                throw new IllegalArgumentException("expected a file name");
            }
            return Path.of(value.trim());
        }

        /** {@code "<source>: invalid <key>: "} if the key's value came through {@link #set}, else empty. */
        private String attributed(String key) {
            String source = sources.get(key);
            return source == null ? "" : source + ": invalid " + key + ": ";
        }

        /** {@code " (from <source>)"} if the key's value came through {@link #set}, else empty. */
        private String sourceOf(String key) {
            String source = sources.get(key);
            return source == null ? "" : " (from " + source + ")";
        }
    }
}

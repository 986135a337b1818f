package dev.conduit.zeromq;

import dev.conduit.protocol.Subjects;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The ZeroMQ gateway's settings (docs/zeromq.md): ZeroMQ sockets joining Conduit as peers over ZMTP
 * 3. Off unless {@code port} is set. They live in the server's settings, as the section {@code
 * zeromq} that {@link ZeroMqExtension} owns: the YAML section {@code zeromq:} with keys {@code port},
 * {@code host}, ..., or the keys {@code zeromqPort}, {@code zeromqHost}, ... of {@code
 * ServerConfig.Builder.set} (environment variables {@code CONDUIT_ZEROMQ_PORT}, ..., the CLI's
 * {@code --zmq-port}); {@code ServerConfig.extensions()} holds them as text, {@link #fromSettings}
 * reads them.
 *
 * <p>The gateway binds five ports, one per ZeroMQ pattern, from {@code port} up:
 * <pre>
 *   port     ZeroMQ PUB (or XPUB) peers connect here: [topic][payload] is published to subject topic
 *   port+1   ZeroMQ SUB peers connect here: Conduit messages on {@code exports} as [subject][payload]
 *   port+2   ZeroMQ REQ or DEALER peers: [subject][payload] is a Conduit request; reply [status][payload]
 *   port+3   ZeroMQ PUSH peers: [subject][payload] is published (without loss: PUSH waits for room)
 *   port+4   ZeroMQ REP workers: Conduit requests to {@code services} are handed to them in turn
 * </pre>
 * With {@code port} 0 each of the five gets a free port of its own.
 *
 * @param port              the first of the five ports; {@value #DISABLED} (the default) turns the gateway off
 * @param host              address to bind; empty for the server's {@code host}
 * @param exports           subject patterns whose messages ZeroMQ SUB peers may receive; none by default
 * @param services          subject patterns whose requests go to ZeroMQ REP workers; none by default
 * @param invalidTopics     what to do with a topic that is not a valid subject
 * @param highWaterMark     messages each ZeroMQ socket queues per peer, each way (ZMQ_SNDHWM and
 *                          ZMQ_RCVHWM); a SUB peer without room loses the message, counted
 * @param maxMessageBytes   the largest message part a ZeroMQ peer may send (ZMQ_MAXMSGSIZE); a peer
 *                          sending more is disconnected by the ZMTP layer
 * @param requestTimeout    how long a request (either way) waits for its reply
 * @param maxPendingRequests requests in flight at once, each way; past it a request is refused
 *                          (REQ peers get {@code ERROR 429}) or dropped (requests to workers)
 * @param queueCapacity     messages from Conduit waiting for the gateway thread (for SUB peers and
 *                          REP workers); past it they are dropped, counted
 * @param token             the credentials (token or JWT) of the gateway's own Conduit session, whose
 *                          principal's permissions then apply to everything ZeroMQ peers do; null
 *                          to connect without credentials
 * @param curveSecretKey    the gateway's CURVE secret key (40 Z85 characters): every port then
 *                          speaks CURVE as a server and plain ZeroMQ peers are refused; null for plain
 */
public record ZeroMqConfig(int port, String host, List<String> exports, List<String> services,
                           InvalidTopics invalidTopics, int highWaterMark, int maxMessageBytes,
                           Duration requestTimeout, int maxPendingRequests, int queueCapacity,
                           @Nullable String token, @Nullable String curveSecretKey) {
    /** The port value that turns the gateway off. */
    public static final int DISABLED = -1;
    /** The ports the gateway binds, from {@link #port} up. */
    public static final int PORTS = 5;

    /** Off; once on: the server's host, nothing exported, drop invalid topics, HWM 10,000, 5 s timeout. */
    public static final ZeroMqConfig DEFAULT = new ZeroMqConfig(DISABLED, "", List.of(), List.of(),
            InvalidTopics.DROP, 10_000, 1 << 20, Duration.ofSeconds(5), 10_000, 10_000, null, null);

    /** What the gateway does with a ZeroMQ topic that is not a valid Conduit subject. */
    public enum InvalidTopics {
        /** Drop the message, count it ({@code conduit.zeromq.dropped}, reason {@code invalid}) and log it. */
        DROP,
        /**
         * Replace what a subject may not hold by {@code _} (whitespace and control characters, and
         * {@code *} and {@code >}; an empty token becomes {@code _}), then publish; dropped as for
         * {@link #DROP} if even that is not valid (too long, not UTF-8).
         */
        REPLACE;

        static InvalidTopics parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("expected drop or replace");
            }
        }
    }

    public ZeroMqConfig {
        if (port != DISABLED && (port < 0 || port > 65535 - PORTS + 1)) {
            throw new IllegalArgumentException("zeromqPort must be -1, 0, or between 1 and " + (65535 - PORTS + 1)
                    + " (the gateway binds " + PORTS + " ports from it): " + port);
        }
        Objects.requireNonNull(host, "host");
        exports = List.copyOf(exports);
        exports.forEach(p -> Subjects.checkPattern(p, 65535));
        services = List.copyOf(services);
        services.forEach(p -> Subjects.checkPattern(p, 65535));
        Objects.requireNonNull(invalidTopics, "invalidTopics");
        if (highWaterMark < 1) {
            throw new IllegalArgumentException("zeromqHighWaterMark must be > 0: " + highWaterMark);
        }
        if (maxMessageBytes < 1) {
            throw new IllegalArgumentException("zeromqMaxMessageBytes must be > 0: " + maxMessageBytes);
        }
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new IllegalArgumentException("zeromqRequestTimeout must be > 0: " + requestTimeout);
        }
        if (maxPendingRequests < 1) {
            throw new IllegalArgumentException("zeromqMaxPendingRequests must be > 0: " + maxPendingRequests);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("zeromqQueueCapacity must be > 0: " + queueCapacity);
        }
        if (curveSecretKey != null && curveSecretKey.length() != 40) {
            throw new IllegalArgumentException("zeromqCurveSecretKey must be 40 Z85 characters (a 32-byte key)");
        }
    }

    /** Whether the gateway runs. */
    public boolean enabled() {
        return port != DISABLED;
    }

    /** The address to bind: {@code host} if set, else {@code serverHost}. */
    String boundHost(String serverHost) {
        return host.isEmpty() ? serverHost : host;
    }

    /**
     * The settings of the section (keys within it, as in {@code ServerConfig.extensions().get("zeromq")}):
     * the defaults, each key present replacing its value.
     *
     * @throws IllegalArgumentException naming the key, for an unknown key or a bad value
     */
    public static ZeroMqConfig fromSettings(Map<String, String> settings) {
        ZeroMqConfig config = DEFAULT;
        for (Map.Entry<String, String> e : settings.entrySet()) {
            try {
                config = config.with(e.getKey(), e.getValue());
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("invalid zeromq." + e.getKey() + ": " + ex.getMessage(), ex);
            }
        }
        return config;
    }

    /** The keys of the YAML {@code zeromq} section; each is the setting {@code zeromq} + the key capitalised. */
    static final List<String> SECTION_KEYS = List.of("port", "host", "exports", "services", "invalidTopics",
            "highWaterMark", "maxMessageBytes", "requestTimeout", "maxPendingRequests", "queueCapacity", "token",
            "curveSecretKey");

    /** This config with one setting changed, by its key without the {@code zeromq} prefix. */
    ZeroMqConfig with(String key, String value) {
        List<String> list = value.isBlank() ? List.of() : List.of(value.trim().split("\\s*,\\s*"));
        return switch (key) {
            case "port" -> new ZeroMqConfig(Integer.parseInt(value.trim()), host, exports, services, invalidTopics,
                    highWaterMark, maxMessageBytes, requestTimeout, maxPendingRequests, queueCapacity, token,
                    curveSecretKey);
            case "host" -> new ZeroMqConfig(port, value.trim(), exports, services, invalidTopics, highWaterMark,
                    maxMessageBytes, requestTimeout, maxPendingRequests, queueCapacity, token, curveSecretKey);
            case "exports" -> new ZeroMqConfig(port, host, list, services, invalidTopics, highWaterMark,
                    maxMessageBytes, requestTimeout, maxPendingRequests, queueCapacity, token, curveSecretKey);
            case "services" -> new ZeroMqConfig(port, host, exports, list, invalidTopics, highWaterMark,
                    maxMessageBytes, requestTimeout, maxPendingRequests, queueCapacity, token, curveSecretKey);
            case "invalidTopics" -> new ZeroMqConfig(port, host, exports, services, InvalidTopics.parse(value),
                    highWaterMark, maxMessageBytes, requestTimeout, maxPendingRequests, queueCapacity, token,
                    curveSecretKey);
            case "highWaterMark" -> new ZeroMqConfig(port, host, exports, services, invalidTopics,
                    Integer.parseInt(value.trim()), maxMessageBytes, requestTimeout, maxPendingRequests, queueCapacity,
                    token, curveSecretKey);
            case "maxMessageBytes" -> new ZeroMqConfig(port, host, exports, services, invalidTopics, highWaterMark,
                    Integer.parseInt(value.trim()), requestTimeout, maxPendingRequests, queueCapacity, token,
                    curveSecretKey);
            case "requestTimeout" -> new ZeroMqConfig(port, host, exports, services, invalidTopics, highWaterMark,
                    maxMessageBytes, dev.conduit.server.spi.SettingValues.duration(value), maxPendingRequests, queueCapacity, token,
                    curveSecretKey);
            case "maxPendingRequests" -> new ZeroMqConfig(port, host, exports, services, invalidTopics,
                    highWaterMark, maxMessageBytes, requestTimeout, Integer.parseInt(value.trim()), queueCapacity,
                    token, curveSecretKey);
            case "queueCapacity" -> new ZeroMqConfig(port, host, exports, services, invalidTopics, highWaterMark,
                    maxMessageBytes, requestTimeout, maxPendingRequests, Integer.parseInt(value.trim()), token,
                    curveSecretKey);
            case "token" -> new ZeroMqConfig(port, host, exports, services, invalidTopics, highWaterMark,
                    maxMessageBytes, requestTimeout, maxPendingRequests, queueCapacity,
                    value.isBlank() ? null : value.trim(), curveSecretKey);
            case "curveSecretKey" -> new ZeroMqConfig(port, host, exports, services, invalidTopics, highWaterMark,
                    maxMessageBytes, requestTimeout, maxPendingRequests, queueCapacity, token,
                    value.isBlank() ? null : value.trim());
            default -> throw new IllegalArgumentException("unknown setting (expected one of "
                    + String.join(", ", SECTION_KEYS) + ")");
        };
    }

    @Override
    public String toString() {
        return "ZeroMqConfig[port=" + port + ", host=" + host + ", exports=" + exports + ", services=" + services
                + ", invalidTopics=" + invalidTopics + ", highWaterMark=" + highWaterMark + ", maxMessageBytes="
                + maxMessageBytes + ", requestTimeout=" + requestTimeout + ", maxPendingRequests=" + maxPendingRequests
                + ", queueCapacity=" + queueCapacity + ", token=" + (token == null ? "none" : "(set)")
                + ", curveSecretKey=" + (curveSecretKey == null ? "none" : "(set)") + "]";
    }
}

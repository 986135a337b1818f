package dev.conduit.zeromq;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Credentials;
import dev.conduit.protocol.ConduitException;
import dev.conduit.server.spi.ServerContext;
import dev.conduit.server.spi.ServerExtension;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The server extension that runs the ZeroMQ gateway: it owns the settings section {@code zeromq}
 * (keys in {@link ZeroMqConfig}) and, when {@code zeromq.port} is set, starts a gateway with an
 * in-process Conduit session of its own once the server has bound its listeners. Found by {@link
 * java.util.ServiceLoader}; an application does not call it.
 */
public final class ZeroMqExtension implements ServerExtension {
    /** How long the gateway's session may take to drain when the server stops. */
    static final Duration STOP_DRAIN = Duration.ofSeconds(1);
    /** Running gateways by server id, for {@link ZeroMqGateway#of}. */
    private static final Map<String, ZmqGateway> RUNNING = new ConcurrentHashMap<>();

    /** For {@link java.util.ServiceLoader}. */
    public ZeroMqExtension() {
    }

    static @Nullable ZmqGateway running(String serverId) {
        return RUNNING.get(serverId);
    }

    @Override
    public String section() {
        return "zeromq";
    }

    @Override
    public void checkSetting(String key, String value) {
        ZeroMqConfig.DEFAULT.with(key, value);
    }

    @Override
    public @Nullable Running start(ServerContext context) {
        ZeroMqConfig config = ZeroMqConfig.fromSettings(context.settings());
        if (!config.enabled()) {
            return null;
        }
        AtomicReference<ZmqGateway> gateway = new AtomicReference<>();
        ClientOptions.Builder options = ClientOptions.builder().clientName("zeromq-gateway")
                .initialConnectJitter(Duration.ZERO)
                // Stopping: what ZeroMQ peers sent that the server has not confirmed gets this long
                // (the ZeroMQ sockets themselves close with linger 0, dropping what they queue).
                .drainTimeout(STOP_DRAIN)
                .listener(new ClientListener() {
                    @Override
                    public void onError(ConduitException error) {
                        ZmqGateway g = gateway.get();
                        if (g != null) {
                            g.refused(error);
                        }
                    }
                });
        if (config.token() != null) {
            Credentials credentials = Credentials.guess(config.token());
            options.credentials(() -> credentials);
        }
        Client client = Client.connect(options.build(), context.localConnector());
        ZmqGateway g;
        try {
            g = ZmqGateway.start(config, context.host(), client, context.clock(), context.limits().maxSubjectBytes(),
                    context.meterRegistry(), host -> context.admitConnection("ZeroMQ peer", host));
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
        gateway.set(g);
        context.countConnections("zeromq", () -> g.peers().count());
        RUNNING.put(context.serverId(), g);
        return () -> {
            RUNNING.remove(context.serverId(), g);
            context.uncountConnections("zeromq");
            g.close();
        };
    }
}

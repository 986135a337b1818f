package dev.conduit.server;

import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.server.spi.ServerContext;
import dev.conduit.server.spi.ServerExtension;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connector;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The {@link ServerContext} a {@link RoutingServer} gives each of its {@link ServerExtension}s, and
 * the list of those it started. Thread-safe: the registrations are a concurrent map of the server's.
 */
final class ExtensionContext implements ServerContext {
    private final RoutingServer server;
    private final String section;

    private ExtensionContext(RoutingServer server, String section) {
        this.server = server;
        this.section = section;
    }

    /**
     * Starts each extension on the class path (each decides from its settings whether it runs);
     * returns those that did, in start order. If one fails, those already started are stopped and
     * the failure is thrown.
     */
    static List<ServerExtension.Running> startAll(RoutingServer server, Extensions extensions) {
        List<ServerExtension.Running> started = new ArrayList<>();
        try {
            for (ServerExtension e : extensions.all()) {
                ServerExtension.Running r = e.start(new ExtensionContext(server, e.section()));
                if (r != null) {
                    started.add(r);
                }
            }
        } catch (RuntimeException e) {
            stopAll(started);
            throw e;
        }
        return started;
    }

    /** Stops the started extensions, the last started first; a failure is logged, the others still stop. */
    static void stopAll(List<ServerExtension.Running> started) {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).stop();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(ExtensionContext.class).warn("a server extension failed to stop", e);
            }
        }
    }

    @Override
    public String serverId() {
        return server.serverId();
    }

    @Override
    public String host() {
        return server.config().host();
    }

    @Override
    public ProtocolLimits limits() {
        return server.config().limits();
    }

    @Override
    public Clock clock() {
        return server.config().clock();
    }

    @Override
    public Map<String, String> settings() {
        return server.config().extensions().getOrDefault(section, Map.of());
    }

    @Override
    public Connector localConnector() {
        return server.localConnector();
    }

    @Override
    public MeterRegistry meterRegistry() {
        return server.meterRegistry();
    }

    @Override
    public @Nullable Runnable admitConnection(String what, String remoteHost) {
        return server.admitExternal(Objects.requireNonNull(what, "what"), Objects.requireNonNull(remoteHost, "remoteHost"));
    }

    @Override
    public void countConnections(String name, IntSupplier open) {
        server.stats().countConnections(Objects.requireNonNull(name, "name"), Objects.requireNonNull(open, "open"));
    }

    @Override
    public void uncountConnections(String name) {
        server.stats().countConnections(name, null);
    }
}

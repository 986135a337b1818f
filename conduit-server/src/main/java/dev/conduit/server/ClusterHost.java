package dev.conduit.server;

import dev.conduit.protocol.MessageBody;
import dev.conduit.server.spi.Backplane;
import dev.conduit.server.spi.BackplaneHost;
import dev.conduit.server.spi.BackplaneProvider;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Iterator;
import java.util.ServiceLoader;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The server as its {@link Backplane} sees it (docs/cluster.md), and where the backplane is found:
 * the first {@link BackplaneProvider} on the class or module path.
 */
final class ClusterHost implements BackplaneHost {
    private final RoutingServer server;

    ClusterHost(RoutingServer server) {
        this.server = server;
    }

    /** The backplane for a server with a {@code cluster} setting, not yet started. */
    static Backplane backplane(ClusterConfig config) {
        Iterator<BackplaneProvider> providers = ServiceLoader.load(BackplaneProvider.class,
                ClusterHost.class.getClassLoader()).iterator();
        if (!providers.hasNext()) {
            throw new IllegalStateException("cluster.redis is set (" + config.redis() + "), but no cluster backplane "
                    + "is on the class path: add the conduit-cluster module");
        }
        return providers.next().create(config);
    }

    @Override
    public String serverId() {
        return server.serverId();
    }

    @Override
    public long epoch() {
        return server.epoch();
    }

    @Override
    public java.util.concurrent.@Nullable ScheduledExecutorService eventLoops() {
        return server.transport().eventLoops();
    }

    @Override
    public String eventLoopKind() {
        return server.transport().kind();
    }

    @Override
    public MeterRegistry meterRegistry() {
        return server.meterRegistry();
    }

    @Override
    public int deliverRemote(MessageBody body, boolean request, @Nullable Set<String> groups) {
        return server.routeRemote(body, groups);
    }

    @Override
    public int deliverRemote(MessageBody body, boolean request, @Nullable Set<String> groups, Set<String> skip,
                             Set<String> hold) {
        return server.routeRemote(body, groups, skip, hold);
    }

    @Override
    public void exclusively(Runnable action) {
        moves().exclusively(action);
    }

    @Override
    public SessionOffer offerSession(dev.conduit.protocol.ResumeToken token, String principal) {
        return moves().offer(token, principal);
    }

    @Override
    public void leaveLocally(String sessionId) {
        moves().leaveLocally(sessionId);
    }

    @Override
    public java.util.concurrent.CompletableFuture<byte[]> handOver(String sessionId) {
        return moves().handOver(sessionId);
    }

    @Override
    public void keepSession(String sessionId) {
        moves().keep(sessionId);
    }

    @Override
    public void holdFor(SessionOffer offer) {
        moves().holdFor(offer);
    }

    @Override
    public void stopHolding(String sessionId) {
        moves().stopHolding(sessionId);
    }

    private SessionMoves moves() {
        return java.util.Objects.requireNonNull(server.moves(), "a server with a backplane moves sessions");
    }

    @Override
    public void durableLost(String sessionId, String reason) {
        ServerSession s = server.session(sessionId);
        if (s != null) {
            s.closeByAdministrator(reason);
        }
    }

    @Override
    public boolean deliverDurable(String sessionId, long number, dev.conduit.protocol.Frame frame) {
        ServerSession s = server.session(sessionId);
        if (s == null || s.state() == ServerSession.State.CLOSED) {
            return false;
        }
        s.outbound.durableFrame(number, frame);
        return true;
    }

    @Override
    public void noRespondersRemote(String replySubject) {
        server.noRespondersRemote(replySubject);
    }

    @Override
    public int gapRemote(@Nullable String subject, long count) {
        return server.gapRemote(subject, count);
    }
}

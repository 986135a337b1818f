package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.ResumeToken;
import dev.conduit.server.spi.BackplaneHost;
import java.lang.reflect.Proxy;
import java.security.SecureRandom;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MovesTest {
    private final ScheduledExecutorService control = new ScheduledThreadPoolExecutor(1);

    @AfterEach
    void stop() {
        control.shutdownNow();
    }

    /** The owner's presence: alive until {@link #alive} is cleared. */
    private static final class FakeCluster implements Moves.Cluster {
        final AtomicBoolean alive = new AtomicBoolean(true);
        final List<Batch.Control> sent = new CopyOnWriteArrayList<>();

        @Override
        public @Nullable String nodeOfEpoch(long epoch) {
            return alive.get() ? "owner" : null;
        }

        @Override
        public Set<String> liveNodes() {
            return alive.get() ? Set.of("owner") : Set.of();
        }

        @Override
        public void interest(Set<String> patterns, int delta) {
        }

        @Override
        public void reread(String node) {
        }

        @Override
        public void send(String node, Batch.Control control) {
            sent.add(control);
        }
    }

    @Test
    void aClaimWhoseOwnerDiesFailsAsGoneAndCancelsRatherThanWaitingForItsTimeout() {
        FakeCluster cluster = new FakeCluster();
        BackplaneHost host = (BackplaneHost) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BackplaneHost.class}, (proxy, method, args) -> null); // the claim does not reach it
        Moves moves = new Moves("claimer", host, control, cluster);
        ResumeToken token = ResumeToken.issue(42, "s-1", new SecureRandom());

        var claim = moves.claim(token, "alice");
        org.awaitility.Awaitility.await().until(() -> cluster.sent.stream().anyMatch(c -> c.op() == Moves.CLAIM));
        assertThat(claim).isNotDone(); // the owner lives: the claim waits for its offer
        cluster.alive.set(false); // kill -9: its presence key expires

        assertThatThrownBy(claim::get).isInstanceOf(ExecutionException.class)
                .hasMessageContaining("the node that held it is gone");
        assertThat(cluster.sent).extracting(Batch.Control::op).containsExactly(Moves.CLAIM, Moves.CANCEL);
    }
}

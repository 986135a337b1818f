package dev.conduit.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ConnectionState;
import dev.conduit.client.Message;
import dev.conduit.client.ServerInfo;
import dev.conduit.client.SessionLost;
import dev.conduit.testkit.FaultProxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The kit used together, as a user would: a Conduit client talking to the extension's server through the proxy. */
class FaultProxyClientTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final ConduitServerExtension server = ConduitServerExtension.create();

    private FaultProxy proxy;
    private Client client;
    private Watcher watcher;

    @BeforeEach
    void connectThroughProxy() throws Exception {
        proxy = FaultProxy.start(server.address());
        watcher = new Watcher();
        client = server.connect(b -> b.endpoints(proxy.endpoint()).listener(watcher)
                .reconnectBackoff(Duration.ofMillis(5), Duration.ofMillis(50)));
        client.flush(WAIT).get();
    }

    @AfterEach
    void closeProxy() {
        proxy.close();
    }

    @Test
    void aCutConnectionIsResumedAndNothingIsLost() throws Exception {
        Client local = server.connectLocal();
        CompletableFuture<Message> received = new CompletableFuture<>();
        local.subscribe("after.cut", received::complete);
        local.flush(WAIT).get();

        proxy.cutAll();
        client.publish("after.cut", "still here".getBytes(UTF_8));

        assertThat(received.get(WAIT.toSeconds(), TimeUnit.SECONDS).payloadAsString()).isEqualTo("still here");
        await().atMost(WAIT).until(() -> watcher.resumed.get() == 1 && client.state() == ConnectionState.OPEN);
        assertThat(proxy.cutCount()).isEqualTo(1);
        assertThat(watcher.lost).isEmpty();
    }

    @Test
    void aConnectionCutInTheMiddleOfAFrameIsResumedAndTheFrameSentAgainOnce() throws Exception {
        Client local = server.connectLocal();
        List<Message> received = new CopyOnWriteArrayList<>();
        local.subscribe("big.payload", received::add);
        local.flush(WAIT).get();
        proxy.cutAfterBytes(FaultProxy.Direction.TO_TARGET, 20);

        client.publish("big.payload", new byte[1000]);

        await().atMost(WAIT).until(() -> proxy.cutCount() >= 1);
        proxy.clearFaults();
        client.flush(WAIT).get();
        local.flush(WAIT).get();
        await().atMost(WAIT).until(() -> received.size() == 1);
        assertThat(watcher.resumed.get()).isEqualTo(1);
        client.publish("big.payload", new byte[1]);
        await().atMost(WAIT).until(() -> received.size() == 2);
        assertThat(received).extracting(m -> m.payload().length).containsExactly(1000, 1);
    }

    @Test
    void aBlackHoleLeavesTheClientWaitingOnAnOpenConnection() throws Exception {
        proxy.blackHole(true);
        client.publish("into.the.void", new byte[1]);

        assertThatThrownBy(() -> client.flush(Duration.ofMillis(300)).get())
                .isInstanceOf(ExecutionException.class).cause().hasMessageContaining("confirmed nothing for 300 ms");
        assertThat(client.state()).isEqualTo(ConnectionState.OPEN);

        proxy.blackHole(false);
        client.flush(WAIT).get();
        assertThat(watcher.resumed.get()).isZero();
    }

    /** Counts resumes and lost sessions. */
    private static final class Watcher implements ClientListener {
        final AtomicInteger resumed = new AtomicInteger();
        final List<SessionLost> lost = new CopyOnWriteArrayList<>();

        @Override
        public void onResumed(ServerInfo info) {
            resumed.incrementAndGet();
        }

        @Override
        public void onSessionLost(SessionLost event) {
            lost.add(event);
        }
    }
}

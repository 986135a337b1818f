package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.protocol.ResumeToken;
import dev.conduit.transport.Connection;
import dev.conduit.transport.Connector;
import dev.conduit.transport.Endpoint;
import dev.conduit.transport.FrameHandler;
import dev.conduit.transport.InMemoryConnector;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client configured with one endpoint learns another from the WELCOME's alternates (a cluster's
 * other node) and, when its own endpoint is gone, reconnects there: no GOAWAY needed.
 */
class WelcomeAlternatesTest {
    private static final Endpoint A = Endpoint.parse("tcp://a.example:1");
    private static final Endpoint B = Endpoint.parse("tcp://b.example:2");

    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    /** The endpoints the client asked for, in order. */
    private final List<Endpoint> asked = new CopyOnWriteArrayList<>();
    /** The server side of each connection made. */
    private final List<Connection> accepted = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    @Test
    void aNodeNamedInWelcomeIsWhereTheClientGoesWhenItsOwnEndpointIsGone() {
        InMemoryConnector servers = InMemoryConnector.create(this::node, executor);
        Connector connector = (endpoint, timeout, handlers) -> {
            asked.add(endpoint);
            if (endpoint.equals(A) && !accepted.isEmpty()) {
                return CompletableFuture.failedFuture(new ConnectException("connection refused: node a is gone"));
            }
            return servers.connect(endpoint, timeout, handlers);
        };
        try (Client client = Client.connect(ClientOptions.builder().endpoints(A.toString())
                .initialConnectJitter(Duration.ZERO).reconnectBackoff(Duration.ofMillis(1), Duration.ofMillis(10))
                .build(), connector)) {
            assertThat(client.serverInfo().serverId()).isEqualTo("node-1");

            accepted.get(0).abort(); // node a is gone, without a GOAWAY
            await().atMost(Duration.ofSeconds(10)).until(() -> client.state() == ConnectionState.OPEN
                    && "node-2".equals(client.serverInfo().serverId()));
            assertThat(asked).as("a first, then again (refused), then b, which only WELCOME named")
                    .startsWith(A, A).endsWith(B).containsOnly(A, B);
        }
    }

    /** The first connection is node a's, whose WELCOME names b; the next is b's, which names none. */
    private FrameHandler node(Connection c) {
        accepted.add(c);
        int n = accepted.size();
        ProtocolLimits l = ProtocolLimits.DEFAULT;
        return new FrameHandler() {
            @Override
            public void onFrame(Frame frame) {
                if (frame instanceof Frame.Hello) {
                    c.send(new Frame.Welcome(1, "node-" + n, "s" + n, n, false, 0, l.maxPayloadBytes(),
                            l.maxHeaderBytes(), l.maxSubjectBytes(), 0, 0, ResumeToken.issue(n, "s" + n, new java.util.Random(n)),
                            "", 0, n == 1 ? List.of(B.toString()) : List.of()));
                }
            }

            @Override
            public void onProtocolError(ProtocolException error, boolean inSync) {
            }

            @Override
            public void onClosed(Throwable cause) {
            }
        };
    }
}

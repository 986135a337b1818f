package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Subscription;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Messages another node of a cluster could not forward here (its send queue was full while Redis
 * was down) reach the local subscriptions that would have received them as a GAP of their count
 * ({@link RoutingServer#gapRemote}, behind {@code BackplaneHost.gapRemote}); queue-group members
 * are not told, and a count whose subjects are unknown goes to every subscription but $SYS and
 * inbox ones.
 */
class RemoteGapTest {
    private RoutingServer server;
    private Client client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void eachMatchingSubscriptionIsToldTheCountWithGap() {
        server = (RoutingServer) Server.create(ServerConfig.builder().port(0).httpPort(-1).build()).start();
        Map<String, Long> gaps = new ConcurrentHashMap<>();
        client = Client.connect(ClientOptions.builder().listener(new ClientListener() {
            @Override
            public void onGap(Subscription subscription, long dropped) {
                gaps.merge(subscription.pattern(), dropped, Long::sum);
            }
        }).build(), server.localConnector());
        client.subscribe("a.b", m -> { });
        client.subscribe("a.*", m -> { });
        client.subscribe("x.y", m -> { });
        client.subscribe("a.b", "workers", m -> { });
        client.flush(Duration.ofSeconds(10)).join(); // the server has every SUBSCRIBE

        assertThat(server.gapRemote("a.b", 5)).isEqualTo(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> gaps.size() == 2);
        assertThat(gaps).containsExactlyInAnyOrderEntriesOf(Map.of("a.b", 5L, "a.*", 5L));

        assertThat(server.gapRemote("nobody.here", 4)).isZero();
        assertThat(server.gapRemote(null, 3)).isEqualTo(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> gaps.getOrDefault("x.y", 0L) == 3);
        assertThat(gaps).containsExactlyInAnyOrderEntriesOf(Map.of("a.b", 8L, "a.*", 8L, "x.y", 3L));
    }
}

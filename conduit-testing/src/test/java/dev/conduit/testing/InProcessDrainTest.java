package dev.conduit.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.ConnectionState;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An in-process client's drain completes every step (the server confirms its UNSUBSCRIBE and
 * publishes, the connection closes) rather than waiting out its drain timeout. It used to wait the
 * whole timeout: the in-process connection did not end a read when a timer task ran behind the last
 * frame, so the server never sent the ACK the drain waits for. The drain timeout here is an hour, so
 * a drain that gives up at its deadline fails this test by the test's own timeout.
 */
class InProcessDrainTest {
    @RegisterExtension
    static final ConduitServerExtension server = ConduitServerExtension.create(b -> b);

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aDrainOfAnInProcessClientWithASubscriptionCompletesEveryStep() throws Exception {
        for (int i = 0; i < 5; i++) {
            Client client = Client.connect(ClientOptions.builder().clientName("drain-" + i)
                    .drainTimeout(Duration.ofHours(1)).build(), server.server().localConnector());
            client.subscribe("drain.test", m -> { });
            if (i % 2 == 0) {
                client.publish("drain.test", "x".getBytes(UTF_8));
            }
            client.drain().get();
            assertThat(client.state()).isEqualTo(ConnectionState.CLOSED);
        }
    }
}

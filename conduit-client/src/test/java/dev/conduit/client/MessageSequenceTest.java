package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The client checks the number of every MESSAGE and the ACKs it receives (docs/protocol.md section
 * 7a): a gap, a number that goes back, or an ACK beyond what it sent breaks the protocol; the
 * connection is dropped and the next HELLO names the last frame received in order.
 */
class MessageSequenceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static ClientOptions.Builder options() {
        return ClientOptions.builder().clientName("unit").initialConnectJitter(Duration.ZERO)
                .reconnectBackoff(Duration.ZERO, Duration.ZERO);
    }

    private static Frame.Message message(long seq, int sid, String payload) {
        return new Frame.Message(seq, sid, MessageBody.of("s", null, Headers.EMPTY,
                payload.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aMessageThatSkipsANumberDropsTheConnectionAndTheNextHelloNamesTheLastInOrder() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            CopyOnWriteArrayList<String> handled = new CopyOnWriteArrayList<>();
            client.subscribe("s", m -> handled.add(m.payloadAsString()));
            assertThat(server.next(Frame.Hello.class).resumeLastReceived()).isZero();
            int sid = server.next(Frame.Subscribe.class).subscriptionId();
            server.send(message(1, sid, "a"));
            server.send(message(0, sid, "b")); // unstated: takes number 2
            server.send(message(4, sid, "d")); // 3 is missing
            assertThat(server.next(Frame.Hello.class).resumeLastReceived()).isEqualTo(2);
            await().atMost(WAIT).until(() -> handled.size() >= 2);
            assertThat(handled).containsExactly("a", "b");
        }
    }

    @Test
    void aMessageNumberThatGoesBackIsAProtocolErrorAndIsNotDeliveredTwice() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            CopyOnWriteArrayList<String> handled = new CopyOnWriteArrayList<>();
            client.subscribe("s", m -> handled.add(m.payloadAsString()));
            server.next(Frame.Hello.class);
            int sid = server.next(Frame.Subscribe.class).subscriptionId();
            server.send(message(1, sid, "a"));
            server.send(message(2, sid, "b"));
            server.send(message(2, sid, "b again"));
            assertThat(server.next(Frame.Hello.class).resumeLastReceived()).isEqualTo(2);
            await().atMost(WAIT).until(() -> handled.size() >= 2);
            assertThat(handled).containsExactly("a", "b");
        }
    }

    @Test
    void inOrderMessagesAreAcknowledgedCumulatively() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            CopyOnWriteArrayList<String> handled = new CopyOnWriteArrayList<>();
            client.subscribe("s", m -> handled.add(m.payloadAsString()));
            int sid = server.next(Frame.Subscribe.class).subscriptionId();
            for (int i = 1; i <= 5; i++) {
                server.send(message(i, sid, Integer.toString(i)));
            }
            // ACKs are per read, so fewer than five may come; the last names the fifth.
            long acked = 0;
            while (acked < 5) {
                long next = server.next(Frame.Ack.class).sequence();
                assertThat(next).isGreaterThan(acked).isLessThanOrEqualTo(5);
                acked = next;
            }
            await().atMost(WAIT).until(() -> handled.size() == 5);
        }
    }

    @Test
    void anAckOf2To63OrMoreDropsTheConnectionButAStaleOneIsHarmless() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            server.next(Frame.Hello.class);
            client.publish("p", new byte[] {1});
            client.publish("p", new byte[] {2});
            assertThat(server.next(Frame.Publish.class).sequence()).isEqualTo(1);
            assertThat(server.next(Frame.Publish.class).sequence()).isEqualTo(2);
            client.flush(WAIT).get(); // the scripted server acknowledged both
            server.send(new Frame.Ack(1)); // stale: ignored
            server.send(new Frame.Ping(5));
            assertThat(server.next(Frame.Pong.class).token()).isEqualTo(5);
            assertThat(server.connections.get()).as("still the first connection").isEqualTo(1);
            server.send(new Frame.Ack(Long.MIN_VALUE)); // 2^63
            assertThat(server.next(Frame.Hello.class).resumeToken()).isNotEmpty();
        }
    }
}

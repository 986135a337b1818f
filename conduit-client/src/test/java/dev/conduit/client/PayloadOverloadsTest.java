package dev.conduit.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The String (UTF-8) and ByteBuffer forms of publish, request and reply send the same bytes as byte[]. */
class PayloadOverloadsTest {
    private static ClientOptions.Builder options() {
        return ClientOptions.builder().clientName("unit").initialConnectJitter(Duration.ZERO);
    }

    @Test
    void publishSendsAStringAsUtf8AndABuffersRemainingBytesWithoutMovingIt() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            client.publish("s", "grüße");
            assertThat(server.next(Frame.Publish.class).body().payload()).isEqualTo("grüße".getBytes(UTF_8));

            ByteBuffer buffer = ByteBuffer.wrap(new byte[] {0, 1, 2, 3, 4});
            buffer.position(1).limit(4);
            client.publish("b", buffer);
            assertThat(server.next(Frame.Publish.class).body().payload()).containsExactly(1, 2, 3);
            assertThat(buffer.position()).isEqualTo(1);
            assertThat(buffer.limit()).isEqualTo(4);

            ByteBuffer direct = ByteBuffer.allocateDirect(2).put((byte) 7).put((byte) 8).flip();
            client.publish("h", Headers.of("k", "v"), direct);
            Frame.Publish withHeaders = server.next(Frame.Publish.class);
            assertThat(withHeaders.body().payload()).containsExactly(7, 8);
            assertThat(withHeaders.body().headers().first("k")).isEqualTo("v");

            client.publish("hs", Headers.of("k", "w"), "x");
            Frame.Publish hs = server.next(Frame.Publish.class);
            assertThat(new String(hs.body().payload(), UTF_8)).isEqualTo("x");
            assertThat(hs.body().headers().first("k")).isEqualTo("w");
        }
    }

    @Test
    void aNullStringOrBufferIsRejectedAtTheCall() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            assertThatThrownBy(() -> client.publish("s", (String) null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("payload");
            assertThatThrownBy(() -> client.publish("s", (ByteBuffer) null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("payload");
        }
    }

    @Test
    void requestSendsAStringAndTheReplyIsTheFirstAnswer() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            CompletableFuture<Message> reply = client.request("svc", "ping", Duration.ofHours(1));
            int inbox = server.next(Frame.Subscribe.class).subscriptionId();
            Frame.Publish request = server.next(Frame.Publish.class);
            assertThat(new String(request.body().payload(), UTF_8)).isEqualTo("ping");
            server.send(new Frame.Message(0, inbox, MessageBody.of(request.body().replyTo(), null, Headers.EMPTY,
                    "pong".getBytes(UTF_8))));
            assertThat(reply.get(30, TimeUnit.SECONDS).payloadAsString()).isEqualTo("pong");

            CompletableFuture<Message> second = client.request("svc", Headers.of("a", "b"),
                    ByteBuffer.wrap(new byte[] {5}), Duration.ofHours(1));
            Frame.Publish request2 = server.next(Frame.Publish.class);
            assertThat(request2.body().payload()).containsExactly(5);
            assertThat(request2.body().headers().first("a")).isEqualTo("b");
            server.send(new Frame.Message(0, inbox, MessageBody.of(request2.body().replyTo(), null, Headers.EMPTY,
                    new byte[] {6})));
            assertThat(second.get(30, TimeUnit.SECONDS).payload()).containsExactly(6);
        }
    }

    @Test
    void replySendsAStringOrABufferToTheReplySubject() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            client.subscribe("svc", m -> {
                if (m.payloadAsString().equals("text")) {
                    m.reply("é");
                } else {
                    m.reply(Headers.of("t", "buf"), ByteBuffer.wrap(new byte[] {9, 9}));
                }
            });
            int sid = server.next(Frame.Subscribe.class).subscriptionId();
            server.send(new Frame.Message(0, sid, MessageBody.of("svc", "r.1", Headers.EMPTY, "text".getBytes(UTF_8))));
            Frame.Publish first = server.next(Frame.Publish.class);
            assertThat(first.body().subject()).isEqualTo("r.1");
            assertThat(first.body().payload()).isEqualTo("é".getBytes(UTF_8));
            server.send(new Frame.Message(0, sid, MessageBody.of("svc", "r.2", Headers.EMPTY, new byte[0])));
            Frame.Publish second = server.next(Frame.Publish.class);
            assertThat(second.body().subject()).isEqualTo("r.2");
            assertThat(second.body().payload()).containsExactly(9, 9);
            assertThat(second.body().headers().first("t")).isEqualTo("buf");
        }
    }
}

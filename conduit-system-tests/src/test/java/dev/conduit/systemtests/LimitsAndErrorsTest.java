package dev.conduit.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.client.Client;
import dev.conduit.client.ConnectFailedException;
import dev.conduit.client.Message;
import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.PayloadTooLargeException;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.testkit.RawFrameClient;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Size limits and hostile input over real sockets: the offender is cut off, nobody else notices. */
class LimitsAndErrorsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int MAX = ProtocolLimits.DEFAULT.maxPayloadBytes();

    @Test
    void payloadAtTheMaximumIsDelivered() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client sub = ts.client();
            BlockingQueue<Message> got = new ArrayBlockingQueue<>(1);
            sub.subscribe("big", got::add);
            sub.flush(WAIT).get();
            byte[] payload = new byte[MAX];
            Arrays.fill(payload, (byte) 7);
            payload[MAX - 1] = 9;
            Client pub = ts.client();
            assertThat(pub.serverInfo().limits().maxPayloadBytes()).isEqualTo(MAX);
            pub.publish("big", payload);
            Message m = got.poll(30, TimeUnit.SECONDS);
            assertThat(m).isNotNull();
            assertThat(m.payload()).isEqualTo(payload);
        }
    }

    @Test
    void theClientRefusesAPayloadOneByteOverTheMaximumBeforeSending() {
        try (TestServer ts = TestServer.start()) {
            Client pub = ts.client();
            assertThatThrownBy(() -> pub.publish("big", new byte[MAX + 1]))
                    .isInstanceOf(PayloadTooLargeException.class)
                    .hasMessageContaining(Integer.toString(MAX + 1));
        }
    }

    @Test
    void payloadOneByteOverIsRejectedWithAnErrorAndOnlyTheOffenderIsClosed() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client bystander = ts.client();
            BlockingQueue<Message> got = new ArrayBlockingQueue<>(10);
            bystander.subscribe("big", got::add);
            bystander.subscribe("svc.echo", m -> m.reply(m.payload()));
            bystander.flush(WAIT).get();

            try (RawFrameClient raw = RawFrameClient.open(ts.server.address())) {
                raw.send(new Frame.Publish(0, false, MessageBody.of("big", null, Headers.EMPTY, new byte[MAX + 1])));
                List<Frame> frames = raw.readUntilClosed();
                assertThat(frames).hasSize(1);
                Frame.Error error = (Frame.Error) frames.get(0);
                assertThat(error.errorCode()).isEqualTo(ErrorCode.PAYLOAD_TOO_LARGE);
                assertThat(error.fatal()).isTrue();
                assertThat(error.message()).contains(Integer.toString(MAX + 1));
            }
            assertThat(got).isEmpty();
            // The bystander is untouched: it still publishes, receives and answers.
            Client other = ts.client();
            other.publish("big", "small".getBytes(UTF_8));
            assertThat(got.poll(30, TimeUnit.SECONDS).payloadAsString()).isEqualTo("small");
            assertThat(other.requestAndWait("svc.echo", "still here".getBytes(UTF_8), WAIT).payloadAsString())
                    .isEqualTo("still here");
        }
    }

    @Test
    void aLengthPrefixOverTheFrameLimitClosesTheConnectionWithoutReadingIt() throws Exception {
        try (TestServer ts = TestServer.start()) {
            try (RawFrameClient raw = RawFrameClient.open(ts.server.address())) {
                raw.sendBytes(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x03, 0x00});
                List<Frame> frames = raw.readUntilClosed();
                assertThat(frames).hasSize(1);
                assertThat(((Frame.Error) frames.get(0)).errorCode()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
            }
            Client c = ts.client();
            c.subscribe("svc.ok", m -> m.reply(new byte[] {1}));
            c.flush(WAIT).get();
            assertThat(ts.client().requestAndWait("svc.ok", new byte[0], WAIT).payload()).containsExactly(1);
        }
    }

    @Test
    void garbageBeforeTheHandshakeIsRefused() throws Exception {
        try (TestServer ts = TestServer.start()) {
            try (RawFrameClient raw = new RawFrameClient(ts.server.address())) {
                raw.send(new Frame.Ping(1));
                List<Frame> frames = raw.readUntilClosed();
                assertThat(frames).hasSize(1);
                assertThat(((Frame.Error) frames.get(0)).errorCode()).isEqualTo(ErrorCode.UNEXPECTED_FRAME);
            }
        }
    }

    @Test
    void connectingWhereNothingListensFailsWithATypedError() throws Exception {
        int port;
        try (TestServer ts = TestServer.start()) {
            port = ts.server.address().getPort();
        }
        assertThatThrownBy(() -> Client.connect("tcp://127.0.0.1:" + port))
                .isInstanceOf(ConnectFailedException.class)
                .hasMessageContaining("127.0.0.1:" + port);
    }
}

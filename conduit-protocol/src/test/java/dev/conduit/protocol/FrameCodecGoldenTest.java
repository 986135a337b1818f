package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every frame type against the exact bytes of docs/protocol.md, section 12. */
class FrameCodecGoldenTest {

    static Stream<Arguments> examples() {
        return Stream.of(
                Arguments.of("HELLO", Frame.Hello.anonymous(1, "demo"),
                        "0000001a 01 00 0001 0001 0004 64656d6f 0000 0000 0000 0000000000000000"),
                Arguments.of("WELCOME", new Frame.Welcome(1, "CDT1", "s1", 1, false, 0, 1048576, 65536, 512, 0, 0),
                        "0000002e 02 00 0001 0004 43445431 0002 7331 0000000000000001 0000000000000000"
                                + " 00100000 00010000 0200 00000000 0000"),
                Arguments.of("SUBSCRIBE", new Frame.Subscribe(1, "demo.>", null),
                        "00000010 05 00 00000001 0006 64656d6f2e3e 0000"),
                Arguments.of("SUBSCRIBE queue", new Frame.Subscribe(2, "jobs.*", "workers"),
                        "00000017 05 00 00000002 0006 6a6f62732e2a 0007 776f726b657273"),
                Arguments.of("UNSUBSCRIBE", new Frame.Unsubscribe(2, 5), "0000000a 06 00 00000002 00000005"),
                Arguments.of("PUBLISH", new Frame.Publish(0, false, body("demo.x", null, Headers.EMPTY, "hi")),
                        "0000001e 03 00 0000000000000000 0006 64656d6f2e78 0000 00000000 00000002 6869"),
                Arguments.of("PUBLISH request", new Frame.Publish(0, true,
                                body("svc.echo", "_INBOX.ab.1", Headers.of("k", "v"), "ping")),
                        "00000035 03 01 0000000000000000 0008 7376632e6563686f 000b 5f494e424f582e61622e31"
                                + " 00000008 0001 0001 6b 0001 76 00000004 70696e67"),
                Arguments.of("MESSAGE", new Frame.Message(0, 1, body("demo.x", null, Headers.EMPTY, "hi")),
                        "00000022 04 00 0000000000000000 00000001 0006 64656d6f2e78 0000 00000000 00000002 6869"),
                Arguments.of("NO_RESPONDERS", new Frame.NoResponders("_INBOX.ab.1"),
                        "0000000f 07 00 000b 5f494e424f582e61622e31"),
                Arguments.of("PING", new Frame.Ping(7), "0000000a 08 00 0000000000000007"),
                Arguments.of("PONG", new Frame.Pong(7), "0000000a 09 00 0000000000000007"),
                Arguments.of("ERROR", new Frame.Error(ErrorCode.PAYLOAD_TOO_LARGE, true, "too big"),
                        "0000000d 0a 01 019e 0007 746f6f20626967"),
                Arguments.of("GOAWAY", new Frame.GoAway(503, 5000, "bye"), "0000000d 0b 00 01f7 00001388 0003 627965"),
                Arguments.of("ACK", new Frame.Ack(42), "0000000a 0c 00 000000000000002a"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void encodesToTheDocumentedBytes(String name, Frame frame, String hex) {
        byte[] expected = bytes(hex);
        ByteBuffer encoded = FrameCodec.encode(frame);
        byte[] actual = new byte[encoded.remaining()];
        encoded.get(actual);
        assertThat(HexFormat.of().formatHex(actual)).isEqualTo(HexFormat.of().formatHex(expected));
        assertThat(FrameCodec.encodedLength(frame)).isEqualTo(expected.length);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void decodesTheDocumentedBytes(String name, Frame frame, String hex) {
        ByteBuffer in = ByteBuffer.wrap(bytes(hex));
        Frame decoded = new FrameCodec(ProtocolLimits.DEFAULT).decode(in);
        assertThat(decoded).isEqualTo(frame);
        assertThat(decoded.type().name()).isEqualTo(name.split(" ")[0]);
        assertThat(in.hasRemaining()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void theDocumentShowsTheseBytes(String name, Frame frame, String hex) throws Exception {
        String doc = java.nio.file.Files.readString(docs());
        // The document groups bytes by 16 per line with spaces; compare without whitespace.
        String flatDoc = doc.replaceAll("\\s+", "");
        assertThat(flatDoc).contains(HexFormat.of().formatHex(bytes(hex)));
    }

    static java.nio.file.Path docs() {
        java.nio.file.Path p = java.nio.file.Path.of(System.getProperty("user.dir"));
        while (!java.nio.file.Files.exists(p.resolve("docs/protocol.md"))) {
            p = p.getParent();
        }
        return p.resolve("docs/protocol.md");
    }

    static MessageBody body(String subject, String reply, Headers headers, String payload) {
        return MessageBody.of(subject, reply, headers, payload.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }
}

package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every frame type against exact bytes, the same bytes, in the same order, as the worked examples
 * of docs/protocol.md section 12. A change to the wire format has to change all three: the codec,
 * this list and the document.
 */
class FrameCodecGoldenTest {
    private record Example(String name, Frame frame, String hex) {
        byte[] bytes() {
            return HexFormat.of().parseHex(hex.replace(" ", ""));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static final List<Example> EXAMPLES = List.of(
            new Example("HELLO", Frame.Hello.anonymous(1, "demo"),
                    "0000001a 01 00 0001 0001 0004 64656d6f 0000 0000 0000 0000000000000000"),
            new Example("WELCOME", new Frame.Welcome(1, "CDT1", "s1", 1, false, 0, 1048576, 65536, 512, 0, 0,
                    ResumeToken.decode(HexFormat.of().parseHex("0000000000000001" + "ab".repeat(32) + "7331")),
                    "_INBOX.q.", 0),
                    "00000065 02 00 0001 0004 43445431 0002 7331 0000000000000001 0000000000000000"
                            + " 00100000 00010000 0200 00000000 0000"
                            + " 002a 0000000000000001 " + "ab".repeat(32) + " 7331"
                            + " 0009 5f494e424f582e712e"),
            new Example("WELCOME with EXPIRES and ALTERNATES", new Frame.Welcome(1, "n1", "s2", 1, false, 0, 1048576,
                    65536, 512, 0, 0, null, "", 60_000, List.of("tcp://n2:7440", "tcp://n3:7440")),
                    "00000058 02 06 0001 0002 6e31 0002 7332 0000000000000001 0000000000000000"
                            + " 00100000 00010000 0200 00000000 0000 0000 0000 000000000000ea60"
                            + " 0002 000d 7463703a2f2f6e323a37343430 000d 7463703a2f2f6e333a37343430"),
            new Example("SUBSCRIBE", new Frame.Subscribe(1, "demo.>", null),
                    "00000010 05 00 00000001 0006 64656d6f2e3e 0000"),
            new Example("SUBSCRIBE with queue group", new Frame.Subscribe(2, "jobs.*", "workers"),
                    "00000017 05 00 00000002 0006 6a6f62732e2a 0007 776f726b657273"),
            new Example("SUBSCRIBE reliable, with credit", Frame.Subscribe.reliable(3, "seq.>", null, 1024, 1048576),
                    "00000017 05 02 00000003 0005 7365712e3e 0000 00000400 00100000"),
            new Example("UNSUBSCRIBE", new Frame.Unsubscribe(2, 5), "0000000a 06 00 00000002 00000005"),
            new Example("PUBLISH", new Frame.Publish(0, false, body("demo.x", null, Headers.EMPTY, "hi")),
                    "0000001e 03 00 0000000000000000 0006 64656d6f2e78 0000 00000000 00000002 6869"),
            new Example("PUBLISH request with reply subject and header",
                    new Frame.Publish(0, true, body("svc.echo", "_INBOX.ab.1", Headers.of("k", "v"), "ping")),
                    "00000035 03 01 0000000000000000 0008 7376632e6563686f 000b 5f494e424f582e61622e31"
                            + " 00000008 0001 0001 6b 0001 76 00000004 70696e67"),
            new Example("MESSAGE", new Frame.Message(1, 1, body("demo.x", null, Headers.EMPTY, "hi")),
                    "00000022 04 00 0000000000000001 00000001 0006 64656d6f2e78 0000 00000000 00000002 6869"),
            new Example("MESSAGE with non-ASCII subject and header",
                    new Frame.Message(2, 3, body("temp.zürich", null, Headers.of("unit", "°C"), "21.5")),
                    "00000037 04 00 0000000000000002 00000003 000c 74656d702e7ac3bc72696368 0000"
                            + " 0000000d 0001 0004 756e6974 0003 c2b043 00000004 32312e35"),
            new Example("NO_RESPONDERS", new Frame.NoResponders("_INBOX.ab.1"),
                    "0000000f 07 00 000b 5f494e424f582e61622e31"),
            new Example("PING", new Frame.Ping(7), "0000000a 08 00 0000000000000007"),
            new Example("PONG", new Frame.Pong(7), "0000000a 09 00 0000000000000007"),
            new Example("ERROR fatal", new Frame.Error(ErrorCode.PAYLOAD_TOO_LARGE, true, "too big"),
                    "0000000d 0a 01 019e 0007 746f6f20626967"),
            new Example("ERROR not fatal", new Frame.Error(ErrorCode.INVALID_SUBJECT, false, "bad subject"),
                    "00000011 0a 00 01a6 000b 626164207375626a656374"),
            new Example("GOAWAY", new Frame.GoAway(503, 5000, "bye"), "0000000d 0b 00 01f7 00001388 0003 627965"),
            new Example("GOAWAY normal close", new Frame.GoAway(200, 0, ""), "0000000a 0b 00 00c8 00000000 0000"),
            new Example("GOAWAY with ALTERNATES", new Frame.GoAway(503, 5000, "", List.of("tcp://n2:7440")),
                    "0000001b 0b 01 01f7 00001388 0000 0001 000d 7463703a2f2f6e323a37343430"),
            new Example("ACK", new Frame.Ack(42), "0000000a 0c 00 000000000000002a"),
            new Example("GAP", new Frame.Gap(3, 17), "0000000e 0d 00 00000003 0000000000000011"),
            new Example("GAP, subscription ended", new Frame.Gap(3, 250, true), "0000000e 0d 01 00000003 00000000000000fa"),
            new Example("AUTH", new Frame.Auth("token", "s3cret".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    "00000011 0e 00 0005 746f6b656e 0006 733363726574"),
            new Example("AUTH_OK", new Frame.AuthOk(60000), "0000000a 0f 00 000000000000ea60"),
            new Example("CREDIT", new Frame.Credit(3, 512, 8192),
                    "00000016 10 00 00000003 0000000000000200 0000000000002000"));

    static Stream<Arguments> examples() {
        return EXAMPLES.stream().map(e -> Arguments.of(e));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void encodesToTheGoldenBytes(Example e) {
        byte[] actual = toArray(FrameCodec.encode(e.frame()));
        assertThat(HexFormat.of().formatHex(actual)).isEqualTo(HexFormat.of().formatHex(e.bytes()));
        assertThat(FrameCodec.encodedLength(e.frame())).isEqualTo(e.bytes().length);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void decodesTheGoldenBytesToTheFrame(Example e) {
        ByteBuffer in = ByteBuffer.wrap(e.bytes());
        Frame decoded = new FrameCodec(ProtocolLimits.DEFAULT).decode(in);
        assertThat(decoded).isEqualTo(e.frame());
        assertThat(decoded.type()).isEqualTo(e.frame().type());
        assertThat(in.hasRemaining()).isFalse();
    }

    @Test
    void theDocumentShowsExactlyTheseFramesInThisOrder() {
        List<String> blocks = ProtocolDoc.codeBlocks(ProtocolDoc.section(12));
        assertThat(blocks).as("worked examples in docs/protocol.md section 12").hasSameSizeAs(EXAMPLES);
        for (int i = 0; i < EXAMPLES.size(); i++) {
            Example e = EXAMPLES.get(i);
            assertThat(HexFormat.of().formatHex(ProtocolDoc.exampleBytes(blocks.get(i))))
                    .as("example %d of section 12, %s", i + 1, e.name())
                    .isEqualTo(HexFormat.of().formatHex(e.bytes()));
        }
    }

    @Test
    void everyFrameTypeAndEveryFlagHasAnExample() {
        Set<FrameType> types = EnumSet.noneOf(FrameType.class);
        EXAMPLES.forEach(e -> types.add(e.frame().type()));
        assertThat(types).containsExactlyInAnyOrder(FrameType.values());
        // The defined flags: REQUEST on PUBLISH and FATAL on ERROR; RESUMED is reserved (always clear in v1).
        assertThat(EXAMPLES).anyMatch(e -> e.frame() instanceof Frame.Publish p && p.request())
                .anyMatch(e -> e.frame() instanceof Frame.Error err && err.fatal())
                .anyMatch(e -> e.frame() instanceof Frame.Error err && !err.fatal())
                .anyMatch(e -> e.frame() instanceof Frame.Welcome w && !w.alternates().isEmpty())
                .anyMatch(e -> e.frame() instanceof Frame.GoAway g && !g.alternates().isEmpty());
    }

    @Test
    void theFlagsByteCarriesEachDefinedFlag() {
        ByteBuffer resumed = FrameCodec.encode(new Frame.Welcome(1, "s", "t", 0, true, 9, 10, 10, 10, 0, 0));
        assertThat(resumed.get(5)).isEqualTo((byte) FrameCodec.FLAG_RESUMED);
        assertThat(new FrameCodec(ProtocolLimits.DEFAULT).decode(resumed)).isInstanceOfSatisfying(Frame.Welcome.class,
                w -> assertThat(w.resumed()).isTrue());
        ByteBuffer expires = FrameCodec.encode(new Frame.Welcome(1, "s", "t", 0, false, 9, 10, 10, 10, 0, 0, 60_000));
        assertThat(expires.get(5)).isEqualTo((byte) FrameCodec.FLAG_EXPIRES);
        assertThat(expires.remaining()).isEqualTo(FrameCodec.encode(
                new Frame.Welcome(1, "s", "t", 0, false, 9, 10, 10, 10, 0, 0)).remaining() + 8);
        assertThat(new FrameCodec(ProtocolLimits.DEFAULT).decode(expires)).isInstanceOfSatisfying(Frame.Welcome.class,
                w -> assertThat(w.credentialsValidMillis()).isEqualTo(60_000));
        Frame.Welcome plain = new Frame.Welcome(1, "s", "t", 0, false, 9, 10, 10, 10, 0, 0);
        ByteBuffer alternates = FrameCodec.encode(new Frame.Welcome(1, "s", "t", 0, false, 9, 10, 10, 10, 0, 0, null, "",
                0, List.of("tcp://b:1")));
        assertThat(alternates.get(5)).isEqualTo((byte) FrameCodec.FLAG_WELCOME_ALTERNATES);
        assertThat(alternates.remaining()).isEqualTo(FrameCodec.encode(plain).remaining() + 2 + 2 + "tcp://b:1".length());
        assertThat(new FrameCodec(ProtocolLimits.DEFAULT).decode(alternates)).isInstanceOfSatisfying(Frame.Welcome.class,
                w -> assertThat(w.alternates()).containsExactly("tcp://b:1"));
        assertThat(FrameCodec.FLAG_WELCOME_ALTERNATES).isEqualTo(0x04);
        assertThat(FrameCodec.FLAG_REQUEST).isEqualTo(0x01);
        assertThat(FrameCodec.FLAG_FATAL).isEqualTo(0x01);
    }

    private static MessageBody body(String subject, String reply, Headers headers, String payload) {
        return MessageBody.of(subject, reply, headers, payload.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] toArray(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}

package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the decoder rejects, with which code (docs/protocol.md section 11), and where it leaves the
 * stream. A bad length prefix leaves the buffer where it was: the stream cannot be framed any more.
 * Any other failure leaves it after the bad frame, so that a 422 can be answered without closing.
 */
class FrameCodecRejectionTest {
    private static final ProtocolLimits LIMITS = new ProtocolLimits(1000, 500, 32);
    private static final byte[] PING = FrameCodec.encode(new Frame.Ping(99)).array();
    private final FrameCodec codec = new FrameCodec(LIMITS);

    @ParameterizedTest
    @ValueSource(longs = {65537, 0x7FFF_FFFFL, 0xFFFF_FFFFL})
    void aLengthOverTheMaximumIs413BeforeTheFrameArrives(long length) {
        ByteBuffer in = ByteBuffer.allocate(4).putInt((int) length).flip();
        assertThat(LIMITS.maxFrameBytes()).isEqualTo(65536);
        FrameTooLargeException e = catchThrowableOfType(FrameTooLargeException.class, () -> codec.decode(in));
        assertThat(e.code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        assertThat(e).hasMessage("frame length " + length + " exceeds the maximum of 65536 bytes");
        assertThat(in.position()).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void aLengthTooShortForTypeAndFlagsIs400(int length) {
        ByteBuffer in = ByteBuffer.allocate(8).putInt(length).putInt(0).flip();
        MalformedFrameException e = catchThrowableOfType(MalformedFrameException.class, () -> codec.decode(in));
        assertThat(e.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
        assertThat(in.position()).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x11, 0x7E, 0xFF})
    void anUnknownTypeIs400AndSkipped(int type) {
        UnknownFrameTypeException e = rejectedInSync(UnknownFrameTypeException.class, frame(type, 0, new Body().u64(1)));
        assertThat(e.type()).isEqualTo(type);
        assertThat(e).hasMessage(String.format("unknown frame type: 0x%02x", type));
    }

    @ParameterizedTest
    @EnumSource(FrameType.class)
    void undefinedFlagBitsAre400(FrameType type) {
        byte[] valid = FrameCodec.encode(new RandomFrames(new java.util.Random(type.code()), 100).next(type)).array();
        boolean hasFlag = type == FrameType.WELCOME || type == FrameType.PUBLISH || type == FrameType.ERROR
                || type == FrameType.SUBSCRIBE || type == FrameType.GOAWAY || type == FrameType.GAP;
        // WELCOME defines three flags (RESUMED, EXPIRES, ALTERNATES), SUBSCRIBE two (DISCONNECT_WHEN_SLOW,
        // CREDIT); the others one each.
        int defined = type == FrameType.WELCOME ? 3 : type == FrameType.SUBSCRIBE ? 2 : hasFlag ? 1 : 0;
        for (int bit = defined; bit < 8; bit++) {
            byte[] bad = valid.clone();
            bad[5] = (byte) (1 << bit);
            MalformedFrameException e = rejectedInSync(MalformedFrameException.class, bad);
            assertThat(e).hasMessage(String.format("%s frame has undefined flag bits 0x%02x", type, 1 << bit));
        }
    }

    @Test
    void bytesLeftOverOrMissingAre400() {
        assertThat(rejectedInSync(MalformedFrameException.class, frame(0x08, 0, new Body().u64(1).u8(0))))
                .hasMessage("PING frame has 1 bytes after its last field");
        assertThat(rejectedInSync(MalformedFrameException.class, frame(0x08, 0, new Body().u32(1))))
                .hasMessage("PING frame ends before its last field");
        assertThat(rejectedInSync(MalformedFrameException.class, frame(0x0A, 0, new Body().u16(400).u16(9).raw("abc"))))
                .hasMessage("error message length 9 overruns the frame (3 bytes left)");
        assertThat(rejectedInSync(MalformedFrameException.class, frame(0x01, 0, new Body().u16(1).u16(1).u16(0).u16(0)
                .u16(5).raw("ab")))).hasMessage("credentials length 5 overruns the frame (2 bytes left)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"c080", "eda080", "f4908080", "e697", "ff", "80", "c3"})
    void malformedUtf8Is400(String hex) {
        byte[] bad = java.util.HexFormat.of().parseHex(hex);
        MalformedFrameException e = rejectedInSync(MalformedFrameException.class,
                frame(0x0A, 0, new Body().u16(400).u16(bad.length + 1).raw("a").raw(bad)));
        assertThat(e).hasMessage("error message is not valid UTF-8");
    }

    @Test
    void invalidSubjectsAre422AndLeaveTheStreamInSync() {
        assertThat(rejectedInSync(InvalidSubjectException.class, publish("a..b", "", 0)))
                .hasMessage("invalid subject 'a..b': empty token at index 2");
        assertThat(rejectedInSync(InvalidSubjectException.class, publish("a.*", "", 0)))
                .hasMessage("invalid subject 'a.*': wildcard '*' is only allowed in subscription patterns");
        assertThat(rejectedInSync(InvalidSubjectException.class, publish("a", "r.>", 0)))
                .hasMessage("invalid subject 'r.>': wildcard '>' is only allowed in subscription patterns");
        assertThat(rejectedInSync(InvalidSubjectException.class, publish("s".repeat(33), "", 0)))
                .hasMessage("subject of 33 bytes is longer than 32 bytes");
        assertThat(rejectedInSync(InvalidSubjectException.class, subscribe("a.>.b", "")))
                .hasMessage("invalid pattern 'a.>.b': '>' must be the last token");
        assertThat(rejectedInSync(InvalidSubjectException.class, subscribe("a.*", "q.1")))
                .hasMessage("invalid queue group 'q.1': character '.' at index 1 is not allowed");
        assertThat(rejectedInSync(InvalidSubjectException.class, subscribe("a", "q".repeat(40))))
                .hasMessage("queue group of 40 bytes is longer than 32 bytes");
        assertThat(rejectedInSync(InvalidSubjectException.class, frame(0x07, 0, new Body().str(""))))
                .hasMessage("subject must not be empty");
    }

    @Test
    void aSubjectErrorNamesTheFrameItWasFoundIn() {
        // So that a server counts a refused PUBLISH or SUBSCRIBE in the sequence, and answers a
        // MESSAGE or NO_RESPONDERS from a client with 460 (docs/protocol.md 7a, 11).
        assertThat(rejectedInSync(InvalidSubjectException.class, publish("a..b", "", 0)).frameType())
                .isEqualTo(FrameType.PUBLISH);
        assertThat(rejectedInSync(InvalidSubjectException.class, subscribe("a", "q.1")).frameType())
                .isEqualTo(FrameType.SUBSCRIBE);
        assertThat(rejectedInSync(InvalidSubjectException.class, frame(0x07, 0, new Body().str(""))).frameType())
                .isEqualTo(FrameType.NO_RESPONDERS);
        assertThat(rejectedInSync(InvalidSubjectException.class, frame(0x04, 0,
                new Body().u64(1).u32(1).str("a b").str("").u32(0).u32(0))).frameType()).isEqualTo(FrameType.MESSAGE);
        assertThat(new InvalidSubjectException("not from a frame").frameType()).isNull();
    }

    @Test
    void aSubjectLengthOverTheLimitIsRefusedEvenIfTheBytesAreNotThere() {
        // The u16 claims 40 bytes but only 1 follows: the limit is checked first, and nothing is read.
        assertThat(rejectedInSync(InvalidSubjectException.class, frame(0x03, 0, new Body().u64(0).u16(40).raw("a"))))
                .hasMessage("subject of 40 bytes is longer than 32 bytes");
    }

    @Test
    void aPayloadOverTheLimitIs414() {
        PayloadTooLargeException e = rejectedInSync(PayloadTooLargeException.class, publish("a", "", 1001));
        assertThat(e).hasMessage("payload of 1001 bytes exceeds the maximum of 1000 bytes");
        assertThat(decodeAll(publish("a", "", 1000))).isInstanceOf(Frame.Publish.class);
        // The claim alone decides: 0xFFFFFFFF is read unsigned, not as -1.
        assertThat(rejectedInSync(PayloadTooLargeException.class, frame(0x03, 0,
                new Body().u64(0).str("a").str("").u32(0).u32(0xFFFF_FFFFL)))).hasMessageContaining("4294967295");
    }

    @Test
    void aHeaderBlockOverTheLimitIs431AndOneThatOverrunsTheFrameIs400() {
        assertThat(rejectedInSync(HeadersTooLargeException.class, frame(0x03, 0,
                new Body().u64(0).str("a").str("").u32(501).u32(0)))).hasMessageContaining("501 bytes");
        assertThat(rejectedInSync(MalformedFrameException.class, frame(0x03, 0,
                new Body().u64(0).str("a").str("").u32(500).u32(0)))).hasMessageContaining("header block length 500 overruns");
    }

    @Test
    void impossibleWelcomeAndGoAwayValuesAre400() {
        assertThat(rejectedInSync(MalformedFrameException.class, welcome(ProtocolLimits.MAX_PAYLOAD_BYTES_CAP + 1L, 0, 1, 0)))
                .hasMessageStartingWith("WELCOME announces impossible limits: maxPayloadBytes");
        assertThat(rejectedInSync(MalformedFrameException.class, welcome(0, 0, 0, 0)))
                .hasMessageContaining("maxSubjectBytes");
        assertThat(rejectedInSync(MalformedFrameException.class, welcome(0, 0, 1, 0x8000_0000L)))
                .hasMessage("WELCOME announces a negative heartbeat interval: -2147483648");
        assertThat(rejectedInSync(MalformedFrameException.class, frame(0x0B, 0, new Body().u16(503).u32(0x8000_0000L).str(""))))
                .hasMessage("GOAWAY drain time is negative: -2147483648");
    }

    @Test
    void aBadListOfAlternatesIs400InWelcomeAndGoAway() {
        Body twoUrls = new Body().u16(2).str("tcp://a:1").str("tcp://b:2");
        assertThat(((Frame.Welcome) decodeAll(welcome(0x04, twoUrls))).alternates()).containsExactly("tcp://a:1", "tcp://b:2");
        assertThat(((Frame.GoAway) decodeAll(goAway(twoUrls))).alternates()).containsExactly("tcp://a:1", "tcp://b:2");
        Body sixtyFour = new Body().u16(64);
        for (int i = 0; i < 64; i++) {
            sixtyFour.str("tcp://h:" + i);
        }
        assertThat(((Frame.Welcome) decodeAll(welcome(0x04, sixtyFour))).alternates()).hasSize(64);

        assertThat(rejectedInSync(MalformedFrameException.class, welcome(0x04, new Body().u16(0))))
                .hasMessage("WELCOME names 0 alternates; with ALTERNATES it names 1 to 64");
        Body sixtyFive = new Body().u16(65);
        for (int i = 0; i < 65; i++) {
            sixtyFive.str("");
        }
        assertThat(rejectedInSync(MalformedFrameException.class, welcome(0x04, sixtyFive)))
                .hasMessage("WELCOME names 65 alternates; with ALTERNATES it names 1 to 64");
        assertThat(rejectedInSync(MalformedFrameException.class, goAway(new Body().u16(0xFFFF))))
                .hasMessage("GOAWAY names 65535 alternates; with ALTERNATES it names 1 to 64");
        assertThat(rejectedInSync(MalformedFrameException.class, welcome(0x04, new Body().u16(9).str("tcp://a:1"))))
                .hasMessage("WELCOME names 9 alternates but has 11 bytes left");
        assertThat(rejectedInSync(MalformedFrameException.class, welcome(0x04, new Body().u16(2).str("tcp://a:1").u16(40))))
                .hasMessage("alternate endpoint length 40 overruns the frame (0 bytes left)");
        assertThat(rejectedInSync(MalformedFrameException.class, welcome(0x04, new Body().u16(1).u16(2).u8(0xC3).u8(0x28))))
                .hasMessageContaining("alternate endpoint");
        assertThat(rejectedInSync(MalformedFrameException.class, welcome(0x04, new Body())))
                .hasMessage("WELCOME frame ends before its last field");
        assertThat(rejectedInSync(MalformedFrameException.class, welcome(0x00, twoUrls)))
                .hasMessage("WELCOME frame has 24 bytes after its last field");
        // With EXPIRES too, the list follows the validity.
        Frame.Welcome both = (Frame.Welcome) decodeAll(welcome(0x06, new Body().u64(5000).u16(1).str("tcp://a:1")));
        assertThat(both.credentialsValidMillis()).isEqualTo(5000);
        assertThat(both.alternates()).containsExactly("tcp://a:1");
    }

    @Test
    void aFrameNamingMoreThan64AlternatesCannotBeMade() {
        List<String> many = java.util.stream.IntStream.range(0, 65).mapToObj(i -> "tcp://h:" + i).toList();
        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> new Frame.GoAway(503, 0, "", many)))
                .hasMessage("at most 64 alternates: 65");
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> new Frame.Welcome(1, "s", "t", 0, false, 0, 10, 10, 10, 0, 0, null, "", 0, many)))
                .hasMessage("at most 64 alternates: 65");
    }

    @Test
    void unsignedFieldsDecodeUnsigned() {
        Frame.Unsubscribe u = (Frame.Unsubscribe) decodeAll(frame(0x06, 0, new Body().u32(0xFFFF_FFFFL).u32(0xFFFF_FFFFL)));
        assertThat(u.afterMessages()).isEqualTo(0xFFFF_FFFFL);
        assertThat(u.subscriptionId()).isEqualTo(-1); // the id is 32 opaque bits, carried in an int
        Frame.Error e = (Frame.Error) decodeAll(frame(0x0A, 1, new Body().u16(0xFFFF).str("")));
        assertThat(e.code()).isEqualTo(0xFFFF);
        assertThat(e.errorCode()).isNull();
        assertThat(e.fatal()).isTrue();
    }

    /** Decodes {@code bad} followed by a PING: {@code bad} must fail with {@code type}, then the PING decode. */
    private <T extends ProtocolException> T rejectedInSync(Class<T> type, byte[] bad) {
        ByteBuffer in = ByteBuffer.allocate(bad.length + PING.length).put(bad).put(PING).flip();
        T e = catchThrowableOfType(type, () -> codec.decode(in));
        assertThat(e).as("decoding %s", java.util.HexFormat.of().formatHex(bad)).isNotNull();
        assertThat(in.position()).as("position after the rejected frame").isEqualTo(bad.length);
        assertThat(codec.decode(in)).isEqualTo(new Frame.Ping(99));
        return e;
    }

    private Frame decodeAll(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        Frame f = codec.decode(in);
        assertThat(in.hasRemaining()).isFalse();
        return f;
    }

    private static byte[] publish(String subject, String reply, int payloadBytes) {
        return frame(0x03, 0, new Body().u64(0).str(subject).str(reply).u32(0).u32(payloadBytes).raw(new byte[payloadBytes]));
    }

    private static byte[] subscribe(String pattern, String group) {
        return frame(0x05, 0, new Body().u32(1).str(pattern).str(group));
    }

    /** A valid WELCOME with these flags and {@code tail} after the inbox prefix. */
    private static byte[] welcome(int flags, Body tail) {
        return frame(0x02, flags, new Body().u16(1).str("s").str("t").u64(0).u64(0).u32(100).u32(100)
                .u16(10).u32(0).u16(0).u16(0).str("").raw(tail.out.toByteArray()));
    }

    private static byte[] goAway(Body alternates) {
        return frame(0x0B, 0x01, new Body().u16(503).u32(0).str("").raw(alternates.out.toByteArray()));
    }

    private static byte[] welcome(long maxPayload, long maxHeader, int maxSubject, long heartbeat) {
        return frame(0x02, 0, new Body().u16(1).str("s").str("t").u64(0).u64(0).u32(maxPayload).u32(maxHeader)
                .u16(maxSubject).u32(heartbeat).u16(0).u16(0).str(""));
    }

    private static byte[] frame(int type, int flags, Body body) {
        byte[] b = body.out.toByteArray();
        return ByteBuffer.allocate(6 + b.length).putInt(2 + b.length).put((byte) type).put((byte) flags).put(b).array();
    }

    /** Writes fields by hand, so that tests can write what the encoder never would. */
    private static final class Body {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Body u8(int v) {
            out.write(v);
            return this;
        }

        Body u16(int v) {
            return u8(v >> 8).u8(v);
        }

        Body u32(long v) {
            return u16((int) (v >> 16)).u16((int) v);
        }

        Body u64(long v) {
            return u32(v >>> 32).u32(v);
        }

        Body raw(String s) {
            return raw(s.getBytes(StandardCharsets.UTF_8));
        }

        Body raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Body str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u16(b.length).raw(b);
        }
    }
}

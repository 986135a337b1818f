package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A peer controls every length the decoder reads. None of them may make the decoder allocate: it
 * must allocate for the bytes that actually arrived, never for the bytes a length claims. The
 * widest limits are used so that allocating for a claim would show as megabytes.
 */
class FrameCodecAllocationTest {
    private static final ProtocolLimits WIDEST = new ProtocolLimits(ProtocolLimits.MAX_PAYLOAD_BYTES_CAP, 1 << 20, 0xFFFF);
    /** Room for an exception with its stack trace and message, and a few small objects. Measured steady. */
    private static final long SMALL = 8 << 10;

    @Test
    void aLengthPrefixOverTheMaximumIsRejectedWithoutAllocatingForIt() {
        for (ProtocolLimits limits : List.of(ProtocolLimits.DEFAULT, WIDEST)) {
            FrameCodec codec = new FrameCodec(limits);
            for (long claim : new long[] {0xFFFF_FFFFL, 0x7FFF_FFFFL, limits.maxFrameBytes() + 1L}) {
                ByteBuffer in = ByteBuffer.allocate(6).putInt((int) claim).put((byte) 3).put((byte) 0).flip();
                assertThatThrownBy(() -> codec.decode(in)).isInstanceOf(FrameTooLargeException.class);
                assertThat(Allocation.steady(() -> codec.decode(in.rewind()))).as("claim %d", claim).isLessThan(SMALL);
                assertThat(in.position()).isZero();
            }
        }
    }

    @Test
    void aLegalLengthWithLittleDataWaitsWithoutAllocatingForTheClaim() {
        FrameCodec codec = new FrameCodec(WIDEST);
        int max = WIDEST.maxFrameBytes();
        for (int claim : new int[] {max, max - 1, max - 1000, 1 << 20}) {
            ByteBuffer in = ByteBuffer.allocate(100).putInt(claim).put((byte) 3).put((byte) 0).flip();
            Frame[] result = new Frame[1];
            long allocated = Allocation.steady(() -> result[0] = codec.decode(in));
            assertThat(result[0]).isNull();
            assertThat(allocated).as("claim %d", claim).isLessThan(SMALL);
            assertThat(in.position()).isZero();
        }
    }

    @Test
    void lengthsInsideTheFrameAreCheckedBeforeAnythingIsAllocatedForThem() {
        for (ProtocolLimits limits : List.of(ProtocolLimits.DEFAULT, WIDEST)) {
            FrameCodec codec = new FrameCodec(limits);
            for (byte[] bytes : claims(codec)) {
                assertThatThrownBy(() -> codec.decode(ByteBuffer.wrap(bytes))).isInstanceOf(ProtocolException.class);
                long allocated = Allocation.steady(() -> codec.decode(ByteBuffer.wrap(bytes)));
                assertThat(allocated).as("%s: %s", limits, java.util.HexFormat.of().formatHex(bytes)).isLessThan(SMALL);
            }
        }
    }

    /**
     * What the decoder does allocate is proportional to the frame that arrived: a payload array,
     * the strings (Java's String construction copies, and non-ASCII text takes two bytes a char),
     * the header array. Measured today: 2x for ASCII strings, up to 3.5x for non-ASCII, about 1x
     * for payloads. The bound here is 4x the frame, so a regression to allocating per claim, or a
     * quadratic copy, fails it.
     */
    @Test
    void whatIsAllocatedIsBoundedByTheBytesThatArrived() {
        FrameCodec codec = new FrameCodec(ProtocolLimits.DEFAULT);
        String value = "ж".repeat(15_000);
        List<Frame> frames = List.of(
                new Frame.Hello(1, 1, "a".repeat(65_535), "ж".repeat(32_767), new byte[65_535], new byte[65_535], 0),
                new Frame.Error(400, true, "😀".repeat(16_383)),
                new Frame.Publish(0, false, MessageBody.of("a", "b", Headers.of("k", value, "l", value.substring(2)),
                        new byte[1 << 20])),
                new Frame.Message(0, 1, MessageBody.of("s".repeat(512), null, Headers.EMPTY, new byte[1 << 20])),
                new Frame.Ping(1));
        for (Frame f : frames) {
            ByteBuffer bytes = FrameCodec.encode(f);
            int size = bytes.remaining();
            long allocated = Allocation.steady(() -> codec.decode(bytes.duplicate()));
            assertThat(codec.decode(bytes.duplicate())).isEqualTo(f);
            assertThat(allocated).as("%s of %d bytes", f.type(), size).isLessThanOrEqualTo(4L * size + SMALL);
        }
    }

    /** Valid frames but for one inner length that claims far more than the frame holds. */
    private static List<byte[]> claims(FrameCodec codec) {
        ProtocolLimits l = codec.limits();
        int subject = l.maxSubjectBytes();
        return List.of(
                // PUBLISH whose payload length claims the maximum payload
                frame(3, b -> b.putLong(0).putShort((short) 1).put((byte) 'a').putShort((short) 0).putInt(0)
                        .putInt(l.maxPayloadBytes())),
                // ... and 0xFFFFFFFF
                frame(3, b -> b.putLong(0).putShort((short) 1).put((byte) 'a').putShort((short) 0).putInt(0).putInt(-1)),
                // a header block length at the maximum, with 2 bytes of block present
                frame(3, b -> b.putLong(0).putShort((short) 1).put((byte) 'a').putShort((short) 0)
                        .putInt(l.maxHeaderBytes()).putShort((short) 1)),
                // a header count of 65535 in a 6-byte block
                frame(3, b -> b.putLong(0).putShort((short) 1).put((byte) 'a').putShort((short) 0).putInt(6)
                        .putShort((short) -1).putShort((short) 1).put((byte) 'k').put((byte) 0).putInt(0)),
                // a subject length at the maximum subject, with 1 byte present
                frame(3, b -> b.putLong(0).putShort((short) subject).put((byte) 'a')),
                // HELLO strings and byte strings claiming 65535 bytes
                frame(1, b -> b.putShort((short) 1).putShort((short) 1).putShort((short) -1).put((byte) 'a')),
                frame(1, b -> b.putInt(0x0001_0001).putInt(0).putShort((short) -1).put((byte) 'a')),
                frame(10, b -> b.putShort((short) 400).putShort((short) -1).put((byte) 'a')));
    }

    private static byte[] frame(int type, java.util.function.Consumer<ByteBuffer> body) {
        ByteBuffer b = ByteBuffer.allocate(64).putInt(0).put((byte) type).put((byte) 0);
        body.accept(b);
        b.putInt(0, b.position() - 4);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }
}

package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Hostile bytes: random and mutated frames must either decode, ask for more bytes, or fail with the
 * codec's own typed exception, and never make the decoder allocate more than one maximum frame.
 * Seeded and bounded, so a failure names the seed and input that reproduce it.
 */
class FrameCodecFuzzTest {
    /** Small limits, so that oversized claims are cheap to make and the allocation bound is tight. */
    private static final ProtocolLimits LIMITS = new ProtocolLimits(4096, 1024, 128);
    private static final long ALLOCATION_SLACK = 64 << 10;
    private final FrameCodec codec = new FrameCodec(LIMITS);
    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void randomAndMutatedInputsOnlyEverFailWithProtocolExceptions() {
        long seed = 20261124L;
        Random random = new Random(seed);
        RandomFrames frames = new RandomFrames(new Random(seed + 1));
        long bound = LIMITS.maxFrameBytes() + ALLOCATION_SLACK;
        long maxSeen = 0;
        int decoded = 0;
        int rejected = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] input = i % 4 == 0 ? randomBytes(random) : mutate(validFrame(frames), random);
            long before = threads.getCurrentThreadAllocatedBytes();
            try {
                ByteBuffer in = ByteBuffer.wrap(input);
                while (codec.decode(in) != null) {
                    decoded++;
                }
            } catch (ProtocolException e) {
                rejected++;
            } catch (RuntimeException e) {
                fail("input %d (seed %d) threw %s: %s", i, seed, e, HexFormat.of().formatHex(input));
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            maxSeen = Math.max(maxSeen, allocated);
            if (allocated > bound) {
                fail("input %d (seed %d) allocated %d bytes, over %d: %s", i, seed, allocated, bound,
                        HexFormat.of().formatHex(input));
            }
        }
        // Both outcomes occurred, so the mutations exercise the decoder rather than bouncing off it.
        assertThat(decoded).isGreaterThan(1_000);
        assertThat(rejected).isGreaterThan(1_000);
        assertThat(maxSeen).isLessThanOrEqualTo(bound);
    }

    @Test
    void aHugeLengthClaimIsRejectedFromTheFirstFourBytesWithoutAllocating() {
        for (long claim : new long[] {0xFFFF_FFFFL, 0x7FFF_FFFFL, LIMITS.maxFrameBytes() + 1L}) {
            ByteBuffer in = ByteBuffer.allocate(6).putInt((int) claim).put((byte) 3).put((byte) 0).flip();
            long before = threads.getCurrentThreadAllocatedBytes();
            assertThatThrownBy(() -> codec.decode(in)).isInstanceOf(FrameTooLargeException.class)
                    .hasMessageContaining(Long.toString(claim));
            assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(ALLOCATION_SLACK);
        }
    }

    @Test
    void aLegalLengthWithFewBytesWaitsWithoutAllocatingForTheClaim() {
        ByteBuffer in = ByteBuffer.allocate(10).putInt(LIMITS.maxFrameBytes()).put((byte) 3).put((byte) 0).flip();
        long before = threads.getCurrentThreadAllocatedBytes();
        assertThat(codec.decode(in)).isNull();
        assertThat(threads.getCurrentThreadAllocatedBytes() - before).isLessThan(ALLOCATION_SLACK);
    }

    @Test
    void innerLengthsAreCheckedAgainstTheirOwnLimits() {
        // A PUBLISH that claims a payload one byte over the limit, inside a frame that is not too large.
        ByteBuffer b = ByteBuffer.allocate(64);
        b.putInt(0).put((byte) 3).put((byte) 0).putLong(0).putShort((short) 1).put((byte) 'a')
                .putShort((short) 0).putInt(0).putInt(LIMITS.maxPayloadBytes() + 1);
        b.putInt(0, b.position() - 4).flip();
        assertThatThrownBy(() -> codec.decode(b)).isInstanceOf(PayloadTooLargeException.class)
                .hasMessageContaining(Integer.toString(LIMITS.maxPayloadBytes() + 1));

        ByteBuffer h = ByteBuffer.allocate(64);
        h.putInt(0).put((byte) 3).put((byte) 0).putLong(0).putShort((short) 1).put((byte) 'a')
                .putShort((short) 0).putInt(LIMITS.maxHeaderBytes() + 1);
        h.putInt(0, h.position() - 4).flip();
        assertThatThrownBy(() -> codec.decode(h)).isInstanceOf(HeadersTooLargeException.class);
    }

    @Test
    void undefinedFlagsUnknownTypesAndTrailingBytesAreRejected() {
        ByteBuffer ping = FrameCodec.encode(new Frame.Ping(1));
        ping.put(5, (byte) 0x80);
        assertThatThrownBy(() -> codec.decode(ping)).isInstanceOf(MalformedFrameException.class).hasMessageContaining("flag");

        ByteBuffer unknown = ByteBuffer.allocate(6).putInt(2).put((byte) 0x7e).put((byte) 0).flip();
        assertThatThrownBy(() -> codec.decode(unknown)).isInstanceOf(UnknownFrameTypeException.class).hasMessageContaining("0x7e");

        ByteBuffer longPing = ByteBuffer.allocate(15).putInt(11).put((byte) 8).put((byte) 0).putLong(1).put((byte) 9).flip();
        assertThatThrownBy(() -> codec.decode(longPing)).isInstanceOf(MalformedFrameException.class).hasMessageContaining("after its last field");

        ByteBuffer shortPing = ByteBuffer.allocate(10).putInt(6).put((byte) 8).put((byte) 0).putInt(1).flip();
        assertThatThrownBy(() -> codec.decode(shortPing)).isInstanceOf(MalformedFrameException.class);

        ByteBuffer tiny = ByteBuffer.allocate(5).putInt(1).put((byte) 8).flip();
        assertThatThrownBy(() -> codec.decode(tiny)).isInstanceOf(MalformedFrameException.class);
    }

    @Test
    void malformedUtf8IsRejectedNotReplaced() {
        ByteBuffer b = ByteBuffer.allocate(32);
        b.putInt(0).put((byte) 0x0A).put((byte) 0).putShort((short) 400).putShort((short) 2).put((byte) 0xC3).put((byte) 0x28);
        b.putInt(0, b.position() - 4).flip();
        assertThatThrownBy(() -> codec.decode(b)).isInstanceOf(MalformedFrameException.class).hasMessageContaining("UTF-8");
    }

    private byte[] validFrame(RandomFrames frames) {
        while (true) {
            Frame f = frames.next();
            if (f instanceof Frame.Welcome) {
                continue; // random WELCOME limits exceed these small limits' frame; not a useful seed
            }
            ByteBuffer b = FrameCodec.encode(f);
            if (b.remaining() <= LIMITS.maxFrameBytes()) {
                byte[] out = new byte[b.remaining()];
                b.get(out);
                return out;
            }
        }
    }

    private static byte[] randomBytes(Random random) {
        byte[] b = new byte[random.nextInt(64)];
        random.nextBytes(b);
        if (b.length >= 4 && random.nextBoolean()) {
            ByteBuffer.wrap(b).putInt(random.nextInt(b.length)); // a plausible length, so bodies get parsed
        }
        return b;
    }

    private static byte[] mutate(byte[] frame, Random random) {
        byte[] b = frame.clone();
        switch (random.nextInt(6)) {
            case 0 -> b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8)); // bit flip
            case 1 -> b[random.nextInt(b.length)] = (byte) random.nextInt(256); // byte change
            case 2 -> b = java.util.Arrays.copyOf(b, random.nextInt(b.length)); // truncation
            case 3 -> ByteBuffer.wrap(b).putInt(random.nextInt(b.length + 16)); // length field change
            case 4 -> { // a length field inside the body changed
                int at = 6 + random.nextInt(Math.max(1, b.length - 7));
                if (at + 1 < b.length) {
                    ByteBuffer.wrap(b).putShort(at, (short) random.nextInt(0x10000));
                }
            }
            default -> { // bytes inserted
                int at = random.nextInt(b.length + 1);
                byte[] extra = new byte[1 + random.nextInt(8)];
                random.nextBytes(extra);
                byte[] c = new byte[b.length + extra.length];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(extra, 0, c, at, extra.length);
                System.arraycopy(b, at, c, at + extra.length, b.length - at);
                b = c;
            }
        }
        return b;
    }
}

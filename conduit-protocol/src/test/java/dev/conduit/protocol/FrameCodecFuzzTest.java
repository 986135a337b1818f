package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Hostile bytes: random inputs and mutated valid frames must either decode, ask for more bytes, or
 * fail with the codec's own {@link ProtocolException}; anything else is a bug. Each input is made
 * from its own seed, so a failure names the one input to replay. Bounded in count and in time.
 */
class FrameCodecFuzzTest {
    /** Small limits, so that limits are often hit and the allocation bound is tight. */
    private static final ProtocolLimits LIMITS = new ProtocolLimits(4096, 1024, 128);
    private static final long SEED = 20261124L;
    private static final int INPUTS = 200_000;
    private static final long TIME_LIMIT_NANOS = 30_000_000_000L;
    /** Beyond one maximum frame: exception objects, strings, small arrays. */
    private static final long SLACK = 16 << 10;
    private static final int[] INTERESTING_U32 = {0, 1, 2, 0x7F, 0xFF, 0xFFFF, 0x10000, LIMITS.maxFrameBytes(),
            LIMITS.maxFrameBytes() + 1, LIMITS.maxPayloadBytes(), LIMITS.maxPayloadBytes() + 1, LIMITS.maxHeaderBytes() + 1,
            Integer.MAX_VALUE, Integer.MIN_VALUE, -1};

    private final FrameCodec codec = new FrameCodec(LIMITS);

    @Test
    void randomAndMutatedInputsOnlyEverFailWithProtocolExceptions() {
        long bound = LIMITS.maxFrameBytes() + SLACK;
        long deadline = System.nanoTime() + TIME_LIMIT_NANOS;
        int[] outcomes = new int[3]; // frames decoded, incomplete inputs, rejections
        long maxAllocated = 0;
        int i = 0;
        for (; i < INPUTS && System.nanoTime() < deadline; i++) {
            byte[] input = input(i);
            try {
                ByteBuffer in = ByteBuffer.wrap(input);
                while (codec.decode(in) != null) {
                    outcomes[0]++;
                }
                outcomes[1]++;
            } catch (ProtocolException e) {
                outcomes[2]++;
            } catch (Throwable t) {
                fail(String.format("seed %d input %d threw %s; input: %s", SEED, i, t, HexFormat.of().formatHex(input)), t);
            }
            long allocated = Allocation.during(() -> decodeAll(input));
            if (allocated > bound) {
                allocated = Allocation.steady(() -> decodeAll(input)); // perhaps the JVM's first run of a path
            }
            maxAllocated = Math.max(maxAllocated, allocated);
            if (allocated > bound) {
                fail("seed %d input %d allocated %d bytes, over %d: %s", SEED, i, allocated, bound,
                        HexFormat.of().formatHex(input));
            }
        }
        // The loop may stop at the deadline on a slow machine, but not before doing real work.
        assertThat(i).as("inputs tried").isGreaterThanOrEqualTo(Math.min(INPUTS, 20_000));
        // Every outcome occurred often, so the mutations exercise the decoder rather than bouncing off it.
        assertThat(Arrays.stream(outcomes).min().orElseThrow())
                .as("fewest of: frames decoded %d, inputs incomplete %d, inputs rejected %d", outcomes[0], outcomes[1], outcomes[2])
                .isGreaterThan(i / 50);
        assertThat(maxAllocated).isLessThanOrEqualTo(bound);
    }

    private void decodeAll(byte[] input) {
        ByteBuffer in = ByteBuffer.wrap(input);
        while (codec.decode(in) != null) {
            // keep going: the allocation of every frame in the input counts
        }
    }

    @Test
    void aPrefixOfAnInputIsEitherIncompleteOrDecidedAsTheWholeInputIs() {
        // The fate of the first frame must not depend on how much of the stream has arrived.
        for (int i = 0; i < 3_000; i++) {
            byte[] input = input(i);
            Object whole = outcome(input, input.length);
            for (int cut = 0; cut < input.length; cut++) {
                Object prefix = outcome(input, cut);
                if (!prefix.equals("incomplete") && !prefix.equals(whole)) {
                    fail("seed %d input %d: the first %d bytes give %s but all %d give %s: %s", SEED, i, cut, prefix,
                            input.length, whole, HexFormat.of().formatHex(input));
                }
            }
        }
    }

    /** The first frame, the exception's class and message, or "incomplete". */
    private Object outcome(byte[] input, int length) {
        try {
            Frame f = codec.decode(ByteBuffer.wrap(input, 0, length));
            return f == null ? "incomplete" : f;
        } catch (ProtocolException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    /** Input number {@code i}: a quarter random bytes, the rest valid frames mutated one to three times. */
    private static byte[] input(int i) {
        Random random = new Random(SEED * 1_000_003L + i);
        if (i % 4 == 0) {
            return randomBytes(random);
        }
        byte[] b = validFrames(random);
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations; m++) {
            b = mutate(b, random);
        }
        return b;
    }

    /** One valid frame, now and then followed by a second, so that mutations can cross a boundary. */
    private static byte[] validFrames(Random random) {
        RandomFrames frames = new RandomFrames(random, 600);
        ByteBuffer first = FrameCodec.encode(frames.next());
        ByteBuffer second = random.nextInt(4) == 0 ? FrameCodec.encode(frames.next()) : ByteBuffer.allocate(0);
        return ByteBuffer.allocate(first.remaining() + second.remaining()).put(first).put(second).array();
    }

    private static byte[] randomBytes(Random random) {
        byte[] b = new byte[random.nextInt(random.nextBoolean() ? 16 : 300)];
        random.nextBytes(b);
        if (b.length >= 6 && random.nextBoolean()) {
            // A plausible length and a real type, so that bodies get parsed rather than the head rejected.
            ByteBuffer.wrap(b).putInt(2 + random.nextInt(b.length - 5)).put((byte) (1 + random.nextInt(12)))
                    .put((byte) random.nextInt(2));
        }
        return b;
    }

    private static byte[] mutate(byte[] frame, Random random) {
        if (frame.length == 0) {
            return new byte[] {(byte) random.nextInt(256)};
        }
        byte[] b = frame.clone();
        int at = random.nextInt(b.length);
        switch (random.nextInt(9)) {
            case 0 -> b[at] ^= (byte) (1 << random.nextInt(8)); // bit flip
            case 1 -> b[at] = (byte) random.nextInt(256); // byte change
            case 2 -> b = Arrays.copyOf(b, at); // truncation
            case 3 -> { // the length prefix changed
                if (b.length >= 4) {
                    ByteBuffer.wrap(b).putInt(0, random.nextBoolean() ? random.nextInt(b.length + 16)
                            : INTERESTING_U32[random.nextInt(INTERESTING_U32.length)]);
                }
            }
            case 4 -> { // a 16-bit length inside the body changed
                if (at + 2 <= b.length) {
                    ByteBuffer.wrap(b).putShort(at, (short) (random.nextBoolean() ? random.nextInt(0x10000) : 0xFFFF));
                }
            }
            case 5 -> { // a 32-bit length inside the body changed
                if (at + 4 <= b.length) {
                    ByteBuffer.wrap(b).putInt(at, INTERESTING_U32[random.nextInt(INTERESTING_U32.length)]);
                }
            }
            case 6 -> { // bytes removed
                int n = Math.min(b.length - at, 1 + random.nextInt(8));
                byte[] c = new byte[b.length - n];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(b, at + n, c, at, b.length - at - n);
                b = c;
            }
            case 7 -> b[at] = (byte) (random.nextBoolean() ? 0xC0 | random.nextInt(0x40) : 0x80); // UTF-8 lead or continuation
            default -> { // bytes inserted
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

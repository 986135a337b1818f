package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * decode(encode(f)) equals f for random valid frames of every type, however the bytes arrive: whole,
 * back to back, cut in two anywhere, one byte at a time, or in random chunks. A network delivers all
 * of these, and a decoder that reads a field before checking it has arrived fails only on some.
 */
class FrameCodecRoundTripTest {
    private static final int FRAMES_PER_TYPE = 10_000;
    private final FrameCodec codec = new FrameCodec(RandomFrames.LIMITS);

    @ParameterizedTest
    @EnumSource(FrameType.class)
    void randomFramesOfEveryTypeSurviveTheRoundTrip(FrameType type) {
        long seed = 1000L + type.code();
        RandomFrames frames = new RandomFrames(new Random(seed));
        for (int i = 0; i < FRAMES_PER_TYPE; i++) {
            Frame f = frames.next(type);
            ByteBuffer bytes = FrameCodec.encode(f);
            assertThat(bytes.remaining()).isEqualTo(FrameCodec.encodedLength(f));
            assertThat(bytes.getInt(0)).isEqualTo(bytes.remaining() - FrameCodec.LENGTH_FIELD_BYTES);
            assertThat(codec.frameSize(bytes)).isEqualTo(bytes.remaining());
            Frame back = codec.decode(bytes);
            assertThat(back).as("seed %d, frame %d: %s", seed, i, f).isEqualTo(f);
            assertThat(bytes.hasRemaining()).isFalse();
        }
    }

    @Test
    void encodingIntoALargerBufferWritesExactlyTheFrameAtItsPosition() {
        RandomFrames frames = new RandomFrames(new Random(5), 256);
        for (int i = 0; i < 2_000; i++) {
            Frame f = frames.next();
            ByteBuffer out = ByteBuffer.allocate(FrameCodec.encodedLength(f) + 20).position(7);
            FrameCodec.encode(f, out);
            assertThat(out.position()).isEqualTo(7 + FrameCodec.encodedLength(f));
            assertThat(out.flip().position(7)).isEqualTo(FrameCodec.encode(f));
        }
    }

    @Test
    void aFrameCutInTwoAnywhereDecodesOnlyOnceBothPartsHaveArrived() {
        RandomFrames frames = new RandomFrames(new Random(7), 512);
        Random random = new Random(8);
        for (int i = 0; i < 600; i++) {
            Frame f = frames.next(FrameType.values()[i % FrameType.values().length]);
            byte[] whole = toArray(FrameCodec.encode(f));
            for (int cut : cuts(whole.length, random)) {
                ByteBuffer in = ByteBuffer.allocate(whole.length).put(whole, 0, cut).flip();
                if (codec.decode(in) != null || in.position() != 0) {
                    fail("the first %d of %d bytes of %s decoded or consumed something", cut, whole.length, f);
                }
                in.position(in.limit()).limit(whole.length).put(whole, cut, whole.length - cut).flip();
                assertThat(codec.decode(in)).as("cut at %d of %s", cut, f).isEqualTo(f);
                assertThat(in.hasRemaining()).isFalse();
            }
        }
    }

    @Test
    void aStreamArrivingOneByteAtATimeYieldsEachFrameExactlyAtItsLastByte() {
        RandomFrames frames = new RandomFrames(new Random(11), 1024);
        List<Frame> sent = new ArrayList<>();
        List<Integer> ends = new ArrayList<>();
        ByteBuffer stream = stream(frames, 3_000, sent, ends);
        byte[] bytes = toArray(stream);

        ByteBuffer in = ByteBuffer.allocate(bytes.length).limit(0);
        List<Frame> received = new ArrayList<>();
        for (int arrived = 1; arrived <= bytes.length; arrived++) {
            in.limit(arrived).put(arrived - 1, bytes[arrived - 1]);
            Frame f = codec.decode(in);
            int end = ends.get(received.size());
            if ((f != null) != (arrived == end)) {
                fail("frame %d ends at byte %d, but after byte %d decode gave %s", received.size(), end, arrived, f);
            }
            if (f != null) {
                received.add(f);
                assertThat(in.position()).isEqualTo(end);
                assertThat(codec.decode(in)).isNull(); // nothing of the next frame is complete yet
            }
        }
        assertThat(received).isEqualTo(sent);
    }

    @Test
    void aStreamArrivingInRandomChunksDecodesToTheFramesSent() {
        for (long seed = 1; seed <= 5; seed++) {
            Random random = new Random(seed);
            List<Frame> sent = new ArrayList<>();
            byte[] bytes = toArray(stream(new RandomFrames(new Random(seed + 100)), 2_000, sent, new ArrayList<>()));
            ByteBuffer in = ByteBuffer.allocate(1 << 20).limit(0); // a read buffer, compacted like a transport's
            List<Frame> received = new ArrayList<>();
            int next = 0;
            while (next < bytes.length) {
                int chunk = Math.min(bytes.length - next, 1 + random.nextInt(random.nextBoolean() ? 16 : 70_000));
                in.compact().put(bytes, next, chunk).flip();
                next += chunk;
                for (Frame f; (f = codec.decode(in)) != null; ) {
                    received.add(f);
                }
            }
            assertThat(in.hasRemaining()).isFalse();
            assertThat(received).as("seed %d", seed).isEqualTo(sent);
        }
    }

    @Test
    void theSharedMessageBodyIsTheSameBytesAsAFullEncoding() {
        RandomFrames frames = new RandomFrames(new Random(9));
        for (int i = 0; i < 2_000; i++) {
            MessageBody body = frames.body();
            Frame.Message m = new Frame.Message(i, i * 31, body);
            ByteBuffer split = ByteBuffer.allocate(FrameCodec.MESSAGE_HEAD_BYTES + body.encodedLength());
            FrameCodec.encodeMessageHead(split, i, i * 31, body);
            split.put(body.encoded());
            assertThat(split.flip()).isEqualTo(FrameCodec.encode(m));
            // The body's bytes are also exactly the tail of the PUBLISH that carried it.
            ByteBuffer publish = FrameCodec.encode(new Frame.Publish(0, false, body));
            assertThat(publish.position(FrameCodec.HEAD_BYTES + 8)).isEqualTo(body.encoded());
        }
    }

    /** Frames back to back in one buffer; {@code ends} gets the offset just past each frame. */
    private static ByteBuffer stream(RandomFrames frames, int count, List<Frame> sent, List<Integer> ends) {
        int total = 0;
        for (int i = 0; i < count; i++) {
            Frame f = frames.next();
            sent.add(f);
            total += FrameCodec.encodedLength(f);
            ends.add(total);
        }
        ByteBuffer stream = ByteBuffer.allocate(total);
        for (Frame f : sent) {
            FrameCodec.encode(f, stream);
        }
        return stream.flip();
    }

    /** Every cut for a short frame; for a long one the first and last 64 and 200 in between. */
    private static int[] cuts(int length, Random random) {
        if (length <= 400) {
            int[] all = new int[length];
            for (int i = 0; i < length; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] some = new int[328];
        for (int i = 0; i < 64; i++) {
            some[i] = i;
            some[64 + i] = length - 1 - i;
        }
        for (int i = 128; i < some.length; i++) {
            some[i] = 64 + random.nextInt(length - 128);
        }
        return some;
    }

    private static byte[] toArray(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}

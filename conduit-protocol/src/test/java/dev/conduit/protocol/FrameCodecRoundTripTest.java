package dev.conduit.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** decode(encode(f)) == f for random valid frames of every type, however the bytes arrive. */
class FrameCodecRoundTripTest {
    private static final ProtocolLimits WIDE = new ProtocolLimits(ProtocolLimits.MAX_PAYLOAD_BYTES_CAP, 1 << 20, 0xFFFF);
    private final FrameCodec codec = new FrameCodec(WIDE);

    @Test
    void randomFramesSurviveTheRoundTrip() {
        for (long seed = 1; seed <= 5; seed++) {
            RandomFrames frames = new RandomFrames(new Random(seed));
            for (int i = 0; i < 4_000; i++) {
                Frame f = frames.next();
                ByteBuffer bytes = FrameCodec.encode(f);
                assertThat(bytes.remaining()).isEqualTo(FrameCodec.encodedLength(f));
                Frame back = codec.decode(bytes);
                assertThat(back).as("seed %d frame %d", seed, i).isEqualTo(f);
                assertThat(bytes.hasRemaining()).isFalse();
            }
        }
    }

    @Test
    void framesInOneBufferDecodeOneAfterAnother() {
        RandomFrames frames = new RandomFrames(new Random(42));
        Frame[] sent = new Frame[200];
        int total = 0;
        for (int i = 0; i < sent.length; i++) {
            sent[i] = frames.next();
            total += FrameCodec.encodedLength(sent[i]);
        }
        ByteBuffer stream = ByteBuffer.allocate(total);
        for (Frame f : sent) {
            FrameCodec.encode(f, stream);
        }
        stream.flip();
        for (Frame f : sent) {
            assertThat(codec.decode(stream)).isEqualTo(f);
        }
        assertThat(codec.decode(stream)).isNull();
    }

    @Test
    void aPartialFrameDecodesToNothingAndConsumesNothing() {
        RandomFrames frames = new RandomFrames(new Random(7));
        for (int i = 0; i < 300; i++) {
            Frame f = frames.next();
            ByteBuffer whole = FrameCodec.encode(f);
            int length = whole.remaining();
            for (int cut = 0; cut < length; cut++) {
                ByteBuffer prefix = whole.duplicate().limit(cut);
                assertThat(codec.decode(prefix)).as("first %d of %d bytes", cut, length).isNull();
                assertThat(prefix.position()).isZero();
            }
            assertThat(codec.decode(whole.duplicate())).isEqualTo(f);
        }
    }

    @Test
    void theSharedMessageBodyIsTheSameBytesAsAFullEncoding() {
        RandomFrames frames = new RandomFrames(new Random(9));
        for (int i = 0; i < 1_000; i++) {
            MessageBody body = frames.body();
            Frame.Message m = new Frame.Message(i, i * 31, body);
            ByteBuffer full = FrameCodec.encode(m);
            ByteBuffer split = ByteBuffer.allocate(FrameCodec.MESSAGE_HEAD_BYTES + body.encodedLength());
            FrameCodec.encodeMessageHead(split, i, i * 31, body);
            split.put(body.encoded());
            assertThat(split.flip()).isEqualTo(full);
        }
    }
}

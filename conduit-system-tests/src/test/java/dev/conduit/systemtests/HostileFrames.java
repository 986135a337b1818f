package dev.conduit.systemtests;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Frames for a hostile peer, from a seeded {@link Random}: valid encoded frames, and the same
 * mutated (bits flipped, cut short, wrong or huge lengths, random types and flags), and plain
 * garbage. The same seed gives the same bytes.
 */
final class HostileFrames {
    private static final String[] SUBJECTS = {"a", "a.b", "a.b.c", "hostile.x", "svc.other", "x.y.z.w", "q"};
    private static final String[] PATTERNS = {"a", "a.*", "a.>", "*.b", "hostile.>", "*", "x.*.z.>", "q"};

    private final Random random;

    HostileFrames(Random random) {
        this.random = random;
    }

    /** A HELLO that the server accepts, encoded. */
    byte[] hello() {
        return bytes(Frame.Hello.anonymous(1, "hostile-" + random.nextInt(1000)));
    }

    /** One frame's bytes, valid or not; the kind chosen at random. */
    byte[] next() {
        int kind = random.nextInt(100);
        if (kind < 40) {
            return bytes(validFrame());
        }
        byte[] b = bytes(validFrame());
        if (kind < 55) { // flip a few bits anywhere, the length field included
            for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
                int at = random.nextInt(b.length);
                b[at] ^= (byte) (1 << random.nextInt(8));
            }
            return b;
        }
        if (kind < 65) { // cut short: what follows is read as the rest of this frame
            return Arrays.copyOf(b, random.nextInt(b.length));
        }
        if (kind < 75) { // a wrong length: a little off, or anything
            int length = random.nextBoolean() ? b.length - 4 + random.nextInt(9) - 4 : random.nextInt(1 << 16);
            ByteBuffer.wrap(b).putInt(length);
            return b;
        }
        if (kind < 80) { // a huge length, over the frame limit or just under it with nothing behind
            int length = random.nextBoolean() ? Integer.MAX_VALUE - random.nextInt(1000) : 1_000_000 + random.nextInt(100_000);
            ByteBuffer.wrap(b).putInt(length);
            return b;
        }
        if (kind < 90) { // random type and flags
            b[4] = (byte) random.nextInt(256);
            if (random.nextBoolean()) {
                b[5] = (byte) random.nextInt(256);
            }
            return b;
        }
        byte[] garbage = new byte[random.nextInt(64)];
        random.nextBytes(garbage);
        return garbage;
    }

    private Frame validFrame() {
        return switch (random.nextInt(12)) {
            case 0, 1, 2 -> new Frame.Publish(0, random.nextInt(4) == 0, body());
            case 3, 4 -> new Frame.Subscribe(random.nextInt(50), pick(PATTERNS),
                    random.nextInt(4) == 0 ? "g" + random.nextInt(3) : null, random.nextBoolean());
            case 5 -> new Frame.Unsubscribe(random.nextInt(50), random.nextInt(3));
            case 6 -> new Frame.Ping(random.nextLong());
            case 7 -> new Frame.Pong(random.nextLong());
            case 8 -> new Frame.Ack(random.nextInt(5));
            case 9 -> new Frame.Error(400 + random.nextInt(100), random.nextBoolean(), "hostile");
            case 10 -> Frame.Hello.anonymous(1, "again");
            default -> new Frame.Message(random.nextInt(10), random.nextInt(10), body());
        };
    }

    private MessageBody body() {
        byte[] payload = new byte[random.nextInt(4) == 0 ? random.nextInt(4096) : random.nextInt(64)];
        random.nextBytes(payload);
        Headers headers = random.nextInt(3) == 0 ? Headers.of("h" + random.nextInt(5), "v" + random.nextInt(100))
                : Headers.EMPTY;
        String replyTo = random.nextInt(5) == 0 ? "reply." + random.nextInt(100) : null;
        return MessageBody.of(pick(SUBJECTS), replyTo, headers, payload);
    }

    private String pick(String[] options) {
        return options[random.nextInt(options.length)];
    }

    static byte[] bytes(Frame frame) {
        ByteBuffer b = FrameCodec.encode(frame);
        return Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(), b.arrayOffset() + b.limit());
    }

    static List<String> subjects() {
        return List.of(SUBJECTS);
    }
}

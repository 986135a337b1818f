package dev.conduit.protocol;

import java.util.Random;

/** Valid frames of every type with random contents, for round-trip and fuzz tests. */
final class RandomFrames {
    private static final String[] TOKENS = {"a", "b", "orders", "eu", "x1", "ü", "日本", "svc", "_INBOX", "Z-9"};
    private final Random random;

    RandomFrames(Random random) {
        this.random = random;
    }

    Frame next() {
        FrameType type = FrameType.values()[random.nextInt(FrameType.values().length)];
        return switch (type) {
            case HELLO -> new Frame.Hello(random.nextInt(0x10000), random.nextInt(0x10000), text(20), text(8),
                    bytes(64), bytes(32), random.nextLong());
            case WELCOME -> new Frame.Welcome(random.nextInt(0x10000), text(16), text(16), random.nextLong(),
                    random.nextBoolean(), random.nextLong(), random.nextInt(ProtocolLimits.MAX_PAYLOAD_BYTES_CAP + 1),
                    random.nextInt((1 << 20) + 1), 1 + random.nextInt(0xFFFF), random.nextInt(Integer.MAX_VALUE),
                    random.nextInt(0x10000));
            case PUBLISH -> new Frame.Publish(random.nextLong(), random.nextBoolean(), body());
            case MESSAGE -> new Frame.Message(random.nextLong(), random.nextInt(), body());
            case SUBSCRIBE -> new Frame.Subscribe(random.nextInt(), pattern(), random.nextBoolean() ? null : "q" + random.nextInt(9));
            case UNSUBSCRIBE -> new Frame.Unsubscribe(random.nextInt(), random.nextLong() & 0xFFFF_FFFFL);
            case NO_RESPONDERS -> new Frame.NoResponders(subject());
            case PING -> new Frame.Ping(random.nextLong());
            case PONG -> new Frame.Pong(random.nextLong());
            case ERROR -> new Frame.Error(random.nextInt(0x10000), random.nextBoolean(), text(40));
            case GOAWAY -> new Frame.GoAway(random.nextInt(0x10000), random.nextInt(Integer.MAX_VALUE), text(20));
            case ACK -> new Frame.Ack(random.nextLong());
        };
    }

    MessageBody body() {
        Headers.Builder h = Headers.builder();
        int headers = random.nextInt(4) == 0 ? random.nextInt(6) : 0;
        for (int i = 0; i < headers; i++) {
            h.add("h" + random.nextInt(3), text(12));
        }
        return MessageBody.of(subject(), random.nextBoolean() ? null : subject(), h.build(), bytes(random.nextInt(4) == 0 ? 3000 : 40));
    }

    String subject() {
        int n = 1 + random.nextInt(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append('.');
            }
            sb.append(TOKENS[random.nextInt(TOKENS.length)]);
        }
        return sb.toString();
    }

    String pattern() {
        String[] tokens = subject().split("\\.");
        for (int i = 0; i < tokens.length; i++) {
            if (random.nextInt(4) == 0) {
                tokens[i] = "*";
            }
        }
        if (random.nextInt(4) == 0) {
            tokens[tokens.length - 1] = ">";
        }
        return String.join(".", tokens);
    }

    String text(int maxChars) {
        int n = random.nextInt(maxChars + 1);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(10);
            if (kind < 7) {
                sb.append((char) (' ' + random.nextInt(95)));
            } else if (kind < 9) {
                sb.append((char) (0xA0 + random.nextInt(0x2000)));
            } else {
                sb.appendCodePoint(0x1F600 + random.nextInt(50)); // outside the BMP: a surrogate pair
            }
        }
        return sb.toString();
    }

    byte[] bytes(int max) {
        byte[] b = new byte[random.nextInt(max + 1)];
        random.nextBytes(b);
        return b;
    }
}

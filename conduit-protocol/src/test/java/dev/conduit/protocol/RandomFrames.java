package dev.conduit.protocol;

import java.util.Random;

/**
 * Valid frames of every type with random contents, for round-trip and fuzz tests. The mix leans on
 * the edges a codec gets wrong: empty strings and payloads, characters of every UTF-8 width
 * (including pairs outside the BMP), many headers, large payloads, extreme integers. Everything
 * stays within {@link #LIMITS}, so a codec with those limits must accept every frame made here.
 */
final class RandomFrames {
    /** The limits every generated frame respects. */
    static final ProtocolLimits LIMITS = new ProtocolLimits(256 << 10, 64 << 10, 512);

    private static final String[] TOKENS = {"a", "b", "orders", "eu", "x1", "ü", "日本", "svc", "_INBOX", "Z-9", "😀"};
    private static final long[] EXTREME_LONGS = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0xFFFF_FFFFL};
    private final Random random;
    private final int maxPayloadBytes;

    RandomFrames(Random random) {
        this(random, LIMITS.maxPayloadBytes());
    }

    /** With payloads no larger than {@code maxPayloadBytes}, for tests that want small frames. */
    RandomFrames(Random random, int maxPayloadBytes) {
        this.random = random;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    Frame next() {
        return next(FrameType.values()[random.nextInt(FrameType.values().length)]);
    }

    Frame next(FrameType type) {
        return switch (type) {
            case HELLO -> new Frame.Hello(u16(), u16(), text(20), text(8), bytes(random.nextInt(8) == 0 ? 4096 : 64),
                    bytes(32), anyLong());
            case WELCOME -> new Frame.Welcome(u16(), text(16), text(16), anyLong(), random.nextBoolean(), anyLong(),
                    random.nextInt(ProtocolLimits.MAX_PAYLOAD_BYTES_CAP + 1), random.nextInt((1 << 20) + 1),
                    1 + random.nextInt(0xFFFF), random.nextBoolean() ? Integer.MAX_VALUE : random.nextInt(Integer.MAX_VALUE),
                    u16(), random.nextBoolean() ? null : ResumeToken.issue(anyLong(), text(16) + "s", random), text(16),
                    random.nextBoolean() ? 0 : 1 + (random.nextLong() >>> 1) % (Long.MAX_VALUE - 1), alternates());
            case PUBLISH -> new Frame.Publish(anyLong(), random.nextBoolean(), body());
            case MESSAGE -> new Frame.Message(anyLong(), random.nextInt(), body());
            case SUBSCRIBE -> random.nextInt(3) == 0
                    ? Frame.Subscribe.reliable(random.nextInt(), pattern(), random.nextBoolean() ? null : queueGroup(),
                            1 + (random.nextLong() & 0x7FFF_FFFFL), 1 + (random.nextLong() & 0x7FFF_FFFFL))
                    : new Frame.Subscribe(random.nextInt(), pattern(), random.nextBoolean() ? null : queueGroup(),
                            random.nextInt(4) == 0);
            case UNSUBSCRIBE -> new Frame.Unsubscribe(random.nextInt(),
                    random.nextInt(4) == 0 ? 0xFFFF_FFFFL : random.nextLong() & 0xFFFF_FFFFL);
            case NO_RESPONDERS -> new Frame.NoResponders(subject());
            case PING -> new Frame.Ping(anyLong());
            case PONG -> new Frame.Pong(anyLong());
            case ERROR -> new Frame.Error(u16(), random.nextBoolean(), text(40));
            case GOAWAY -> new Frame.GoAway(u16(), random.nextBoolean() ? Integer.MAX_VALUE : random.nextInt(Integer.MAX_VALUE),
                    text(20), alternates());
            case ACK -> new Frame.Ack(anyLong());
            case GAP -> random.nextInt(4) == 0 ? new Frame.Gap(random.nextInt(), random.nextLong() >>> 2, true)
                    : new Frame.Gap(random.nextInt(), random.nextBoolean() ? Long.MAX_VALUE : 1 + (random.nextLong() >>> 2));
            case CREDIT -> new Frame.Credit(random.nextInt(), random.nextLong() >>> 1, random.nextLong() >>> 1);
            case AUTH -> new Frame.Auth(text(8), bytes(random.nextInt(8) == 0 ? 4096 : 64));
            case AUTH_OK -> new Frame.AuthOk(random.nextBoolean() ? 0 : random.nextLong() >>> 1);
        };
    }

    /** None half the time; else one to a few, and sometimes the most a frame may name. */
    java.util.List<String> alternates() {
        if (random.nextBoolean()) {
            return java.util.List.of();
        }
        int count = random.nextInt(8) == 0 ? FrameCodec.MAX_ALTERNATES : 1 + random.nextInt(4);
        return java.util.stream.IntStream.range(0, count).mapToObj(i -> "tcp://" + token() + ":" + i).toList();
    }

    MessageBody body() {
        return MessageBody.of(subject(), random.nextBoolean() ? null : subject(), headers(), payload());
    }

    /** None most of the time, a few often, and sometimes many (repeated names included). */
    Headers headers() {
        int kind = random.nextInt(10);
        int count = kind < 5 ? 0 : kind < 9 ? 1 + random.nextInt(5) : 20 + random.nextInt(300);
        Headers.Builder h = Headers.builder();
        int encoded = 2;
        for (int i = 0; i < count; i++) {
            String name = headerName();
            String value = text(12);
            encoded += 4 + Utf8.length(name) + Utf8.length(value);
            if (encoded > LIMITS.maxHeaderBytes()) {
                break;
            }
            h.add(name, value);
        }
        return h.build();
    }

    String headerName() {
        int n = 1 + random.nextInt(random.nextInt(20) == 0 ? 255 : 12);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            char c;
            do {
                c = (char) ('!' + random.nextInt(94));
            } while (c == ':');
            sb.append(c);
        }
        return sb.toString();
    }

    /** Empty, small, medium, and now and then up to the maximum. */
    byte[] payload() {
        int kind = random.nextInt(100);
        int max = kind < 25 ? 0 : kind < 85 ? 64 : kind < 99 ? 4096 : maxPayloadBytes;
        return bytes(Math.min(max, maxPayloadBytes));
    }

    String subject() {
        int n = 1 + random.nextInt(random.nextInt(10) == 0 ? 16 : 4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append('.');
            }
            sb.append(random.nextBoolean() ? TOKENS[random.nextInt(TOKENS.length)] : token());
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

    String queueGroup() {
        return random.nextBoolean() ? "q" + random.nextInt(9) : token(); // tokens hold no '.', '*' or '>'
    }

    /** One valid subject token: visible ASCII and non-ASCII letters, never a bare wildcard. */
    String token() {
        int n = 1 + random.nextInt(8);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(4);
            if (kind < 2) {
                char c;
                do {
                    c = (char) ('!' + random.nextInt(94));
                } while (c == '.' || c == '*' || c == '>');
                sb.append(c);
            } else if (kind == 2) {
                sb.append((char) (0x00C0 + random.nextInt(0x0500))); // Latin to Cyrillic: 2 UTF-8 bytes
            } else {
                sb.append((char) (0x4E00 + random.nextInt(0x5000))); // CJK: 3 UTF-8 bytes
            }
        }
        return sb.toString();
    }

    /** Text of up to {@code maxChars} code points of every UTF-8 width; empty now and then. */
    String text(int maxChars) {
        int n = random.nextInt(maxChars + 1);
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            int kind = random.nextInt(12);
            if (kind < 7) {
                sb.append((char) (' ' + random.nextInt(95)));
            } else if (kind < 9) {
                sb.append((char) (0xA0 + random.nextInt(0x0700)));
            } else if (kind < 11) {
                sb.append((char) (0x3000 + random.nextInt(0xD7FF - 0x3000))); // 3 bytes, below the surrogates
            } else {
                sb.appendCodePoint(0x10000 + random.nextInt(0x100000)); // a surrogate pair, 4 bytes
            }
        }
        return sb.toString();
    }

    byte[] bytes(int max) {
        byte[] b = new byte[random.nextInt(max + 1)];
        random.nextBytes(b);
        return b;
    }

    private int u16() {
        return random.nextInt(4) == 0 ? 0xFFFF : random.nextInt(0x10000);
    }

    private long anyLong() {
        return random.nextInt(4) == 0 ? EXTREME_LONGS[random.nextInt(EXTREME_LONGS.length)] : random.nextLong();
    }
}

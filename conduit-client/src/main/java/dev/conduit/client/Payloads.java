package dev.conduit.client;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** Turns the payload forms the public API accepts (String, ByteBuffer) into the byte array it sends. */
final class Payloads {
    private Payloads() {
    }

    /** The string encoded as UTF-8. */
    static byte[] of(String payload) {
        return Objects.requireNonNull(payload, "payload").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A copy of the buffer's remaining bytes (position to limit); the buffer's position, limit and
     * mark are left as they were, so the caller may reuse it at once.
     */
    static byte[] of(ByteBuffer payload) {
        ByteBuffer view = Objects.requireNonNull(payload, "payload").duplicate();
        byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return bytes;
    }
}

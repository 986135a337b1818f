package dev.conduit.client;

import dev.conduit.protocol.Headers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** A message received by a subscription, or a reply to a request. Immutable. */
public interface Message {

    String subject();

    /** The subject to reply to, or {@code null} when the sender expects no reply. */
    @Nullable String replyTo();

    Headers headers();

    /** The payload; the array is this message's own, so callers may keep it but should not change it. */
    byte[] payload();

    /** The payload decoded as UTF-8. */
    default String payloadAsString() {
        return new String(payload(), StandardCharsets.UTF_8);
    }

    /**
     * Publishes a reply to {@link #replyTo()} through the client that received this message.
     *
     * @throws IllegalStateException if the message has no reply subject
     */
    default void reply(byte[] payload) {
        reply(Headers.EMPTY, payload);
    }

    /** Replies with a UTF-8 string; see {@link #reply(byte[])}. */
    default void reply(String payload) {
        reply(Headers.EMPTY, Payloads.of(payload));
    }

    /** Replies with the buffer's remaining bytes (copied at the call; its position is not moved). */
    default void reply(ByteBuffer payload) {
        reply(Headers.EMPTY, Payloads.of(payload));
    }

    /** Replies with headers and a UTF-8 string. */
    default void reply(Headers headers, String payload) {
        reply(headers, Payloads.of(payload));
    }

    /** Replies with headers and the buffer's remaining bytes (copied). */
    default void reply(Headers headers, ByteBuffer payload) {
        reply(headers, Payloads.of(payload));
    }

    /** Publishes a reply with headers. */
    void reply(Headers headers, byte[] payload);
}

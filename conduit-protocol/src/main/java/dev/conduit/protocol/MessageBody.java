package dev.conduit.protocol;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a PUBLISH and a MESSAGE frame share: subject, optional reply subject, headers and payload.
 * Both frames end with these fields in the same layout, so a server that fans one publish out to
 * many subscribers encodes the body once ({@link #encoded()}) and writes it after each subscriber's
 * own short frame head.
 *
 * <p>What is shared is the encoding, not the copying: the encoded bytes live in a heap buffer, and
 * each subscriber's connection still copies them on the way to its socket (into its write batch for
 * small bodies; for large ones Netty copies the heap buffer into a direct buffer as it writes). A
 * fan-out to N subscribers encodes once and copies N times; it is not zero-copy. A body the server
 * decoded from a PUBLISH is not encoded at all: it keeps the bytes it was decoded from (after the
 * codec checked them) and those are what each subscriber's connection copies.
 *
 * <p>Immutable and safe to share across threads, provided nobody modifies the payload array after
 * handing it over.
 */
public final class MessageBody {
    private final String subject;
    private final @Nullable String replyTo;
    private final Headers headers;
    private final int payloadLength;
    private final int encodedLength;
    /** Bytes of the subject in UTF-8; -1 for a decoded body ({@link #decoded}), which does not need it. */
    private final int subjectBytes;
    /**
     * The payload; for a body decoded with its wire form kept ({@link #decoded}), null until first
     * asked for, then copied out of {@link #wire}. Volatile for the same reason as {@link #encoded}.
     */
    private volatile byte @Nullable [] payload;
    /**
     * The body as on the wire, when it was decoded from it (the server's PUBLISH frames): written to
     * each subscriber as it is, never encoded again. Null otherwise.
     */
    private final byte @Nullable [] wire;
    /**
     * The cached wire form, computed on first use. Volatile so that a buffer computed on one thread
     * is seen whole (contents, position, limit) by another; threads racing the first use may each
     * compute one, all with equal bytes, and the last write wins. No lock.
     */
    private volatile @Nullable ByteBuffer encoded;

    private MessageBody(String subject, @Nullable String replyTo, @Nullable Headers headers, byte[] payload) {
        this(subject, Utf8.length(Objects.requireNonNull(subject, "subject")), replyTo, headers, payload);
    }

    private MessageBody(String subject, int subjectBytes, @Nullable String replyTo, @Nullable Headers headers,
                        byte[] payload) {
        this.subject = subject;
        this.subjectBytes = subjectBytes;
        this.replyTo = replyTo == null || replyTo.isEmpty() ? null : replyTo;
        this.headers = headers == null ? Headers.EMPTY : headers;
        this.payload = Objects.requireNonNull(payload, "payload");
        this.payloadLength = payload.length;
        this.wire = null;
        this.encodedLength = 2 + subjectBytes + 2 + (this.replyTo == null ? 0 : Utf8.length(this.replyTo))
                + 4 + this.headers.encodedLength() + 4 + payload.length;
    }

    private MessageBody(String subject, @Nullable String replyTo, @Nullable Headers headers, byte[] wire, int payloadLength) {
        this.subject = subject;
        this.replyTo = replyTo == null || replyTo.isEmpty() ? null : replyTo;
        this.headers = headers == null ? Headers.EMPTY : headers;
        this.wire = wire;
        this.subjectBytes = -1;
        this.payloadLength = payloadLength;
        this.encodedLength = wire.length;
    }

    /**
     * A body over the given values; the payload array is kept, not copied. Subjects are not checked
     * here: callers check them against the peer's limits ({@link Subjects}), and the codec checks
     * them again on decode.
     */
    public static MessageBody of(String subject, @Nullable String replyTo, @Nullable Headers headers, byte[] payload) {
        return new MessageBody(subject, replyTo, headers, payload);
    }

    /** A body decoded by the codec, whose subject is {@code subjectBytes} long in UTF-8 (read off the wire). */
    static MessageBody received(String subject, int subjectBytes, @Nullable String replyTo, @Nullable Headers headers,
                                byte[] payload) {
        return new MessageBody(subject, subjectBytes, replyTo, headers, payload);
    }

    /**
     * A body to a subject checked and measured beforehand ({@link CheckedSubject}), which is not
     * measured again; otherwise as {@link #of(String, String, Headers, byte[])}.
     */
    public static MessageBody of(CheckedSubject subject, @Nullable String replyTo, @Nullable Headers headers, byte[] payload) {
        return new MessageBody(subject.subject(), subject.utf8Length(), replyTo, headers, payload);
    }

    /**
     * This body's subject, headers and payload (the same array) with another reply subject (null:
     * none); the subject is not measured again unless this body was decoded.
     */
    public MessageBody withReplyTo(@Nullable String replyTo) {
        int bytes = subjectBytes >= 0 ? subjectBytes : Utf8.length(subject);
        return new MessageBody(subject, bytes, replyTo, headers, payload());
    }

    /**
     * A body decoded by the codec whose wire form, {@code wire}, is kept whole: the payload is its
     * last {@code payloadLength} bytes.
     */
    static MessageBody decoded(String subject, @Nullable String replyTo, @Nullable Headers headers, byte[] wire, int payloadLength) {
        return new MessageBody(subject, replyTo, headers, wire, payloadLength);
    }

    public String subject() {
        return subject;
    }

    /** The reply subject, or {@code null} when the sender expects no reply. */
    public @Nullable String replyTo() {
        return replyTo;
    }

    public Headers headers() {
        return headers;
    }

    /** The payload array itself, not a copy: do not modify it. */
    public byte[] payload() {
        byte[] p = payload;
        if (p == null) {
            byte[] wire = Objects.requireNonNull(this.wire, "a body without its payload has its wire form");
            p = Arrays.copyOfRange(wire, wire.length - payloadLength, wire.length);
            payload = p;
        }
        return p;
    }

    /** Bytes of the payload; the same as {@code payload().length}, without copying a decoded payload out. */
    public int payloadLength() {
        return payloadLength;
    }

    /** Bytes this body takes on the wire. */
    public int encodedLength() {
        return encodedLength;
    }

    /**
     * The body encoded as on the wire, computed on first use and cached: each call returns an
     * independent read-only view (its own position and limit) of the same heap bytes. Safe to call
     * from any thread.
     */
    public ByteBuffer encoded() {
        ByteBuffer e = encoded;
        if (e == null) {
            if (wire != null) {
                e = ByteBuffer.wrap(wire).asReadOnlyBuffer();
            } else {
                ByteBuffer b = ByteBuffer.allocate(encodedLength);
                writeTo(b);
                e = b.flip().asReadOnlyBuffer();
            }
            encoded = e;
        }
        return e.duplicate();
    }

    /**
     * Writes the body as on the wire at the buffer's position, which must have {@link
     * #encodedLength()} bytes of room: a copy of the bytes it was decoded from, or of the cached
     * encoding, else encoded afresh. Allocates nothing. Safe to call from any thread.
     */
    public void writeEncoded(ByteBuffer out) {
        if (wire != null) {
            out.put(wire);
            return;
        }
        ByteBuffer e = encoded;
        if (e != null) {
            out.put(e.duplicate());
        } else {
            writeTo(out);
        }
    }

    void writeTo(ByteBuffer out) {
        if (wire != null) {
            out.put(wire);
            return;
        }
        FrameCodec.putString(out, subject);
        FrameCodec.putString(out, replyTo == null ? "" : replyTo);
        int headerLen = headers.encodedLength();
        out.putInt(headerLen);
        if (headerLen > 0) {
            out.putShort((short) headers.size());
            headers.forEach((name, value) -> {
                FrameCodec.putString(out, name);
                FrameCodec.putString(out, value);
            });
        }
        byte[] p = payload();
        out.putInt(p.length);
        out.put(p);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MessageBody b && subject.equals(b.subject) && Objects.equals(replyTo, b.replyTo)
                && headers.equals(b.headers) && Arrays.equals(payload(), b.payload());
    }

    @Override
    public int hashCode() {
        return Objects.hash(subject, replyTo, headers, Arrays.hashCode(payload()));
    }

    @Override
    public String toString() {
        return "MessageBody[subject=" + subject + ", replyTo=" + replyTo + ", headers=" + headers
                + ", payload=" + payloadLength + " bytes]";
    }
}

package dev.conduit.protocol;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.Random;

/**
 * The secret that lets a new connection resume a session: the only resume-token type, used by the
 * server that issues it and the client that hands it back. The server sends one in every WELCOME
 * and issues a new one on every resume, so a token works once; the client sends the latest one, as
 * it received it, in the {@code resume token} field of its next HELLO.
 *
 * <p>Its wire form (the content of that field) is, with no padding:
 *
 * <pre>
 * +-------+-----------------+----------------------------------+
 * | epoch | secret          | session id                       |
 * | u64   | 32 random bytes | UTF-8, the rest of the token     |
 * +-------+-----------------+----------------------------------+
 * </pre>
 *
 * The epoch and the session id are public (the session id appears in {@code $SYS.stats} and in
 * logs); they only say which session the token is for. The secret is what proves the right to
 * resume it: 256 bits from a {@link java.security.SecureRandom}, compared in constant time
 * ({@link #sameSecret}), never shown by {@link #toString()}. A client treats the token as opaque.
 *
 * <p>Immutable and thread-safe.
 */
public final class ResumeToken {
    /** Bytes of the secret part. */
    public static final int SECRET_BYTES = 32;
    private static final int HEAD_BYTES = 8 + SECRET_BYTES;

    private final long epoch;
    private final String sessionId;
    private final byte[] secret;

    private ResumeToken(long epoch, String sessionId, byte[] secret) {
        this.epoch = epoch;
        this.sessionId = sessionId;
        this.secret = secret;
    }

    /**
     * A new token for a session, its secret drawn from {@code random} (a {@code SecureRandom} on a
     * server; tests may pass a seeded one).
     */
    public static ResumeToken issue(long epoch, String sessionId, Random random) {
        Objects.requireNonNull(sessionId, "sessionId");
        if (sessionId.isEmpty()) {
            throw new IllegalArgumentException("sessionId must not be empty");
        }
        byte[] secret = new byte[SECRET_BYTES];
        random.nextBytes(secret);
        return new ResumeToken(epoch, sessionId, secret);
    }

    /**
     * Reads a token from its wire form.
     *
     * @throws MalformedFrameException if it is shorter than its fixed part plus one byte of session
     *                                 id, or the session id is not well-formed UTF-8
     */
    public static ResumeToken decode(byte[] wire) {
        if (wire.length <= HEAD_BYTES) {
            throw new MalformedFrameException("resume token of " + wire.length + " bytes: at least " + (HEAD_BYTES + 1)
                    + " expected");
        }
        ByteBuffer in = ByteBuffer.wrap(wire);
        long epoch = in.getLong();
        byte[] secret = new byte[SECRET_BYTES];
        in.get(secret);
        String id = Utf8.read(in, in.remaining(), "resume token session id");
        return new ResumeToken(epoch, id, secret);
    }

    /** The wire form, a new array each time. */
    public byte[] encoded() {
        int idLength = Utf8.length(sessionId);
        ByteBuffer out = ByteBuffer.allocate(HEAD_BYTES + idLength);
        out.putLong(epoch).put(secret);
        Utf8.write(sessionId, out);
        return out.array();
    }

    /** The epoch of the server that issued it. */
    public long epoch() {
        return epoch;
    }

    /** The public id of the session it resumes. */
    public String sessionId() {
        return sessionId;
    }

    /** Whether {@code other} carries the same secret; in time independent of where they differ. */
    public boolean sameSecret(ResumeToken other) {
        return MessageDigest.isEqual(secret, other.secret);
    }

    /** Equal when epoch, session id and secret are; the secret compared in constant time. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ResumeToken t && epoch == t.epoch && sessionId.equals(t.sessionId) && sameSecret(t);
    }

    @Override
    public int hashCode() {
        return Objects.hash(epoch, sessionId); // not the secret: a hash must not leak it either
    }

    /** Names the session, never the secret, so that a token can be logged by mistake without harm. */
    @Override
    public String toString() {
        return "ResumeToken[session " + sessionId + ", epoch " + epoch + ", secret hidden]";
    }
}

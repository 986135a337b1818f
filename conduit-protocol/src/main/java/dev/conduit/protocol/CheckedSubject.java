package dev.conduit.protocol;

import java.util.Objects;

/**
 * A subject that passed {@link Subjects#checkSubject} under a maximum length, with its UTF-8 length
 * measured once: a publisher that sends many messages to one subject keeps one and builds each body
 * with {@link MessageBody#of(CheckedSubject, String, Headers, byte[])}, which neither checks nor
 * measures the subject again (measuring it on each publish was a sixth to a third of the client's
 * CPU samples in docs/benchmarks.md's W1 and W2 profiles). Immutable and safe to share between threads.
 */
public final class CheckedSubject {
    private final String subject;
    private final int maxBytes;
    private final int utf8Length;

    private CheckedSubject(String subject, int maxBytes, int utf8Length) {
        this.subject = subject;
        this.maxBytes = maxBytes;
        this.utf8Length = utf8Length;
    }

    /**
     * Checks {@code subject} ({@link Subjects#checkSubject}) against {@code maxBytes}.
     *
     * @throws InvalidSubjectException naming the subject and what is wrong with it
     */
    public static CheckedSubject of(String subject, int maxBytes) {
        int utf8Length = Subjects.checkSubjectLength(Objects.requireNonNull(subject, "subject"), maxBytes);
        return new CheckedSubject(subject, maxBytes, utf8Length);
    }

    /** The subject. */
    public String subject() {
        return subject;
    }

    /** The maximum length, in UTF-8 bytes, the subject was checked against. */
    public int maxBytes() {
        return maxBytes;
    }

    /** Bytes of the subject in UTF-8. */
    int utf8Length() {
        return utf8Length;
    }

    @Override
    public String toString() {
        return subject;
    }
}

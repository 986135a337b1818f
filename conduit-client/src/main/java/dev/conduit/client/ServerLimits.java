package dev.conduit.client;

import dev.conduit.protocol.CheckedSubject;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.HeadersTooLargeException;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.PayloadTooLargeException;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.protocol.Subjects;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The sizes the server announced in its latest WELCOME, and the checks of what a caller sends
 * against them: subjects, patterns, queue groups, payload and header sizes. They run at the call,
 * so a bad argument throws there rather than costing the connection later; until the first WELCOME
 * the protocol's defaults apply.
 *
 * <p>Threads: the checks run on any caller's thread. {@link #limits} is {@code volatile}, written
 * at WELCOME (under the client's monitor); {@link #lastChecked} is {@code volatile}, written by any
 * publishing thread (a race only costs a check).
 */
final class ServerLimits {
    private volatile ProtocolLimits limits = ProtocolLimits.DEFAULT;

    /** The subject that last passed the check in {@link #body}. */
    private volatile @Nullable CheckedSubject lastChecked;

    ProtocolLimits current() {
        return limits;
    }

    /** The limits of a new WELCOME. */
    void update(ProtocolLimits limits) {
        this.limits = limits;
    }

    /**
     * A message to send, checked against the limits; the payload is copied so that the caller may
     * reuse its array as soon as the call returns.
     */
    MessageBody body(String subject, @Nullable String replyTo, @Nullable Headers headers, byte[] payload) {
        ProtocolLimits l = limits;
        CheckedSubject checked = checkSubject(subject, l.maxSubjectBytes());
        if (replyTo != null) {
            Subjects.checkSubject(replyTo, l.maxSubjectBytes());
        }
        Objects.requireNonNull(payload, "payload");
        if (payload.length > l.maxPayloadBytes()) {
            throw new PayloadTooLargeException(payload.length, l.maxPayloadBytes());
        }
        Headers h = headers == null ? Headers.EMPTY : headers;
        int headerBytes = h.encodedLength();
        if (headerBytes > l.maxHeaderBytes()) {
            throw new HeadersTooLargeException("headers of " + headerBytes + " bytes exceed the server's maximum of "
                    + l.maxHeaderBytes() + " bytes");
        }
        return MessageBody.of(checked, replyTo, h, payload.clone());
    }

    /** Checks a subscription's pattern and queue group (null: none). */
    void checkSubscription(String pattern, @Nullable String queueGroup) {
        ProtocolLimits l = limits;
        Subjects.checkPattern(pattern, l.maxSubjectBytes());
        if (queueGroup != null) {
            Subjects.checkQueueGroup(queueGroup, l.maxSubjectBytes());
        }
    }

    /**
     * {@link Subjects#checkSubject}, skipped for the very String (the same instance: Strings are
     * immutable) that last passed it under the same limit, as when a publisher sends many messages
     * to one subject; the result also carries the subject's UTF-8 length, measured once.
     */
    private CheckedSubject checkSubject(String subject, int maxBytes) {
        CheckedSubject c = lastChecked;
        if (c != null && c.subject() == subject && c.maxBytes() == maxBytes) {
            return c;
        }
        c = CheckedSubject.of(subject, maxBytes);
        lastChecked = c;
        return c;
    }
}

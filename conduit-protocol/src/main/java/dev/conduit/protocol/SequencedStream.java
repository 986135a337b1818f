package dev.conduit.protocol;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;

/**
 * One direction of a session's sequenced frames (docs/protocol.md section 7a), seen by its sender:
 * numbering, holding each frame until the peer's cumulative ACK confirms it, and replaying what the
 * peer lacks after a resume. Its receiving end is {@link Receiver}. The Java client and server both
 * use it, and {@code clients/js/src/sequenced.js} mirrors it line for line; both are checked against
 * the same golden vectors ({@code sequenced-stream-vectors.json} in this module's test resources).
 *
 * <pre>
 *   acknowledged()        sent()
 *         |                 |
 *   1 2 3 | 4 5 6 7 8 9 ... |      numbers 1, 2, 3, ... in the order sent
 *  confirm|   held until an ACK or a resume confirms them
 * </pre>
 *
 * <p>Numbers start at 1; 0 means "nothing". Numbers are u64 on the wire; a value of 2^63 or more
 * arrives in a Java {@code long} as a negative number and is never valid here.
 *
 * <p>The bound ({@code maxHeldBytes}) is reported, never enforced by dropping: {@link #offer}
 * returns {@link #FULL} and holds nothing when a frame does not fit, and {@link #send} holds the
 * frame whatever the bound says (for frames that must go, such as a GAP notice). What to do when
 * full is the caller's policy.
 *
 * <p>Not thread-safe: an instance belongs to one thread at a time, or to one lock that every
 * caller holds (the server's session {@code outLock}, the client's monitor). No method blocks,
 * starts a thread or does I/O.
 *
 * @param <T> what is held: a frame, or the caller's record of one
 */
public final class SequencedStream<T> {
    /** What {@link #offer} returns when the frame does not fit: never a frame's number. */
    public static final long FULL = 0;

    /** What an ACK did. */
    public enum Ack {
        /** It confirmed one frame or more; they are no longer held. */
        CONFIRMED,
        /** It confirmed nothing new: at or below what an earlier ACK or resume confirmed. Harmless. */
        STALE,
        /** It names a number never sent: the peer broke the protocol (400, fatal). */
        BEYOND_SENT,
        /** It is 2^63 or more (negative as a signed long): no stream goes that far (400, fatal). */
        INVALID
    }

    /** What a request to replay after a point found. */
    public enum Replay {
        /** Everything after the point was handed over, in order; everything up to it is confirmed. */
        REPLAYED,
        /** Some frame after the point is no longer held (it was confirmed): the session cannot resume. */
        NO_LONGER_HELD,
        /** The point lies beyond what was sent: the peer claims frames it cannot have. */
        BEYOND_SENT
    }

    private final long maxHeldBytes;
    private final ToIntFunction<? super T> sizeOf;
    private final ArrayDeque<T> held = new ArrayDeque<>();
    private long sent;
    private long heldBytes;

    /**
     * @param maxHeldBytes the bound {@link #offer} keeps to, in bytes; {@code Long.MAX_VALUE} for none
     * @param sizeOf       the bytes a held item counts for (its encoded size); must give the same
     *                     answer every time for the same item
     */
    public SequencedStream(long maxHeldBytes, ToIntFunction<? super T> sizeOf) {
        if (maxHeldBytes < 0) {
            throw new IllegalArgumentException("maxHeldBytes must be >= 0: " + maxHeldBytes);
        }
        this.maxHeldBytes = maxHeldBytes;
        this.sizeOf = Objects.requireNonNull(sizeOf, "sizeOf");
    }

    /** The number of the last frame sent; 0 before the first. The next frame gets this plus one. */
    public long sent() {
        return sent;
    }

    /** The highest number confirmed so far (by an ACK or a resume); everything after it is held. */
    public long acknowledged() {
        return sent - held.size();
    }

    /** How many frames are held: sent and not yet confirmed. */
    public int held() {
        return held.size();
    }

    /** The bytes of the frames held. */
    public long heldBytes() {
        return heldBytes;
    }

    public long maxHeldBytes() {
        return maxHeldBytes;
    }

    /**
     * Whether a frame of {@code bytes} would stay within the bound. A frame always fits when nothing
     * is held, so that one frame larger than the bound cannot wait for ever.
     */
    public boolean fits(int bytes) {
        return heldBytes == 0 || heldBytes + bytes <= maxHeldBytes;
    }

    /**
     * Numbers and holds {@code item} if it {@link #fits}.
     *
     * @return its number, or {@link #FULL} (nothing held, nothing numbered) if it does not fit
     */
    public long offer(T item) {
        return fits(sizeOf.applyAsInt(item)) ? send(item) : FULL;
    }

    /**
     * Numbers and holds {@code item} whatever the bound says.
     *
     * @return its number: {@link #sent()} plus one
     */
    public long send(T item) {
        Objects.requireNonNull(item, "item");
        held.addLast(item);
        heldBytes += sizeOf.applyAsInt(item);
        return ++sent;
    }

    /** A cumulative ACK: confirms and forgets every frame up to {@code n}. */
    public Ack acknowledge(long n) {
        return acknowledge(n, null);
    }

    /**
     * A cumulative ACK: confirms and forgets every frame up to {@code n}, handing each to {@code
     * confirmed} (if not null) in order. An invalid or stale ACK changes nothing.
     */
    public Ack acknowledge(long n, @Nullable Consumer<? super T> confirmed) {
        if (n < 0) {
            return Ack.INVALID;
        }
        if (n > sent) {
            return Ack.BEYOND_SENT;
        }
        if (n <= acknowledged()) {
            return Ack.STALE;
        }
        confirm(n, confirmed);
        return Ack.CONFIRMED;
    }

    /**
     * A resume: the peer has every frame up to {@code lastReceived}. If every frame after it is still
     * held, confirms what it has and hands the rest to {@code resend}, in order, keeping them held
     * (they are unconfirmed until the next ACK). Otherwise changes nothing.
     */
    public Replay replayAfter(long lastReceived, Consumer<? super T> resend) {
        return replayAfter(lastReceived, null, resend);
    }

    /**
     * {@link #replayAfter(long, Consumer)}, handing each frame the resume confirms to {@code
     * confirmed} (if not null) first, in order, as {@link #acknowledge(long, Consumer)} does.
     */
    public Replay replayAfter(long lastReceived, @Nullable Consumer<? super T> confirmed, Consumer<? super T> resend) {
        if (lastReceived < 0 || lastReceived > sent) {
            return Replay.BEYOND_SENT;
        }
        if (lastReceived < acknowledged()) {
            return Replay.NO_LONGER_HELD;
        }
        confirm(lastReceived, confirmed);
        for (T item : held) {
            resend.accept(item);
        }
        return Replay.REPLAYED;
    }

    /**
     * The session is over (lost, or ended): hands every held frame, oldest first, to {@code
     * unconfirmed} (if not null), forgets them, and starts numbering again from 1.
     */
    public void reset(Consumer<? super T> unconfirmed) {
        if (unconfirmed != null) {
            for (T item : held) {
                unconfirmed.accept(item);
            }
        }
        held.clear();
        heldBytes = 0;
        sent = 0;
    }

    /**
     * Takes over a stream kept elsewhere (a session moved from another server): {@code
     * acknowledged} frames were confirmed there, and {@code held} follow it, unconfirmed, in order.
     * Only on a stream that has numbered nothing yet.
     *
     * @throws IllegalStateException if this stream has numbered frames
     */
    public void restore(long acknowledged, java.util.List<? extends T> held) {
        if (sent != 0 || !this.held.isEmpty()) {
            throw new IllegalStateException("restore on a stream that has numbered " + sent + " frames");
        }
        if (acknowledged < 0) {
            throw new IllegalArgumentException("acknowledged must be >= 0: " + acknowledged);
        }
        for (T item : held) {
            this.held.addLast(Objects.requireNonNull(item, "held item"));
            heldBytes += sizeOf.applyAsInt(item);
        }
        sent = acknowledged + held.size();
    }

    private void confirm(long n, @Nullable Consumer<? super T> confirmed) {
        for (long k = acknowledged(); k < n; k++) {
            T item = held.removeFirst();
            heldBytes -= sizeOf.applyAsInt(item);
            if (confirmed != null) {
                confirmed.accept(item);
            }
        }
    }

    @Override
    public String toString() {
        return "SequencedStream[sent " + sent + ", acknowledged " + acknowledged() + ", held " + held.size()
                + " frames, " + heldBytes + " bytes]";
    }

    /**
     * The receiving end of one direction: checks each sequenced frame's number against the next one
     * due, counts what was received, and says when an ACK is due.
     *
     * <p>Frames that state their number (PUBLISH, MESSAGE) are checked; those that do not (0: the
     * others, and a PUBLISH that leaves it unstated) simply take the next one. What to do about a
     * duplicate or a gap is the caller's policy: the protocol has neither over one ordered
     * connection, so both are errors there.
     *
     * <p>Not thread-safe, like the stream: one thread at a time, or one lock.
     */
    public static final class Receiver {
        /** What a received frame's number was. */
        public enum Received {
            /** The next one due (or not stated): now counted as received. */
            IN_ORDER,
            /** At or below the last received: already counted, not counted again. */
            DUPLICATE,
            /** Beyond the next one due (2^63 or more included): frames are missing. Not counted. */
            GAP
        }

        private long lastReceived;
        private long lastAcknowledged;

        /** The number of the last frame received in order; 0 before the first. */
        public long lastReceived() {
            return lastReceived;
        }

        /**
         * Checks a frame's number and counts it if it is the next one due.
         *
         * @param stated the number the frame carries, or 0 if it carries none
         */
        public Received receive(long stated) {
            if (stated == 0 || stated == lastReceived + 1) {
                lastReceived++;
                return Received.IN_ORDER;
            }
            return Long.compareUnsigned(stated, lastReceived) <= 0 ? Received.DUPLICATE : Received.GAP;
        }

        /**
         * At the end of a read: the number to acknowledge, if frames arrived since the last ACK (and
         * that ACK is then counted as sent), else 0 (send nothing).
         */
        public long ackDue() {
            if (lastReceived <= lastAcknowledged) {
                return 0;
            }
            lastAcknowledged = lastReceived;
            return lastReceived;
        }

        /**
         * Takes over a count kept elsewhere (a session moved from another server): {@code
         * lastReceived} frames were received, and the peer is told so (in WELCOME), so they count as
         * acknowledged.
         */
        public void restore(long lastReceived) {
            if (lastReceived < 0) {
                throw new IllegalArgumentException("lastReceived must be >= 0: " + lastReceived);
            }
            this.lastReceived = lastReceived;
            this.lastAcknowledged = lastReceived;
        }

        /** A new session: nothing received, nothing acknowledged. */
        public void reset() {
            lastReceived = 0;
            lastAcknowledged = 0;
        }

        @Override
        public String toString() {
            return "SequencedStream.Receiver[last received " + lastReceived + ", acknowledged " + lastAcknowledged + "]";
        }
    }
}

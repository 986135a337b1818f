// One direction of a session's sequenced frames (docs/protocol.md section 7a): the JavaScript
// mirror of conduit-protocol's dev.conduit.protocol.SequencedStream, method for method, checked
// against the same golden vectors (conduit-protocol/src/test/resources/sequenced-stream-vectors.json,
// replayed by test/sequenced.test.js). Change both together.
//
// Numbers start at 1; 0 means "nothing". They are u64 on the wire; here they are numbers, and one
// that is not a safe integer (beyond 2^53, such as 2^63 and more) is never valid. Not shared between
// tasks: a JavaScript client owns its streams on its one thread.

/** What `SequencedStream.offer` returns when the frame does not fit: never a frame's number. */
export const FULL = 0;

/**
 * What an ACK did: CONFIRMED (one frame or more, no longer held), STALE (nothing new: harmless),
 * BEYOND_SENT (a number never sent: 400, fatal), INVALID (2^63 or more, or not a count: 400, fatal).
 * @typedef {'CONFIRMED' | 'STALE' | 'BEYOND_SENT' | 'INVALID'} AckOutcome
 */

/**
 * What a replay after a point found: REPLAYED (everything after it handed over, everything up to it
 * confirmed), NO_LONGER_HELD (some frame after it was already confirmed: the session cannot resume),
 * BEYOND_SENT (the point lies beyond what was sent).
 * @typedef {'REPLAYED' | 'NO_LONGER_HELD' | 'BEYOND_SENT'} ReplayOutcome
 */

/**
 * What a received frame's number was: IN_ORDER (the next one due, or not stated: now counted),
 * DUPLICATE (at or below the last received: not counted again), GAP (beyond the next one due:
 * frames are missing; not counted).
 * @typedef {'IN_ORDER' | 'DUPLICATE' | 'GAP'} ReceivedOutcome
 */

/** @param {number} n */
function isCount(n) {
    return Number.isSafeInteger(n) && n >= 0;
}

/**
 * The sending end: numbers frames, holds each until the peer's cumulative ACK confirms it (with
 * byte accounting, and a bound that `offer` reports as FULL rather than enforcing by loss), and
 * replays what the peer lacks after a resume.
 * @template T
 */
export class SequencedStream {
    /**
     * @param {number} maxHeldBytes the bound `offer` keeps to; Infinity for none
     * @param {(item: T) => number} sizeOf the bytes a held item counts for; the same every time
     */
    constructor(maxHeldBytes, sizeOf) {
        if (!(maxHeldBytes >= 0)) {
            throw new RangeError(`maxHeldBytes must be >= 0: ${maxHeldBytes}`);
        }
        /** @private */ this._max = maxHeldBytes;
        /** @private */ this._sizeOf = sizeOf;
        /** @private @type {T[]} frames held, oldest first; the first is number acknowledged() + 1 */
        this._held = [];
        /** @private */ this._sent = 0;
        /** @private */ this._heldBytes = 0;
    }

    /** The number of the last frame sent; 0 before the first. */
    get sent() { return this._sent; }

    /** The highest number confirmed so far (by an ACK or a resume); everything after it is held. */
    get acknowledged() { return this._sent - this._held.length; }

    /** How many frames are held: sent and not yet confirmed. */
    get held() { return this._held.length; }

    /** The bytes of the frames held. */
    get heldBytes() { return this._heldBytes; }

    get maxHeldBytes() { return this._max; }

    /** The frames held, oldest first (a copy). @returns {T[]} */
    heldItems() { return this._held.slice(); }

    /**
     * Whether a frame of `bytes` stays within the bound. Always, when nothing is held.
     * @param {number} bytes
     */
    fits(bytes) {
        return this._heldBytes === 0 || this._heldBytes + bytes <= this._max;
    }

    /**
     * Numbers and holds `item` if it fits. @param {T} item
     * @returns {number} its number, or FULL (nothing held, nothing numbered)
     */
    offer(item) {
        return this.fits(this._sizeOf(item)) ? this.send(item) : FULL;
    }

    /** Numbers and holds `item` whatever the bound says. @param {T} item @returns {number} its number */
    send(item) {
        this._held.push(item);
        this._heldBytes += this._sizeOf(item);
        return ++this._sent;
    }

    /**
     * A cumulative ACK: confirms and forgets every frame up to `n`, handing each to `confirmed` in
     * order. An invalid or stale ACK changes nothing.
     * @param {number} n @param {(item: T) => void} [confirmed] @returns {AckOutcome}
     */
    acknowledge(n, confirmed) {
        if (!isCount(n)) {
            return 'INVALID';
        }
        if (n > this._sent) {
            return 'BEYOND_SENT';
        }
        if (n <= this.acknowledged) {
            return 'STALE';
        }
        this._confirm(n, confirmed);
        return 'CONFIRMED';
    }

    /**
     * A resume: the peer has every frame up to `lastReceived`. If every frame after it is still held,
     * confirms what it has and hands the rest to `resend`, in order, keeping them held. Otherwise
     * changes nothing. What it confirms goes to `confirmed` first, as with `acknowledge`.
     * @param {number} lastReceived @param {(item: T) => void} resend @param {(item: T) => void} [confirmed]
     * @returns {ReplayOutcome}
     */
    replayAfter(lastReceived, resend, confirmed) {
        if (!isCount(lastReceived) || lastReceived > this._sent) {
            return 'BEYOND_SENT';
        }
        if (lastReceived < this.acknowledged) {
            return 'NO_LONGER_HELD';
        }
        this._confirm(lastReceived, confirmed);
        for (const item of this._held) {
            resend(item);
        }
        return 'REPLAYED';
    }

    /**
     * The session is over: hands every held frame, oldest first, to `unconfirmed`, forgets them,
     * and starts numbering again from 1.
     * @param {(item: T) => void} [unconfirmed]
     */
    reset(unconfirmed) {
        if (unconfirmed) {
            for (const item of this._held) {
                unconfirmed(item);
            }
        }
        this._held = [];
        this._heldBytes = 0;
        this._sent = 0;
    }

    /** @private @param {number} n @param {(item: T) => void} [confirmed] */
    _confirm(n, confirmed) {
        const done = this._held.splice(0, n - this.acknowledged);
        for (const item of done) {
            this._heldBytes -= this._sizeOf(item);
            confirmed?.(item);
        }
    }
}

/**
 * The receiving end: checks each sequenced frame's number against the next one due, counts what
 * was received, and says when an ACK is due. Frames that state their number (PUBLISH, MESSAGE) are
 * checked; the others (0) take the next one. A duplicate or a gap is the caller's to handle.
 */
export class SequenceReceiver {
    constructor() {
        /** @private */ this._last = 0;
        /** @private */ this._acked = 0;
    }

    /** The number of the last frame received in order; 0 before the first. */
    get lastReceived() { return this._last; }

    /**
     * Checks a frame's number and counts it if it is the next one due.
     * @param {number} stated the number the frame carries, or 0 if none @returns {ReceivedOutcome}
     */
    receive(stated) {
        if (stated === 0 || stated === this._last + 1) {
            this._last++;
            return 'IN_ORDER';
        }
        return isCount(stated) && stated <= this._last ? 'DUPLICATE' : 'GAP';
    }

    /**
     * At the end of a read: the number to acknowledge if frames arrived since the last ACK (which is
     * then counted as sent), else 0 (send nothing). @returns {number}
     */
    ackDue() {
        if (this._last <= this._acked) {
            return 0;
        }
        this._acked = this._last;
        return this._last;
    }

    /** A new session: nothing received, nothing acknowledged. */
    reset() {
        this._last = 0;
        this._acked = 0;
    }
}

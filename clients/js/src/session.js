// The session's numbering, acknowledgement and replay (protocol.md sections 6 and 7), apart from
// sockets, timers and promises: what the client has sent and not had confirmed, what waits for a
// ready connection, and how many sequenced frames it has received and acknowledged. The Client
// owns one Session for its lifetime and drives it; the Link never sees it. The sequence engine
// proper is sequenced.js (shared with the Java client through golden vectors).

import { BufferFullError } from './errors.js';
import { utf8Length } from './subjects.js';
import { SequencedStream, SequenceReceiver } from './sequenced.js';

/**
 * @typedef {import('./codec.js').Frame} Frame
 * @typedef {import('./codec.js').PublishFrame} PublishFrame
 * @typedef {import('./subjects.js').HeaderList} HeaderList
 */

/**
 * A sequenced frame waiting to be sent, or sent and waiting to be acknowledged.
 * @typedef {{ frame: Frame, bytes: number, bounded: boolean }} Outgoing
 */

/**
 * A publish the server never confirmed, as reported by 'sessionLost' and 'closed'.
 * @typedef {{ subject: string, replyTo: string | undefined, headers: HeaderList, data: Uint8Array }} Unconfirmed
 */

/** The encoded size of a frame, for the buffer bound. @param {Frame} f */
export function frameSize(f) {
    if (f.type === 'PUBLISH') {
        let n = 6 + 8 + 4 + utf8Length(f.subject) + utf8Length(f.replyTo) + 4 + 4 + f.payload.length;
        if (f.headers.length > 0) {
            n += 2;
            for (const [k, v] of f.headers) {
                n += 4 + k.length + utf8Length(v);
            }
        }
        return n;
    }
    if (f.type === 'SUBSCRIBE') {
        return 6 + 8 + utf8Length(f.pattern) + utf8Length(f.queueGroup) + (f.creditMessages > 0 ? 8 : 0);
    }
    return 14;
}

/** @param {Outgoing} o @returns {o is Outgoing & { frame: PublishFrame }} */
function isPublish(o) {
    return o.frame.type === 'PUBLISH';
}

/** @param {Outgoing[]} list @returns {Unconfirmed[]} the plain publishes among them (not requests) */
function unconfirmedOf(list) {
    /** @type {Unconfirmed[]} */
    const out = [];
    for (const o of list) {
        if (isPublish(o) && !o.frame.request) {
            const f = o.frame;
            out.push({ subject: f.subject, replyTo: f.replyTo || undefined, headers: f.headers, data: f.payload });
        }
    }
    return out;
}

/**
 * One session's sequence state. Not thread-safe (JavaScript has one thread); the Client calls it
 * from its own turns only. The numbering, acknowledgement and replay of each direction are
 * sequenced.js's SequencedStream and SequenceReceiver (the mirror of the Java SequencedStream,
 * checked against its golden vectors); this class adds what waits for a connection, the buffer
 * bound over both, and acknowledgements held back for a loop that has no room.
 */
export class Session {
    /** @param {number} maxBufferedBytes the bound of unconfirmed and waiting publishes */
    constructor(maxBufferedBytes) {
        this.maxBufferedBytes = maxBufferedBytes;
        /** @type {string | null} null until the first WELCOME */
        this.id = null;
        this.epoch = 0n;
        /**
         * @private @type {SequencedStream<Outgoing>} sent, not yet acknowledged; the bound is kept
         * by `admit` over this and what waits, so the stream itself has none
         */
        this._out = new SequencedStream(Infinity, (o) => o.bytes);
        /** @type {Outgoing[]} waiting for a ready connection */
        this.pending = [];
        /** @private the bytes of `pending` */
        this._pendingBytes = 0;
        /** @private sequenced frames received in this session */
        this._in = new SequenceReceiver();
        /** the last inSeq acknowledged */
        this.inAcked = 0;
        /** @type {Uint8Array} the secret from the last WELCOME that resumes the session once */
        this.token = new Uint8Array(0);
    }

    /** Sequenced frames sent in this session. */
    get outSeq() {
        return this._out.sent;
    }

    /** The highest sequence number the server has confirmed. */
    get confirmed() {
        return this._out.acknowledged;
    }

    /** How many frames were sent and are not yet confirmed. */
    get unconfirmedCount() {
        return this._out.held;
    }

    /** Bytes of the frames sent and not confirmed, and of those waiting (what the bound counts). */
    get bufferedBytes() {
        return this._out.heldBytes + this._pendingBytes;
    }

    /** Sequenced frames received in this session. */
    get inSeq() {
        return this._in.lastReceived;
    }

    /** The sequence number the last frame held now will carry once sent. */
    get lastHeld() {
        return this._out.sent + this.pending.length;
    }

    /**
     * Takes a frame into the buffer: publishes count against the bound (BufferFullError past it);
     * subscribes and unsubscribes count but are never refused. The caller holds it or numbers it next.
     * @param {Frame} frame @param {boolean} bounded @returns {Outgoing}
     */
    admit(frame, bounded) {
        const size = frameSize(frame);
        const buffered = this.bufferedBytes;
        if (bounded && buffered > 0 && buffered + size > this.maxBufferedBytes) {
            throw new BufferFullError(`buffer full: ${buffered} bytes await confirmation and ${size} more would exceed ${this.maxBufferedBytes}`);
        }
        return { frame, bytes: size, bounded };
    }

    /** Holds an admitted frame until a connection is ready. @param {Outgoing} o */
    hold(o) {
        this.pending.push(o);
        this._pendingBytes += o.bytes;
    }

    /** The next waiting frame, or undefined. */
    nextPending() {
        const o = this.pending.shift();
        if (o) {
            this._pendingBytes -= o.bytes;
        }
        return o;
    }

    /**
     * Numbers a frame for sending now and keeps it until acknowledged; returns the frame to write.
     * @param {Outgoing} o @returns {Frame}
     */
    number(o) {
        const n = this._out.send(o);
        if (o.frame.type === 'PUBLISH') {
            o.frame = { ...o.frame, sequence: n };
        }
        return o.frame;
    }

    /** Removes a frame that was never sent (a request withdrawn before it left). @param {Frame} frame */
    withdraw(frame) {
        const i = this.pending.findIndex((o) => o.frame === frame);
        if (i >= 0) {
            this._pendingBytes -= this.pending[i].bytes;
            this.pending.splice(i, 1);
        }
    }

    /**
     * An ACK from the server: confirms everything up to `seq` (an ACK at or below one already
     * received confirms nothing and is ignored, protocol.md section 7a). Returns why it is
     * impossible (a number never sent: the caller drops the connection), or null.
     * @param {number} seq
     */
    acknowledge(seq) {
        const outcome = this._out.acknowledge(seq);
        return outcome === 'BEYOND_SENT' || outcome === 'INVALID'
            ? `server acknowledged frame ${seq} but this client sent only up to ${this._out.sent}` : null;
    }

    /**
     * A RESUMED WELCOME: confirms what the server's `lastReceived` covers and hands every frame
     * after it, in order, to `resend` (they stay held). Returns why that is impossible, changing
     * nothing, or null.
     * @param {number} lastReceived @param {(f: Frame) => void} resend
     */
    resume(lastReceived, resend) {
        const outcome = this._out.replayAfter(lastReceived, (o) => resend(o.frame));
        return outcome === 'REPLAYED' ? null
            : `server resumed at frame ${lastReceived} but this client holds ${this.confirmed + 1}..${this._out.sent}`;
    }

    /** Whether the WELCOME resumes this session. @param {{ resumed: boolean, sessionId: string, epoch: bigint }} w */
    resumes(w) {
        // Not the epoch: a session of a cluster may resume on another node, whose epoch differs.
        return w.resumed && this.id !== null && this.id === w.sessionId;
    }

    /** Starts counting a new session from WELCOME. @param {string} id @param {bigint} epoch */
    begin(id, epoch) {
        this.id = id;
        this.epoch = epoch;
        this._in.reset();
        this.inAcked = 0;
    }

    /**
     * The server did not resume: forgets what was sent (returned as unconfirmed publishes), and drops
     * the requests still waiting (their replies would go to an inbox of the old session).
     * `rebuild` gives the frames that remake state ahead of what waits (the subscriptions).
     * @param {Frame[]} rebuild @returns {Unconfirmed[]}
     */
    lose(rebuild) {
        const unconfirmed = unconfirmedOf(this._out.heldItems());
        this._out.reset();
        const waiting = this.pending.filter((o) => !(isPublish(o) && o.frame.request));
        this.pending = [];
        this._pendingBytes = 0;
        for (const f of rebuild) {
            this.hold(this.admit(f, false));
        }
        waiting.forEach((o) => this.hold(o));
        return unconfirmed;
    }

    /**
     * A SUBSCRIBE for subscription `id` that waits to be sent takes a new pattern (the request
     * inbox, moved by a new session before it was ever sent). @param {number} id @param {string} pattern
     */
    repatternWaiting(id, pattern) {
        for (const o of this.pending) {
            if (o.frame.type === 'SUBSCRIBE' && o.frame.subscriptionId === id) {
                o.frame = { ...o.frame, pattern };
                const size = frameSize(o.frame);
                this._pendingBytes += size - o.bytes;
                o.bytes = size;
            }
        }
    }

    /** Whether a SUBSCRIBE for subscription `id` waits to be sent. @param {number} id */
    subscribeWaiting(id) {
        return this.pending.some((o) => o.frame.type === 'SUBSCRIBE' && o.frame.subscriptionId === id);
    }

    /** The client closed: empties everything and returns the publishes never confirmed. @returns {Unconfirmed[]} */
    clear() {
        const unconfirmed = unconfirmedOf([...this._out.heldItems(), ...this.pending]);
        this._out.reset();
        this.pending = [];
        this._pendingBytes = 0;
        return unconfirmed;
    }

    /**
     * Counts a sequenced frame from the server: 'next' to act on, 'duplicate' for a replayed one
     * (dropped), 'missing' when frames before it never came. MESSAGE frames carry their number;
     * NO_RESPONDERS and GAP (sequence 0) are counted in order.
     * @param {number} sequence the MESSAGE's number, or 0
     * @returns {'next' | 'duplicate' | 'missing'}
     */
    receive(sequence) {
        const outcome = this._in.receive(sequence);
        return outcome === 'IN_ORDER' ? 'next' : outcome === 'DUPLICATE' ? 'duplicate' : 'missing';
    }

    /**
     * The sequence number to acknowledge after a read, or 0 if nothing new may be: everything
     * received below `holdFrom` (the first message a lossy loop has no room for). Not
     * SequenceReceiver.ackDue, which acknowledges all that was received: this one may stop short.
     * @param {number} [holdFrom]
     */
    takeAck(holdFrom = Infinity) {
        const upTo = Math.min(this.inSeq, holdFrom - 1);
        if (upTo > this.inAcked) {
            this.inAcked = upTo;
            return upTo;
        }
        return 0;
    }

    /**
     * Keeps the resume token of the latest WELCOME (protocol.md section 4): a secret that works once,
     * replaced by every WELCOME, shown to nobody. @param {Uint8Array | undefined} token
     */
    resumeWith(token) {
        this.token = token || new Uint8Array(0);
    }

    /** The HELLO resume token, or null before the first WELCOME or when the server offers no resume. */
    resumeToken() {
        return this.id === null || this.token.length === 0 ? null : this.token;
    }
}

// The session's numbering, acknowledgement and replay (protocol.md sections 6 and 7), apart from
// sockets, timers and promises: what the client has sent and not had confirmed, what waits for a
// ready connection, and how many sequenced frames it has received and acknowledged. The Client
// owns one Session for its lifetime and drives it; the Link never sees it. A flow-control or
// shared sequence engine replaces or wraps this module alone.

import { BufferFullError } from './errors.js';
import { utf8Length } from './subjects.js';

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
 * from its own turns only.
 */
export class Session {
    /** @param {number} maxBufferedBytes the bound of unconfirmed and waiting publishes */
    constructor(maxBufferedBytes) {
        this.maxBufferedBytes = maxBufferedBytes;
        /** @type {string | null} null until the first WELCOME */
        this.id = null;
        this.epoch = 0n;
        /** sequenced frames sent in this session */
        this.outSeq = 0;
        /** @type {Outgoing[]} sent, not yet acknowledged, oldest first */
        this.unacked = [];
        /** @type {Outgoing[]} waiting for a ready connection */
        this.pending = [];
        this.bufferedBytes = 0;
        /** sequenced frames received in this session */
        this.inSeq = 0;
        /** the last inSeq acknowledged */
        this.inAcked = 0;
        /** @type {Uint8Array} the secret from the last WELCOME that resumes the session once */
        this.token = new Uint8Array(0);
    }

    /** The highest sequence number the server has confirmed. */
    get confirmed() {
        return this.outSeq - this.unacked.length;
    }

    /** The sequence number the last frame held now will carry once sent. */
    get lastHeld() {
        return this.outSeq + this.pending.length;
    }

    /**
     * Takes a frame into the buffer: publishes count against the bound (BufferFullError past it);
     * subscribes and unsubscribes count but are never refused.
     * @param {Frame} frame @param {boolean} bounded @returns {Outgoing}
     */
    admit(frame, bounded) {
        const size = frameSize(frame);
        if (bounded && this.bufferedBytes > 0 && this.bufferedBytes + size > this.maxBufferedBytes) {
            throw new BufferFullError(`buffer full: ${this.bufferedBytes} bytes await confirmation and ${size} more would exceed ${this.maxBufferedBytes}`);
        }
        this.bufferedBytes += size;
        return { frame, bytes: size, bounded };
    }

    /** Holds an admitted frame until a connection is ready. @param {Outgoing} o */
    hold(o) {
        this.pending.push(o);
    }

    /** The next waiting frame, or undefined. */
    nextPending() {
        return this.pending.shift();
    }

    /**
     * Numbers a frame for sending now and keeps it until acknowledged; returns the frame to write.
     * @param {Outgoing} o @returns {Frame}
     */
    number(o) {
        this.outSeq++;
        if (o.frame.type === 'PUBLISH') {
            o.frame = { ...o.frame, sequence: this.outSeq };
        }
        this.unacked.push(o);
        return o.frame;
    }

    /** Removes a frame that was never sent (a request withdrawn before it left). @param {Frame} frame */
    withdraw(frame) {
        const i = this.pending.findIndex((o) => o.frame === frame);
        if (i >= 0) {
            this.bufferedBytes -= this.pending[i].bytes;
            this.pending.splice(i, 1);
        }
    }

    /** Why an ACK of `seq` is impossible, or null. @param {number} seq */
    ackProblem(seq) {
        if (seq > this.outSeq || seq < this.confirmed) {
            return `server acknowledged frame ${seq} but this client holds ${this.confirmed + 1}..${this.outSeq}`;
        }
        return null;
    }

    /** Why resuming at `lastReceived` is impossible, or null. @param {number} lastReceived */
    resumeProblem(lastReceived) {
        if (lastReceived < this.confirmed || lastReceived > this.outSeq) {
            return `server resumed at frame ${lastReceived} but this client holds ${this.confirmed + 1}..${this.outSeq}`;
        }
        return null;
    }

    /** The server confirmed everything up to `seq`: drops it from the buffer. @param {number} seq */
    confirm(seq) {
        const n = seq - this.confirmed;
        if (n > 0) {
            for (const o of this.unacked.splice(0, n)) {
                this.bufferedBytes -= o.bytes;
            }
        }
    }

    /** Whether the WELCOME resumes this session. @param {{ resumed: boolean, sessionId: string, epoch: bigint }} w */
    resumes(w) {
        return w.resumed && this.id !== null && this.id === w.sessionId && this.epoch === w.epoch;
    }

    /** Starts counting a new session from WELCOME. @param {string} id @param {bigint} epoch */
    begin(id, epoch) {
        this.id = id;
        this.epoch = epoch;
        this.inSeq = 0;
        this.inAcked = 0;
    }

    /**
     * The server did not resume: forgets what was sent (returned as unconfirmed publishes), and drops
     * the requests still waiting (their replies would go to an inbox of the old session).
     * `rebuild` gives the frames that remake state ahead of what waits (the subscriptions).
     * @param {Frame[]} rebuild @returns {Unconfirmed[]}
     */
    lose(rebuild) {
        const unconfirmed = unconfirmedOf(this.unacked);
        for (const o of this.unacked) {
            this.bufferedBytes -= o.bytes;
        }
        this.unacked = [];
        this.outSeq = 0;
        this.pending = this.pending.filter((o) => {
            if (isPublish(o) && o.frame.request) {
                this.bufferedBytes -= o.bytes;
                return false;
            }
            return true;
        });
        this.pending = [...rebuild.map((f) => this.admit(f, false)), ...this.pending];
        return unconfirmed;
    }

    /** Whether a SUBSCRIBE for subscription `id` waits to be sent. @param {number} id */
    subscribeWaiting(id) {
        return this.pending.some((o) => o.frame.type === 'SUBSCRIBE' && o.frame.subscriptionId === id);
    }

    /** The client closed: empties everything and returns the publishes never confirmed. @returns {Unconfirmed[]} */
    clear() {
        const unconfirmed = unconfirmedOf([...this.unacked, ...this.pending]);
        this.unacked = [];
        this.pending = [];
        this.bufferedBytes = 0;
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
        if (sequence !== 0) {
            if (sequence <= this.inSeq) {
                return 'duplicate';
            }
            if (sequence !== this.inSeq + 1) {
                return 'missing';
            }
        }
        this.inSeq++;
        return 'next';
    }

    /**
     * The sequence number to acknowledge after a read, or 0 if nothing new may be: everything
     * received below `holdFrom` (the first message a subscription's loop has no room for).
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

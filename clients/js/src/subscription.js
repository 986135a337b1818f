// What arrives: Msg (one message) and Subscription (handler or \`for await\`).

import { ConduitError, InvalidArgumentError, ServerError } from './errors.js';
import { carrierOf } from './tracing.js';

/**
 * @typedef {import('./codec.js').MessageBody} MessageBody
 * @typedef {import('./codec.js').Frame} Frame
 * @typedef {import('./codec.js').SubscribeFrame} SubscribeFrame
 * @typedef {import('./codec.js').CreditFrame} CreditFrame
 * @typedef {import('./codec.js').Data} Data
 * @typedef {import('./subjects.js').HeadersInit} HeadersInit
 * @typedef {import('./subjects.js').HeaderList} HeaderList
 * @typedef {import('./client.js').Client} Client
 */


/** A message delivered to a subscription (or a reply to a request). */
export class Msg {
    /**
     * @param {Client} client @param {MessageBody} body @param {Subscription | null} subscription
     */
    constructor(client, body, subscription) {
        /** @private */
        this._client = client;
        /** The subject it was published to. */
        this.subject = body.subject;
        /** @type {string | undefined} where to send a reply, if the publisher asked for one */
        this.replyTo = body.replyTo === '' ? undefined : body.replyTo;
        /** @type {HeaderList} in the order sent; names may repeat */
        this.headers = body.headers;
        /** The payload. */
        this.data = body.payload;
        /** The subscription it arrived on (null for a request's reply). */
        this.subscription = subscription;
    }

    /** The payload as UTF-8 text. */
    text() {
        return new TextDecoder().decode(this.data);
    }

    /** The payload parsed as JSON. @returns {any} */
    json() {
        return JSON.parse(this.text());
    }

    /**
     * The first value of a header, names compared ignoring ASCII case.
     * @param {string} name @returns {string | undefined}
     */
    header(name) {
        const n = name.toLowerCase();
        const h = this.headers.find(([k]) => k.toLowerCase() === n);
        return h ? h[1] : undefined;
    }

    /**
     * Publishes a reply to `replyTo`.
     * @param {Data} data @param {{ headers?: HeadersInit }} [options]
     */
    respond(data, options = {}) {
        if (!this.replyTo) {
            throw new InvalidArgumentError(`the message on '${this.subject}' has no reply subject`);
        }
        this._client._send(this.replyTo, data, options.headers, undefined, 'reply');
    }
}

/**
 * One subscription; made by `Client.subscribe`. With a handler, each message is handed to it as it
 * arrives. Without one, the subscription is an async iterable (`for await (const msg of sub)`):
 * messages wait in a buffer of `bufferSize` messages.
 *
 * A reliable subscription (the default; protocol.md section 7b) grants the server a credit window
 * and reports with CREDIT what it has taken: a message counts as taken when the handler has run on
 * it, or when the loop takes it from the buffer. A loop's window is at most `bufferSize` messages,
 * so the server never sends more than fits the buffer and nothing is held back or dropped.
 *
 * A lossy subscription has no credit. Its loop's buffer bound is kept by acknowledgements: past
 * `bufferSize` the client keeps what arrives but stops acknowledging it, so the server's bound for
 * unacknowledged frames (section 7a) holds back (and may skip, with GAP) what follows, and
 * acknowledges it as the loop takes it. The same safety net catches a server that sends a reliable
 * loop more than its credit.
 */
export class Subscription {
    /**
     * @param {Client} client @param {number} id @param {string} pattern @param {string | undefined} queue
     * @param {((msg: Msg) => void) | null} handler null: iterate @param {boolean} disconnectWhenSlow
     * @param {number} [bufferSize] without a handler, the messages that may wait for the loop
     * @param {{ messages: number, bytes: number } | null} [credit] the window of a reliable subscription; null: lossy
     */
    constructor(client, id, pattern, queue, handler, disconnectWhenSlow, bufferSize = 1024, credit = null) {
        /** @private */
        this._client = client;
        this.id = id;
        this.pattern = pattern;
        this.queue = queue;
        /** @private */
        this._handler = handler;
        this.disconnectWhenSlow = disconnectWhenSlow;
        /** Messages received since the subscription (or its remaking in a new session) began. */
        this.received = 0;
        /** Messages handed to the handler in all. */
        this.delivered = 0;
        /** Messages the server skipped for this subscription (GAP). */
        this.dropped = 0;
        /** Total received at which it ends. */
        this.limit = Infinity;
        this.active = true;
        /** @type {ServerError | null} why the server ended it (403: the principal may not subscribe to the pattern; 429: it took nothing for the server's stall limit) */
        this.error = null;
        /** Without a handler: how many messages may wait for the loop (see the class comment). */
        this.bufferSize = bufferSize;
        /** @private @type {Array<{ msg: Msg, seq: number }>} arrived, not yet taken; seq 0: of an earlier session */
        this._queue = [];
        /** @private @type {Array<{ resolve: (r: IteratorResult<Msg, undefined>) => void, reject: (e: Error) => void }>} */
        this._waiters = [];
        /** @private whether a loop has been given `error` (once; after it, the loop is done) */
        this._errorThrown = false;
        /** Reliable (credit-based, never skipped) unless made lossy or with disconnectWhenSlow (protocol.md 7b). */
        this.reliable = credit !== null && !disconnectWhenSlow;
        /** @private the window first granted: a loop's is at most its buffer */
        this._fullWindow = credit === null ? { messages: 0, bytes: 0 }
            : { messages: handler === null ? Math.min(credit.messages, bufferSize) : credit.messages, bytes: credit.bytes };
        /** @private the window granted in this session's SUBSCRIBE */
        this._window = { ...this._fullWindow };
        /** @private messages and payload bytes taken in this session (handler run, or loop took it) */
        this._consumed = 0;
        /** @private */
        this._consumedBytes = 0;
        /** @private totals last reported with CREDIT */
        this._reported = 0;
        /** @private */
        this._reportedBytes = 0;
        /** @private payload bytes in the loop's buffer */
        this._queuedBytes = 0;
    }

    /** Whether messages go to an iterator rather than a handler. */
    get iterable() {
        return this._handler === null;
    }

    /** Messages that arrived and wait for the loop. */
    get buffered() {
        return this._queue.length;
    }

    /**
     * The messages of this subscription, as they arrive. Ends when the subscription does (after
     * what is buffered, except after `unsubscribe()`, which drops it); throws the server's error if
     * it refused the subscription. Leaving the loop (`break`) unsubscribes.
     * @returns {AsyncIterableIterator<Msg>}
     */
    [Symbol.asyncIterator]() {
        if (!this.iterable) {
            throw new InvalidArgumentError(`subscription ${this.id} '${this.pattern}' has a handler: subscribe without one to iterate`);
        }
        return {
            next: () => this._next(),
            return: async () => {
                this.unsubscribe();
                return { value: undefined, done: true };
            },
            [Symbol.asyncIterator]() {
                return this;
            },
        };
    }

    /** @private @returns {Promise<IteratorResult<Msg, undefined>>} */
    _next() {
        const entry = this._queue.shift();
        if (entry) {
            this.delivered++;
            this._queuedBytes -= entry.msg.data.length;
            if (this._queue.length >= this.bufferSize) {
                // A message held back from acknowledgement now fits the buffer.
                this._client._released();
            }
            if (this.reliable) {
                this._taken(entry.msg.data.length, this._queue.length === 0);
            }
            return Promise.resolve({ value: entry.msg, done: false });
        }
        if (!this.active) {
            const e = this._errorThrown ? null : this.error;
            this._errorThrown = true;
            return e ? Promise.reject(e) : Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => this._waiters.push({ resolve, reject }));
    }

    /**
     * The first session sequence number not to acknowledge yet (the first message past the bound
     * that arrived in this session), or Infinity.
     * @internal
     */
    _holdFrom() {
        for (let i = this.bufferSize; i < this._queue.length; i++) {
            if (this._queue[i].seq !== 0) {
                return this._queue[i].seq;
            }
        }
        return Infinity;
    }

    /** @internal A new session numbers from 1 again: what is buffered holds nothing back. */
    _newSession() {
        for (const e of this._queue) {
            e.seq = 0;
        }
    }

    /** @internal Wakes a waiting loop once the subscription has ended. */
    _wake() {
        if (this.active || this._queue.length > 0) {
            return;
        }
        for (const w of this._waiters.splice(0)) {
            if (this.error && !this._errorThrown) {
                this._errorThrown = true;
                w.reject(this.error);
            } else {
                w.resolve({ value: undefined, done: true });
            }
        }
    }

    /** @internal @param {MessageBody} body @param {number} [seq] its session sequence number */
    _onMessage(body, seq = 0) {
        if (!this.active) {
            return;
        }
        this.received++;
        const last = this.received >= this.limit;
        const msg = new Msg(this._client, body, this);
        if (this._handler === null) {
            const waiter = this._waiters.shift();
            if (waiter) {
                this.delivered++;
                waiter.resolve({ value: msg, done: false });
                if (this.reliable) {
                    this._taken(body.payload.length, false); // the rest goes at the end of the read
                }
            } else {
                this._queue.push({ msg, seq });
                this._queuedBytes += body.payload.length;
            }
            if (last) {
                this._end();
            }
            return;
        }
        if (last) {
            this._end();
        }
        this.delivered++;
        try {
            const tracing = this._client._tracing;
            if (tracing?.extract && this._client._inbox !== this) {
                const handler = this._handler;
                tracing.extract(carrierOf(body.headers), { subject: msg.subject, pattern: this.pattern }, () => handler(msg));
            } else {
                this._handler(msg);
            }
        } catch (e) {
            this._client._emit('error', new ConduitError(`handler of subscription ${this.id} '${this.pattern}' failed: ${e instanceof Error ? e.message : String(e)}`));
        }
        if (this.reliable) {
            this._taken(body.payload.length, false); // the rest goes at the end of the read
        }
    }

    /**
     * @internal A message of `bytes` payload bytes was taken: reports it at once when half a window
     * has been taken since the last report, or when the loop's buffer ran empty (`idle`); else at the
     * end of the read (`_reportCredit`).
     * @param {number} bytes @param {boolean} idle
     */
    _taken(bytes, idle) {
        this._consumed++;
        this._consumedBytes += bytes;
        if (idle || this._consumed - this._reported >= Math.max(1, this._window.messages / 2)
                || this._consumedBytes - this._reportedBytes >= this._window.bytes / 2) {
            this._reportCredit();
        }
    }

    /** @internal Sends CREDIT if anything taken is unreported (and a connection is ready). */
    _reportCredit() {
        if (this.reliable && this.active && (this._consumed > this._reported || this._consumedBytes > this._reportedBytes)
                && this._client._sendCredit(this._creditFrame())) {
            this._reported = this._consumed;
            this._reportedBytes = this._consumedBytes;
        }
    }

    /** @internal @returns {CreditFrame} the consumed totals of this session */
    _creditFrame() {
        return { type: 'CREDIT', subscriptionId: this.id, consumedMessages: this._consumed, consumedBytes: this._consumedBytes };
    }

    /** @internal */
    _subscribeFrame() {
        return /** @type {SubscribeFrame} */ ({ type: 'SUBSCRIBE', subscriptionId: this.id, pattern: this.pattern,
            queueGroup: this.queue || '', disconnectWhenSlow: this.disconnectWhenSlow,
            creditMessages: this.reliable ? this._window.messages : 0, creditBytes: this.reliable ? this._window.bytes : 0 });
    }

    /** @internal The frames that make it again in a new session, whose server counts from 0. @returns {Frame[]} */
    _resubscribeFrames() {
        const got = this.received;
        this.received = 0;
        if (this.reliable) {
            // The new session counts credit from zero. What the loop's buffer still holds from the
            // old one is taken from the window (and counts as consumed in the new session once the
            // loop takes it), so the buffer stays within the window first granted.
            this._window = { messages: Math.max(1, this._fullWindow.messages - this._queue.length),
                bytes: Math.max(1, this._fullWindow.bytes - this._queuedBytes) };
            this._consumed = 0;
            this._consumedBytes = 0;
            this._reported = 0;
            this._reportedBytes = 0;
        }
        if (this.limit === Infinity) {
            return [this._subscribeFrame()];
        }
        this.limit -= got;
        return [this._subscribeFrame(), { type: 'UNSUBSCRIBE', subscriptionId: this.id, afterMessages: this.limit }];
    }

    /** @internal */
    _end() {
        this.active = false;
        this._client._forget(this);
        this._wake();
    }

    /**
     * @internal GAP with ENDED: the server ended this reliable subscription, which granted no credit
     * for its stall limit. The loop gets what is buffered, then the error.
     */
    _endedByServer() {
        if (!this.active) {
            return;
        }
        this.error = new ServerError(429, false, `subscription ${this.id} '${this.pattern}' was ended by the server: it took nothing for the server's stall limit`);
        this._end();
    }

    /** Ends the subscription now. Messages already in flight, or buffered for a loop, are dropped. */
    unsubscribe() {
        if (this.active) {
            const held = this._queue.length > this.bufferSize;
            this._queue = [];
            this._queuedBytes = 0;
            this._end();
            if (held) {
                this._client._released();
            }
            this._client._enqueue({ type: 'UNSUBSCRIBE', subscriptionId: this.id, afterMessages: 0 }, false);
        }
    }

    /**
     * Ends the subscription after `n` more messages (counted the same way by the server).
     * @param {number} n
     */
    unsubscribeAfter(n) {
        if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) {
            throw new InvalidArgumentError(`messages must be between 1 and 4294967295: ${n}`);
        }
        if (!this.active) {
            return;
        }
        const total = this.received + n;
        if (total > 0xffffffff) {
            throw new InvalidArgumentError(`subscription has already received ${this.received} messages; ${n} more exceeds the protocol's 32-bit count`);
        }
        this.limit = total;
        this._client._enqueue({ type: 'UNSUBSCRIBE', subscriptionId: this.id, afterMessages: total }, false);
    }
}

// -------------------------------------------------------------------------------------------------

// What arrives: Msg (one message) and Subscription (handler or \`for await\`).

import { ConduitError, InvalidArgumentError } from './errors.js';

/**
 * @typedef {import('./codec.js').MessageBody} MessageBody
 * @typedef {import('./codec.js').Frame} Frame
 * @typedef {import('./codec.js').SubscribeFrame} SubscribeFrame
 * @typedef {import('./codec.js').Data} Data
 * @typedef {import('./subjects.js').HeadersInit} HeadersInit
 * @typedef {import('./subjects.js').HeaderList} HeaderList
 * @typedef {import('./errors.js').ServerError} ServerError
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
        this._client.publish(this.replyTo, data, { headers: options.headers });
    }
}

/**
 * One subscription; made by `Client.subscribe`. With a handler, each message is handed to it as it
 * arrives. Without one, the subscription is an async iterable (`for await (const msg of sub)`):
 * messages wait in a buffer of `bufferSize` messages. Past that bound nothing is dropped; the client
 * stops acknowledging the messages beyond it, so the server's bound for unacknowledged messages
 * (protocol.md section 7a) holds back what follows, and acknowledges them as the loop takes them.
 */
export class Subscription {
    /**
     * @param {Client} client @param {number} id @param {string} pattern @param {string | undefined} queue
     * @param {((msg: Msg) => void) | null} handler null: iterate @param {boolean} disconnectWhenSlow
     * @param {number} [bufferSize] without a handler, the messages held before acknowledgements stop
     */
    constructor(client, id, pattern, queue, handler, disconnectWhenSlow, bufferSize = 1024) {
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
        /** @type {ServerError | null} why the server ended it (403: the principal may not subscribe to the pattern) */
        this.error = null;
        /** Without a handler: how many messages wait before acknowledgements stop. */
        this.bufferSize = bufferSize;
        /** @private @type {Array<{ msg: Msg, seq: number }>} arrived, not yet taken; seq 0: of an earlier session */
        this._queue = [];
        /** @private @type {Array<{ resolve: (r: IteratorResult<Msg, undefined>) => void, reject: (e: Error) => void }>} */
        this._waiters = [];
        /** @private whether a loop has been given `error` (once; after it, the loop is done) */
        this._errorThrown = false;
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
            if (this._queue.length >= this.bufferSize) {
                // A message held back from acknowledgement now fits the buffer.
                this._client._released();
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
            } else {
                this._queue.push({ msg, seq });
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
            this._handler(msg);
        } catch (e) {
            this._client._emit('error', new ConduitError(`handler of subscription ${this.id} '${this.pattern}' failed: ${e instanceof Error ? e.message : String(e)}`));
        }
    }

    /** @internal */
    _subscribeFrame() {
        return /** @type {SubscribeFrame} */ ({ type: 'SUBSCRIBE', subscriptionId: this.id, pattern: this.pattern,
            queueGroup: this.queue || '', disconnectWhenSlow: this.disconnectWhenSlow });
    }

    /** @internal The frames that make it again in a new session, whose server counts from 0. @returns {Frame[]} */
    _resubscribeFrames() {
        const got = this.received;
        this.received = 0;
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

    /** Ends the subscription now. Messages already in flight, or buffered for a loop, are dropped. */
    unsubscribe() {
        if (this.active) {
            const held = this._queue.length > this.bufferSize;
            this._queue = [];
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

// The Client: one Conduit session kept across connections. It validates what the application
// gives, keeps subscriptions, requests and flushes, and drives the Session (numbering, acks,
// replay) and one Link at a time (the WebSocket).
//
// Why it is long (~1000 lines): it is the one place where the public API, the connection life cycle
// (connecting, resuming, losing the session, GOAWAY, renewal, denial) and the events meet, and each
// of those touches the same state. What stands apart is elsewhere: numbering and replay in
// session.js, the socket in link.js, replies in requests.js, delivery in subscription.js.

import { PROTOCOL_VERSION, DEFAULT_LIMITS, MAX_ALTERNATES, toBytes } from './codec.js';
import { subjectProblem, queueGroupProblem, toHeaderList, utf8Length } from './subjects.js';
import { ConduitError, ProtocolError, ServerError, TimeoutError, NoRespondersError, SessionLostError, ClosedError,
    InvalidArgumentError, OriginNotAllowedError } from './errors.js';
import { Msg, Subscription } from './subscription.js';
import { Session } from './session.js';
import { Link } from './link.js';
import { Requests, abortError } from './requests.js';
import { credentialsSupplier, encodeCredentials } from './credentials.js';
import { realTimers, backoffDelay, positive, retryable } from './options.js';
import { traceSend } from './tracing.js';

/**
 * @typedef {import('./codec.js').Frame} Frame
 * @typedef {import('./codec.js').PublishFrame} PublishFrame
 * @typedef {import('./codec.js').WelcomeFrame} WelcomeFrame
 * @typedef {import('./codec.js').AckFrame} AckFrame
 * @typedef {import('./codec.js').HelloFrame} HelloFrame
 * @typedef {import('./codec.js').MessageFrame} MessageFrame
 * @typedef {import('./codec.js').NoRespondersFrame} NoRespondersFrame
 * @typedef {import('./codec.js').GapFrame} GapFrame
 * @typedef {import('./codec.js').CreditFrame} CreditFrame
 * @typedef {import('./codec.js').Data} Data
 * @typedef {import('./codec.js').Limits} Limits
 * @typedef {import('./subjects.js').HeadersInit} HeadersInit
 * @typedef {import('./session.js').Outgoing} Outgoing
 * @typedef {import('./session.js').Unconfirmed} Unconfirmed
 * @typedef {import('./options.js').ConnectOptions} ConnectOptions
 * @typedef {import('./options.js').Timers} Timers
 * @typedef {import('./options.js').WebSocketConstructor} WebSocketConstructor
 * @typedef {import('./options.js').ServerInfo} ServerInfo
 * @typedef {import('./options.js').SessionLost} SessionLost
 * @typedef {import('./options.js').ClientState} ClientState
 * @typedef {import('./options.js').EventName} EventName
 * @typedef {import('./options.js').PendingFlush} PendingFlush
 * @typedef {import('./options.js').SubscribeOptions} SubscribeOptions
 * @typedef {import('./credentials.js').EncodedCredentials} EncodedCredentials
 */

/**
 * Connects to a Conduit server and resolves once the first WELCOME arrived.
 * @param {ConnectOptions} options
 * @returns {Promise<Client>}
 */
export async function connect(options) {
    const client = new Client(options);
    await client._start();
    return client;
}

/** @param {number} n */
function randomToken(n) {
    const bytes = new Uint8Array(n);
    globalThis.crypto.getRandomValues(bytes);
    let s = '';
    for (const b of bytes) {
        s += String.fromCharCode(b);
    }
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** One Conduit session, kept across connections. Made by `connect`. */
export class Client {
    /** @param {ConnectOptions} options */
    constructor(options) {
        if (!options || !options.url) {
            throw new InvalidArgumentError('options.url is required');
        }
        const WS = options.WebSocket || /** @type {any} */ (globalThis).WebSocket;
        if (typeof WS !== 'function') {
            throw new InvalidArgumentError('no WebSocket class: pass options.WebSocket (in Node, the "ws" package)');
        }
        /** @private */
        this._WS = /** @type {WebSocketConstructor} */ (WS);
        /** @private */
        this._endpoints = Array.isArray(options.url) ? [...options.url] : [options.url];
        if (this._endpoints.length === 0) {
            throw new InvalidArgumentError('options.url names no endpoint');
        }
        for (const u of this._endpoints) {
            if (typeof u !== 'string' || !/^wss?:\/\/[^/]/i.test(u)) {
                throw new InvalidArgumentError(`options.url: '${u}' is not a ws:// or wss:// URL (e.g. ws://127.0.0.1:7480/conduit)`);
            }
        }
        this._endpoints = this._endpoints.map(withDefaultPath);
        /** @private How many of `_endpoints` are the client's own (never dropped); learned ones follow. */
        this._ownEndpoints = this._endpoints.length;
        /** @private */
        this._endpointIndex = 0;
        /** @private */
        this._name = options.name || '';
        /** @private */
        this._supplier = credentialsSupplier(options);
        const r = options.reconnect || {};
        /** @private */
        this._backoff = { initialDelayMs: positive(r.initialDelayMs, 100, 'reconnect.initialDelayMs', true),
            maxDelayMs: positive(r.maxDelayMs, 5000, 'reconnect.maxDelayMs', true),
            jitter: positive(r.jitter, 0.2, 'reconnect.jitter', true) };
        if (this._backoff.jitter > 1) {
            throw new InvalidArgumentError(`reconnect.jitter must be between 0 and 1: ${this._backoff.jitter}`);
        }
        /** @private */
        this._maxAttempts = r.maxAttempts === undefined ? Infinity : positive(r.maxAttempts, 0, 'reconnect.maxAttempts', true);
        /** @private */
        this._requestTimeoutMs = positive(options.requestTimeoutMs, 2000, 'requestTimeoutMs');
        /** @private */
        this._connectTimeoutMs = positive(options.connectTimeoutMs, 10000, 'connectTimeoutMs');
        /** @private */
        this._flushTimeoutMs = positive(options.flushTimeoutMs, 10000, 'flushTimeoutMs');
        /** @private */
        this._closeTimeoutMs = positive(options.closeTimeoutMs, 5000, 'closeTimeoutMs', true);
        /** @private */
        this._retryInitialConnect = !!options.retryInitialConnect;
        /** @private */
        this._disconnectWhenSlow = !!options.disconnectWhenSlow;
        /** @private the window of reliable subscriptions */
        this._credit = { messages: positive(options.creditMessages, 65536, 'creditMessages'),
            bytes: positive(options.creditBytes, 8 * 1024 * 1024, 'creditBytes') };
        if (!Number.isInteger(this._credit.messages) || !Number.isInteger(this._credit.bytes)
                || this._credit.messages > 0xffffffff || this._credit.bytes > 0xffffffff) {
            throw new InvalidArgumentError('creditMessages and creditBytes must be integers that fit in 32 bits');
        }
        /** @private @type {Timers} */
        this._timers = options.timers || realTimers;
        /** @private */
        this._random = options.random || Math.random;
        /** @private @type {EventTarget | null} where 'online' says the network is back: reconnect at once */
        this._networkEvents = options.networkEvents !== undefined ? options.networkEvents
            : typeof (/** @type {any} */ (globalThis).addEventListener) === 'function' ? /** @type {EventTarget} */ (/** @type {unknown} */ (globalThis)) : null;
        if (options.tracing != null && typeof options.tracing.inject !== 'function') {
            throw new InvalidArgumentError('tracing must have an inject function (see openTelemetryTracing)');
        }
        /** @internal @type {import('./tracing.js').Tracing | null} trace context hooks (tracing.js) */
        this._tracing = options.tracing || null;
        /** @private */
        this._onOnline = () => this._networkBack();
        this._networkEvents?.addEventListener('online', this._onOnline);

        /** @type {ClientState} */
        this.state = 'connecting';
        /** @type {ServerInfo | null} from the last WELCOME */
        this.info = null;
        /** @private @type {Map<string, Set<(arg: any) => void>>} */
        this._listeners = new Map();
        for (const [event, handler] of Object.entries(options.on || {})) {
            if (typeof handler === 'function') {
                this.on(/** @type {EventName} */ (event), handler);
            }
        }
        /** @private @type {Map<number, Subscription>} */
        this._subs = new Map();
        /** @private */
        this._nextSubId = 0;
        /** @private @type {Set<Subscription>} the subscriptions without a handler, whose buffers may hold acknowledgements back */
        this._iterated = new Set();
        /** @private @type {Link | null} */
        this._link = null;
        /** @private whether the link has its WELCOME and may send */
        this._ready = false;
        /** @private numbering, acknowledgement and replay, across connections */
        this._session = new Session(positive(options.maxBufferedBytes, 8 * 1024 * 1024, 'maxBufferedBytes'));
        /** @private @type {Limits} */
        this._limits = DEFAULT_LIMITS;
        /** @private consecutive failed attempts */
        this._failures = 0;
        /** @private @type {unknown} */
        this._retryTimer = null;
        /** @private @type {string | null} the reason of a 410 */
        this._refusal = null;
        /** @private after GOAWAY: try the next endpoint at once */
        this._moveOn = false;
        /** @private @type {PendingFlush[]} */
        this._flushes = [];
        /** @internal @type {Subscription | null} the requests' inbox subscription, made on first use */
        this._inbox = null;
        /** @private @type {string | null} the subject that last passed the check, under _lastSubjectMax */
        this._lastSubject = null;
        /** @private */
        this._lastSubjectMax = 0;
        /** @private requests waiting for their reply, under one inbox prefix (the server's, from WELCOME, if it assigns one) */
        this._requests = new Requests(this._timers, `_INBOX.${randomToken(12)}.`);
        /** @private @type {((e?: Error) => void) | null} settles connect() */
        this._firstOpen = null;
        /** @private @type {Error | null} */
        this._lastFailure = null;
        /** @private */
        this._stats = { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0, reconnects: 0, resumes: 0, sessionsLost: 0,
            duplicatesDropped: 0, gaps: 0, droppedByServer: 0, pingsReceived: 0, pongsReceived: 0 };
    }

    // ---------------------------------------------------------------------------------------------
    // Events

    /**
     * Adds a listener: 'connected' (ServerInfo), 'disconnected' ({ reason }), 'reconnected' (ServerInfo),
     * 'resumed' (ServerInfo), 'sessionLost' (SessionLost), 'error' (Error), 'slowConsumer'
     * ({ subscription, dropped, ended }), 'renewed' ({ credentialsValidMs }: the server accepted renewed
     * credentials, AUTH_OK), 'closed' ({ reason, unconfirmed }: the publishes never confirmed).
     * @param {EventName} event @param {(arg: any) => void} handler
     * @returns {() => void} removes the listener
     */
    on(event, handler) {
        let set = this._listeners.get(event);
        if (!set) {
            set = new Set();
            this._listeners.set(event, set);
        }
        set.add(handler);
        return () => this.off(event, handler);
    }

    /** @param {EventName} event @param {(arg: any) => void} handler */
    off(event, handler) {
        this._listeners.get(event)?.delete(handler);
    }

    /** @internal @param {EventName} event @param {any} arg */
    _emit(event, arg) {
        const set = this._listeners.get(event);
        if (!set || set.size === 0) {
            if (event === 'error') {
                // Nothing is dropped silently: without a listener, errors go to the console.
                console.warn('conduit:', arg instanceof Error ? arg.message : arg);
            }
            return;
        }
        for (const h of [...set]) {
            try {
                h(arg);
            } catch (e) {
                if (event !== 'error') {
                    this._emit('error', e instanceof Error ? e : new Error(String(e)));
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Public API

    /**
     * Publishes a message. Sent at once when connected, else buffered (bounded) until the session
     * is resumed. Throws InvalidArgumentError for a bad subject, headers or size, BufferFullError
     * when the buffer bound would be exceeded, ClosedError when closed.
     * @param {string} subject
     * @param {Data} [data] a string (UTF-8), bytes, or another value sent as JSON
     * @param {{ headers?: HeadersInit, replyTo?: string }} [options]
     */
    publish(subject, data, options = {}) {
        this._send(subject, data, options.headers, options.replyTo, 'publish');
    }

    /**
     * @internal A publish, or a reply (Msg.respond): traced as such when `tracing` is set.
     * @param {string} subject @param {Data} data @param {HeadersInit | undefined} headers
     * @param {string | undefined} replyTo @param {'publish' | 'reply'} operation
     */
    _send(subject, data, headers, replyTo, operation) {
        this._requireOpen();
        if (this._tracing === null) {
            this._enqueue(this._publishFrame(subject, data, headers, replyTo, false), true);
            return;
        }
        const t = traceSend(this._tracing, toHeaderList(headers), { subject, operation });
        try {
            this._enqueue(this._publishFrame(subject, data, t.headers, replyTo, false), true);
        } catch (e) {
            t.end(e);
            throw e;
        }
        t.end();
    }

    /**
     * Subscribes to a subject pattern (`*` one token, `>` the rest). With a handler, it gets each
     * message; without one, iterate the subscription: `for await (const msg of sub)`, with at most
     * `bufferSize` messages (default 1024) waiting for the loop. Reliable unless `lossy` (or
     * `disconnectWhenSlow`): the server sends no more than the subscription's credit beyond what it
     * has taken, never skipping; a lossy one is skipped (GAP, 'slowConsumer') when it falls behind.
     * @param {string} pattern
     * @param {((msg: Msg) => void) | SubscribeOptions | null} [handler]
     * @param {SubscribeOptions} [options]
     * @returns {Subscription}
     */
    subscribe(pattern, handler, options = {}) {
        this._requireOpen();
        if (handler !== null && typeof handler === 'object' && !Array.isArray(handler)) {
            options = handler;
            handler = null;
        }
        if (handler !== undefined && handler !== null && typeof handler !== 'function') {
            throw new InvalidArgumentError('the handler of subscribe must be a function (or none, to iterate)');
        }
        const bufferSize = options.bufferSize === undefined ? 1024 : options.bufferSize;
        if (!Number.isInteger(bufferSize) || bufferSize < 1) {
            throw new InvalidArgumentError(`bufferSize must be an integer >= 1: ${bufferSize}`);
        }
        const problem = subjectProblem(pattern, true, this._limits.maxSubject);
        if (problem) {
            throw new InvalidArgumentError(`invalid pattern '${pattern}': ${problem}`, 422);
        }
        if (options.queue !== undefined) {
            const q = queueGroupProblem(options.queue, this._limits.maxSubject);
            if (q) {
                throw new InvalidArgumentError(`invalid queue group '${options.queue}': ${q}`, 422);
            }
        }
        const dws = options.disconnectWhenSlow ?? this._disconnectWhenSlow;
        return this._subscribe(pattern, options.queue, handler || null, dws, !!options.lossy || dws, bufferSize);
    }

    /**
     * Sends a request and resolves with the first reply. Rejects with NoRespondersError when
     * nothing subscribes to the subject, TimeoutError after the timeout, SessionLostError when the
     * session was lost before the reply, AbortError when `signal` aborts first (a request not yet
     * sent is then never sent; a reply that comes later is ignored).
     * @param {string} subject
     * @param {Data} [data]
     * @param {{ timeoutMs?: number, headers?: HeadersInit, signal?: AbortSignal }} [options]
     * @returns {Promise<Msg>}
     */
    request(subject, data, options = {}) {
        try {
            this._requireOpen();
            const timeoutMs = positive(options.timeoutMs, this._requestTimeoutMs, 'timeoutMs');
            if (options.signal?.aborted) {
                throw abortError(options.signal, subject);
            }
            if (!this._inbox) {
                this._inbox = this._subscribe(`${this._requests.prefix}*`, undefined, (m) => this._onReply(m), false, false);
            }
            const { id, replyTo } = this._requests.next();
            const t = this._tracing === null ? null
                : traceSend(this._tracing, toHeaderList(options.headers), { subject, operation: 'request' });
            let frame;
            try {
                frame = this._publishFrame(subject, data, t ? t.headers : options.headers, replyTo, true);
            } catch (e) {
                t?.end(e);
                throw e;
            }
            const sent = frame;
            const promise = this._requests.wait(id, subject, frame, timeoutMs, options.signal, () => this._withdraw(sent));
            try {
                this._enqueue(frame, true);
            } catch (e) {
                this._requests.fail(id, e instanceof Error ? e : new Error(String(e)));
            }
            if (t) {
                promise.then(() => t.end(), (e) => t.end(e));
            }
            return promise;
        } catch (e) {
            return Promise.reject(e);
        }
    }

    /**
     * Resolves once the server has confirmed (ACK) everything sent or buffered before the call:
     * publishes routed, subscriptions registered. Survives reconnects; rejects with
     * SessionLostError if the session is lost first, TimeoutError after the timeout.
     * @param {{ timeoutMs?: number }} [options]
     * @returns {Promise<void>}
     */
    flush(options = {}) {
        if (this.state === 'closed') {
            return Promise.reject(new ClosedError('flush: client is closed'));
        }
        const target = this._session.lastHeld;
        if (target === this._session.confirmed) {
            return Promise.resolve();
        }
        const timeoutMs = positive(options.timeoutMs, this._flushTimeoutMs, 'timeoutMs');
        return new Promise((resolve, reject) => {
            /** @type {PendingFlush} */
            const f = { target, resolve, reject, timer: null };
            f.timer = this._timers.setTimeout(() => {
                const i = this._flushes.indexOf(f);
                if (i >= 0) {
                    this._flushes.splice(i, 1);
                    reject(new TimeoutError(`the server did not confirm within ${timeoutMs} ms`));
                }
            }, timeoutMs);
            this._flushes.push(f);
        });
    }

    /**
     * Closes the client: ends its subscriptions, waits (up to closeTimeoutMs in all) for the
     * requests in flight to be answered and for the server to confirm what was sent, then says
     * GOAWAY, which ends the session. What is still unconfirmed fails with ClosedError.
     * @returns {Promise<void>}
     */
    async close() {
        if (this.state === 'closed' || this.state === 'closing') {
            return;
        }
        this.state = 'closing';
        for (const s of [...this._subs.values()]) {
            if (s !== this._inbox) {
                s.unsubscribe();
            }
        }
        if (this._closeTimeoutMs > 0 && this._session.id !== null) {
            const deadline = this._timers.now() + this._closeTimeoutMs;
            const requests = this._requests.settled();
            if (requests.length > 0) {
                /** @type {unknown} */
                let timer = null;
                await Promise.race([Promise.all(requests),
                    new Promise((resolve) => { timer = this._timers.setTimeout(() => resolve(undefined), this._closeTimeoutMs); })]);
                this._timers.clearTimeout(timer);
            }
            const left = deadline - this._timers.now();
            if (left > 0) {
                try {
                    await this.flush({ timeoutMs: left });
                } catch {
                    // Reported below as unconfirmed.
                }
            }
        }
        const link = this._ready ? this._link : null;
        if (link) {
            link.sendNow({ type: 'GOAWAY', code: 200, drainMillis: 0, reason: 'client closing', alternates: [] });
        }
        this._shutdown(new ClosedError('client closed'), 'closed by the application');
    }

    /** Counters since the client was made. */
    stats() {
        const s = this._session;
        return { ...this._stats, state: this.state, bufferedBytes: s.bufferedBytes, unacked: s.unconfirmedCount,
            waiting: s.pending.length, subscriptions: this._subs.size, requestsInFlight: this._requests.size };
    }

    // ---------------------------------------------------------------------------------------------
    // Internals

    /** @private */
    _requireOpen() {
        if (this.state === 'closing' || this.state === 'closed') {
            throw new ClosedError(`client is ${this.state}`);
        }
    }

    /**
     * @private
     * @param {string} subject @param {Data} data @param {HeadersInit | undefined} headers
     * @param {string | undefined} replyTo @param {boolean} request
     * @returns {PublishFrame}
     */
    _publishFrame(subject, data, headers, replyTo, request) {
        const l = this._limits;
        // A publisher often sends to one subject many times: check it once per limit.
        if (subject !== this._lastSubject || l.maxSubject !== this._lastSubjectMax) {
            const problem = subjectProblem(subject, false, l.maxSubject);
            if (problem) {
                throw new InvalidArgumentError(`invalid subject '${subject}': ${problem}`, 422);
            }
            this._lastSubject = subject;
            this._lastSubjectMax = l.maxSubject;
        }
        if (replyTo !== undefined && replyTo !== '') {
            const rp = subjectProblem(replyTo, false, l.maxSubject);
            if (rp) {
                throw new InvalidArgumentError(`invalid reply subject '${replyTo}': ${rp}`, 422);
            }
        }
        const payload = toBytes(data);
        if (payload.length > l.maxPayload) {
            throw new InvalidArgumentError(`payload of ${payload.length} bytes exceeds the server's maximum of ${l.maxPayload}`, 414);
        }
        const list = toHeaderList(headers);
        if (list.length > 0) {
            let size = 2;
            for (const [n, v] of list) {
                size += 4 + n.length + utf8Length(v);
            }
            if (size > l.maxHeader) {
                throw new InvalidArgumentError(`headers of ${size} bytes exceed the server's maximum of ${l.maxHeader}`, 431);
            }
        }
        return { type: 'PUBLISH', request, sequence: 0, subject, replyTo: replyTo || '', headers: list, payload };
    }

    /**
     * @private
     * @param {string} pattern @param {string | undefined} queue @param {((m: Msg) => void) | null} handler
     * @param {boolean} dws @param {boolean} lossy @param {number} [bufferSize]
     */
    _subscribe(pattern, queue, handler, dws, lossy, bufferSize) {
        const s = new Subscription(this, ++this._nextSubId, pattern, queue, handler, dws, bufferSize, lossy ? null : this._credit);
        this._subs.set(s.id, s);
        if (s.iterable) {
            this._iterated.add(s);
        }
        this._enqueue(s._subscribeFrame(), false);
        return s;
    }

    /**
     * @internal Sends a CREDIT on the ready connection, if there is one (after a resume the totals go again).
     * @param {CreditFrame} f @returns {boolean} whether it was sent
     */
    _sendCredit(f) {
        const link = this._link;
        if (!link || !link.isWelcomed || !this._ready) {
            return false;
        }
        link.send(f);
        return true;
    }

    /** @internal @param {Subscription} s */
    _forget(s) {
        if (this._subs.get(s.id) === s) {
            this._subs.delete(s.id);
        }
        this._iterated.delete(s);
    }

    /**
     * Takes a sequenced frame: sends it now if a connection is ready and nothing waits before it,
     * else holds it. Publishes count against the buffer bound; subscribes and unsubscribes count
     * but are never refused.
     * @internal @param {Frame} frame @param {boolean} bounded
     */
    _enqueue(frame, bounded) {
        if (this.state === 'closed') {
            throw new ClosedError('client is closed');
        }
        const o = this._session.admit(frame, bounded);
        if (this._ready && this._session.pending.length === 0) {
            this._transmit(o);
        } else {
            this._session.hold(o);
        }
    }

    /** Numbers and sends one frame on the ready link. @private @param {Outgoing} o */
    _transmit(o) {
        const frame = this._session.number(o);
        if (frame.type === 'PUBLISH') {
            this._stats.outMsgs++;
        }
        /** @type {Link} */ (this._link).send(frame);
    }

    /** A request that timed out before it was sent is never sent late. @private @param {PublishFrame} frame */
    _withdraw(frame) {
        this._session.withdraw(frame);
    }

    /** The server confirmed everything up to `seq` (the Session knows already): settle the flushes it covers. @private @param {number} seq */
    _confirm(seq) {
        if (this._flushes.length > 0) {
            const done = this._flushes.filter((f) => f.target <= seq);
            this._flushes = this._flushes.filter((f) => f.target > seq);
            for (const f of done) {
                this._timers.clearTimeout(f.timer);
                f.resolve();
            }
        }
    }

    /** @private @param {Msg} reply */
    _onReply(reply) {
        this._requests.take(reply.subject)?.resolve(reply);
    }

    // ---------------------------------------------------------------------------------------------
    // Connecting, resuming, losing the session

    /** @internal @returns {Promise<void>} */
    _start() {
        return new Promise((resolve, reject) => {
            this._firstOpen = (e) => (e ? reject(e) : resolve());
            this._attempt();
        });
    }

    /** @private */
    _attempt() {
        this._retryTimer = null;
        if (this.state === 'closed' || this._link) {
            return;
        }
        const url = this._endpoints[this._endpointIndex % this._endpoints.length];
        try {
            this._link = new Link(this, url);
        } catch (e) {
            this._attemptFailed(url, e instanceof Error ? e : new Error(String(e)));
        }
    }

    /** @private @param {number} ms */
    _scheduleAttempt(ms) {
        this._retryTimer = this._timers.setTimeout(() => this._attempt(), ms);
    }

    /** An attempt failed before its WELCOME. @private @param {string} url @param {Error} cause */
    _attemptFailed(url, cause) {
        if (this.state === 'closed') {
            return;
        }
        this._failures++;
        this._endpointIndex++;
        this._lastFailure = cause;
        const neverOpened = this._session.id === null;
        // Neither a refused origin nor a fatal server error goes away by trying again.
        const fatal = (cause instanceof ServerError && !retryable(cause.code || 0)) || cause instanceof OriginNotAllowedError;
        if (neverOpened && (fatal || (!this._retryInitialConnect && this._failures >= this._endpoints.length))) {
            const message = `cannot connect to ${url}: ${cause.message}`;
            const e = cause instanceof OriginNotAllowedError ? new OriginNotAllowedError(message)
                : new ConduitError(message, cause instanceof ConduitError ? cause.code : undefined);
            this._shutdown(e, e.message);
        } else if (this._failures > this._maxAttempts) {
            this._shutdown(new ClosedError(`gave up after ${this._failures} failed connection attempts; last: ${cause.message}`),
                `gave up reconnecting: ${cause.message}`);
        } else {
            this._scheduleAttempt(backoffDelay(this._backoff, this._failures - 1, this._random));
        }
    }

    /**
     * The browser says the network is back ('online'): a client waiting out its backoff tries now.
     * @private
     */
    _networkBack() {
        if (this.state === 'closed' || this.state === 'closing' || this._link !== null || this._retryTimer === null) {
            return;
        }
        this._timers.clearTimeout(this._retryTimer);
        this._attempt();
    }

    /** @internal A loop took a message held back from acknowledgement: acknowledge what now may be. */
    _released() {
        if (this._link !== null && this._ready) {
            this._readComplete(this._link);
        }
    }

    /** @internal WELCOME arrived on `link`. @param {Link} link @param {WelcomeFrame} w */
    _welcomed(link, w) {
        if (this._link !== link || this.state === 'closed') {
            return;
        }
        if (w.version !== PROTOCOL_VERSION) {
            link.abort(new ProtocolError(`server chose version ${w.version}, outside 1..1`));
            return;
        }
        this._limits = { maxPayload: w.maxPayload, maxHeader: w.maxHeader, maxSubject: w.maxSubject };
        link.reader.limits = this._limits;
        /** @type {ServerInfo} */
        const info = { serverId: w.serverId, sessionId: w.sessionId, version: w.version, maxPayload: w.maxPayload,
            maxHeader: w.maxHeader, maxSubject: w.maxSubject, heartbeatMs: w.heartbeatMs, heartbeatMisses: w.heartbeatMisses,
            credentialsValidMs: w.credentialsValidMs };
        this.info = info;
        this._learn(w.alternates || []);
        const session = this._session;
        const first = session.id === null;
        const resumed = !first && session.resumes(w);
        /** @type {Array<() => void>} */
        const notices = [];
        if (resumed) {
            const problem = session.resume(w.lastReceived, (f) => link.send(f));
            if (problem) {
                link.abort(new ProtocolError(problem));
                return;
            }
            this._confirm(w.lastReceived);
            for (const s of this._subs.values()) {
                if (s.reliable && s.active) {
                    link.send(s._creditFrame()); // the server may have missed the last one; totals are cumulative
                }
            }
            this._stats.resumes++;
            notices.push(() => this._emit('resumed', info));
        } else {
            if (w.inboxPrefix && w.inboxPrefix !== this._requests.prefix) {
                // The server's, for this session only: replies to the old one can no longer come.
                this._requests.prefix = w.inboxPrefix;
                if (this._inbox) {
                    this._inbox.pattern = `${w.inboxPrefix}*`;
                    session.repatternWaiting(this._inbox.id, this._inbox.pattern);
                }
            }
            if (!first) {
                const lost = this._loseSession(this._refusal || 'the server started a new session');
                this._stats.sessionsLost++;
                notices.push(() => this._emit('sessionLost', lost));
            }
            session.begin(w.sessionId, w.epoch);
            for (const s of this._iterated) {
                s._newSession();
            }
        }
        session.resumeWith(w.resumeToken); // secret, single use: each WELCOME brings a new one
        this._refusal = null;
        this._failures = 0;
        this._moveOn = false;
        this._ready = true;
        link.welcomed(w);
        while (session.pending.length > 0 && this._ready) {
            this._transmit(/** @type {Outgoing} */ (session.nextPending()));
        }
        if (this.state === 'connecting' || this.state === 'reconnecting') {
            this.state = 'open';
        }
        if (first) {
            this._emit('connected', info);
            const settle = this._firstOpen;
            this._firstOpen = null;
            settle?.();
        } else {
            this._stats.reconnects++;
            this._emit('reconnected', info);
        }
        notices.forEach((n) => n());
    }

    /**
     * The server did not resume: report what it had not confirmed, fail requests, and rebuild the
     * subscriptions ahead of what was waiting.
     * @private @param {string} reason @returns {SessionLost}
     */
    _loseSession(reason) {
        const failure = new SessionLostError(`session lost before the server confirmed it: ${reason}`);
        /** @type {Frame[]} */
        const rebuild = [];
        for (const sub of this._subs.values()) {
            if (sub.active && !this._session.subscribeWaiting(sub.id)) {
                rebuild.push(...sub._resubscribeFrames());
            }
        }
        const unconfirmed = this._session.lose(rebuild);
        const failedRequests = this._requests.failAll(failure);
        for (const f of this._flushes) {
            this._timers.clearTimeout(f.timer);
            f.reject(failure);
        }
        this._flushes = [];
        return { reason, unconfirmed, failedRequests };
    }

    /** @internal The link closed. @param {Link} link @param {Error | null} cause */
    _linkClosed(link, cause) {
        if (this._link !== link) {
            return;
        }
        this._link = null;
        const wasReady = link.isWelcomed;
        this._ready = false;
        if (this.state === 'closed') {
            return;
        }
        if (!wasReady) {
            this._attemptFailed(link.url, cause || new ClosedError('connection closed during the handshake'));
            return;
        }
        if (this.state === 'open') {
            this.state = 'reconnecting';
        }
        this._emit('disconnected', { reason: cause ? cause.message : 'connection closed' });
        if (this._moveOn) {
            this._endpointIndex++;
        }
        this._scheduleAttempt(this._moveOn ? 0 : backoffDelay(this._backoff, 0, this._random));
    }

    /**
     * Endpoints a server named (WELCOME's or GOAWAY's alternates) join the rotation after the
     * client's own: only ws:// and wss:// ones (a browser cannot open tcp://), each once, at most
     * MAX_ALTERNATES of them, the oldest learned forgotten first.
     * @internal @param {string[]} alternates
     */
    _learn(alternates) {
        // As a position, so that a longer list leaves the rotation on the endpoint it is at.
        this._endpointIndex %= this._endpoints.length;
        for (const a of alternates) {
            if (!/^wss?:\/\/[^/]/i.test(a)) {
                continue;
            }
            const url = withDefaultPath(a);
            if (this._endpoints.includes(url)) {
                continue;
            }
            if (this._endpoints.length - this._ownEndpoints === MAX_ALTERNATES) {
                this._endpoints.splice(this._ownEndpoints, 1);
                if (this._endpointIndex > this._ownEndpoints) {
                    this._endpointIndex--;
                }
            }
            this._endpoints.push(url);
        }
    }

    /** @internal @param {Link} link @param {string[]} alternates */
    _goAway(link, alternates) {
        this._learn(alternates);
        this._moveOn = true;
        if (this._link === link) {
            // Send nothing new on this connection: what follows waits for the next session.
            this._ready = false;
        }
    }

    /** @internal @param {Link} link @param {AckFrame} a */
    _acknowledged(link, a) {
        if (this._link !== link || !link.isWelcomed) {
            return;
        }
        const problem = this._session.acknowledge(a.sequence);
        if (problem) {
            link.abort(new ProtocolError(problem));
            return;
        }
        this._confirm(a.sequence);
    }

    /**
     * A sequenced frame from the server on the current link: counts it and acts on it. Returns
     * false for a replayed duplicate, which is dropped.
     * @internal @param {Link} link @param {MessageFrame | NoRespondersFrame | GapFrame} f
     */
    _sequenced(link, f) {
        const before = this._session.inSeq;
        const verdict = this._session.receive(f.type === 'MESSAGE' ? f.sequence : 0);
        if (verdict === 'duplicate') {
            this._stats.duplicatesDropped++;
            return;
        }
        if (verdict === 'missing') {
            link.abort(new ProtocolError(`MESSAGE ${f.type === 'MESSAGE' ? f.sequence : 0} after ${before}: frames are missing`));
            return;
        }
        if (f.type === 'MESSAGE') {
            this._stats.inMsgs++;
            this._stats.inBytes += f.payload.length;
            const s = this._subs.get(f.subscriptionId);
            if (s) {
                s._onMessage(f, this._session.inSeq);
            }
        } else if (f.type === 'NO_RESPONDERS') {
            const p = this._requests.take(f.replySubject);
            if (p) {
                p.reject(new NoRespondersError(p.subject));
            }
        } else {
            this._stats.gaps++;
            this._stats.droppedByServer += f.dropped;
            const s = this._subs.get(f.subscriptionId);
            if (s) {
                s.dropped += f.dropped;
                if (f.ended) {
                    // A reliable subscription that granted no credit for the server's stall limit.
                    s._endedByServer();
                }
                this._emit('slowConsumer', { subscription: s, dropped: f.dropped, ended: f.ended });
            }
        }
    }

    /** @internal After each batch read: report what was taken, acknowledge what arrived. @param {Link} link */
    _readComplete(link) {
        if (this._link === link && link.isWelcomed) {
            for (const s of this._subs.values()) {
                s._reportCredit();
            }
            let holdFrom = Infinity;
            for (const s of this._iterated) {
                holdFrom = Math.min(holdFrom, s._holdFrom());
            }
            const seq = this._session.takeAck(holdFrom);
            if (seq > 0) {
                link.send({ type: 'ACK', sequence: seq });
            }
        }
    }

    /** @internal @param {EncodedCredentials} c the credentials to present */
    _helloFrame(c) {
        /** @type {HelloFrame} */
        const hello = { type: 'HELLO', minVersion: PROTOCOL_VERSION, maxVersion: PROTOCOL_VERSION, clientName: this._name,
            authScheme: c.scheme, credentials: c.bytes, resumeToken: new Uint8Array(0), resumeLastReceived: 0 };
        const token = this._session.resumeToken();
        if (token !== null) {
            hello.resumeToken = token;
            hello.resumeLastReceived = this._session.inSeq;
        }
        return hello;
    }

    /**
     * Asks the supplier for the credentials to present now: calls `ready` at once when it returns
     * them, later when it returns a promise; `failed` when it throws, rejects or returns something
     * that is not credentials.
     * @internal @param {(c: EncodedCredentials) => void} ready @param {(e: Error) => void} failed
     */
    _freshCredentials(ready, failed) {
        /** @param {unknown} e */
        const fail = (e) => failed(e instanceof InvalidArgumentError ? e
            : new ConduitError(`the credentials supplier failed: ${e instanceof Error ? e.message : String(e)}`));
        /** @param {unknown} c */
        const take = (c) => {
            let encoded;
            try {
                encoded = encodeCredentials(c);
            } catch (e) {
                fail(e);
                return;
            }
            ready(encoded);
        };
        let supplied;
        try {
            supplied = this._supplier();
        } catch (e) {
            fail(e);
            return;
        }
        if (supplied !== null && typeof supplied === 'object' && typeof (/** @type {any} */ (supplied)).then === 'function') {
            Promise.resolve(supplied).then(take, fail);
        } else {
            take(supplied);
        }
    }

    /**
     * Four fifths of the credentials' validity have passed on `link`: send AUTH with fresh ones. If
     * the supplier fails, say so and try again when half of the time left has passed.
     * @internal @param {Link} link
     */
    _renew(link) {
        this._freshCredentials((c) => {
            if (this._link === link && this._ready && !link.closed) {
                link.sendNow({ type: 'AUTH', authScheme: c.scheme, credentials: c.bytes });
            }
        }, (e) => {
            if (this._link === link && !link.closed) {
                this._emit('error', new ConduitError(`cannot renew the credentials: ${e.message}`, e instanceof ConduitError ? e.code : undefined));
                link.retryRenewal();
            }
        });
    }

    /** @internal AUTH_OK: the renewed credentials are valid for `validMs` (0: no expiry). @param {Link} link @param {number} validMs */
    _renewed(link, validMs) {
        if (this._link === link) {
            this._emit('renewed', { credentialsValidMs: validMs });
        }
    }

    /**
     * ERROR 403 (not fatal): the server refused one frame for the session's principal. As in the
     * Java client, a denied subscribe ends the subscriptions with that pattern, and a denied request
     * fails at once; the server's message names them ("permission denied: subscribe to 'p' (...)").
     * @internal @param {ServerError} e
     */
    _denied(e) {
        const pattern = quoted(e.serverMessage, "subscribe to '");
        if (pattern !== null) {
            for (const s of [...this._subs.values()]) {
                if (s.active && s.pattern === pattern) {
                    s.error = e;
                    s._end();
                    if (s === this._inbox) {
                        // No reply can arrive: fail the requests waiting for one, and try anew next time.
                        this._inbox = null;
                        this._requests.failAll(e);
                    }
                }
            }
        }
        const subject = quoted(e.serverMessage, "publish to '");
        if (subject !== null) {
            this._requests.failOne(subject, e);
        }
    }

    /** @internal @param {string} reason */
    _refused(reason) {
        this._refusal = reason;
    }

    /** @internal */
    get _connectTimeout() {
        return this._connectTimeoutMs;
    }

    /** @internal */
    get _time() {
        return this._timers;
    }

    /** @internal */
    get _socketClass() {
        return this._WS;
    }

    /** @internal @param {'pingsReceived' | 'pongsReceived'} what */
    _count(what) {
        this._stats[what]++;
    }

    /** @internal @param {number} n */
    _countOut(n) {
        this._stats.outBytes += n;
    }

    /** Ends everything now. @private @param {Error} cause @param {string} reason */
    _shutdown(cause, reason) {
        if (this.state === 'closed') {
            return;
        }
        this.state = 'closed';
        const link = this._link;
        this._link = null;
        this._ready = false;
        if (this._retryTimer !== null) {
            this._timers.clearTimeout(this._retryTimer);
            this._retryTimer = null;
        }
        const failure = cause instanceof ClosedError ? cause : new ClosedError(cause.message);
        this._requests.failAll(failure);
        for (const f of this._flushes) {
            this._timers.clearTimeout(f.timer);
            f.reject(failure);
        }
        this._flushes = [];
        const unconfirmed = this._session.clear();
        for (const s of this._subs.values()) {
            s.active = false;
            s._wake();
        }
        this._iterated.clear();
        this._networkEvents?.removeEventListener('online', this._onOnline);
        this._subs.clear();
        if (link) {
            link.close();
        }
        const settle = this._firstOpen;
        this._firstOpen = null;
        if (settle) {
            settle(cause);
        } else {
            this._emit('closed', { reason, unconfirmed });
        }
    }
}

/**
 * The text between `after` and the next "' (" in a server's message, or null.
 * @param {string} message @param {string} after
 */
function quoted(message, after) {
    const i = message.indexOf(after);
    if (i < 0) {
        return null;
    }
    const start = i + after.length;
    const end = message.indexOf("' (", start);
    return end < 0 ? null : message.substring(start, end);
}

/**
 * `ws://host:port` and `ws://host:port/` mean the server's default path, /conduit (as in the Java CLI).
 * @param {string} url
 */
export function withDefaultPath(url) {
    const m = /^(wss?:\/\/[^/?#]+)\/?$/i.exec(url);
    return m ? `${m[1]}/conduit` : url;
}

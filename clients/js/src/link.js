// One WebSocket connection (a Link) and what arrives on it: the handshake up to WELCOME, frames
// decoded and handed to the client, heartbeats and credential renewal timers. It holds no session
// state: sequenced frames go to the Client, whose Session numbers them.

import { FrameReader, DEFAULT_LIMITS, encodeFrame } from './codec.js';
import { ConduitError, ProtocolError, ServerError, TimeoutError, OriginNotAllowedError } from './errors.js';
import { MAX_TIMER_MS } from './options.js';

/**
 * @typedef {import('./codec.js').Frame} Frame
 * @typedef {import('./codec.js').WelcomeFrame} WelcomeFrame
 * @typedef {import('./client.js').Client} Client
 */

/**
 * One WebSocket connection and what arrives on it.
 */
export class Link {
    /** @param {Client} client @param {string} url */
    constructor(client, url) {
        this.client = client;
        this.url = url;
        this.reader = new FrameReader(DEFAULT_LIMITS);
        this.isWelcomed = false;
        this.closed = false;
        /** @type {Error | null} */
        this.failure = null;
        /** @type {Uint8Array[]} frames to write at the end of this turn */
        this.out = [];
        this.flushQueued = false;
        const t = client._time;
        /** @type {unknown} */
        this.heartbeatTimer = null;
        this.lastReceived = t.now();
        this.heartbeatMs = 0;
        this.deadAfterMs = 0;
        /** @type {unknown} */
        this.renewTimer = null;
        /** when the credentials expire, on the client's clock (Infinity: never) */
        this.expiresAt = Infinity;
        this.ws = new (client._socketClass)(url);
        this.ws.binaryType = 'arraybuffer';
        /** whether the WebSocket opened (the upgrade succeeded) */
        this.opened = false;
        this.ws.onopen = () => {
            this.opened = true;
            if (this.closed) {
                return;
            }
            // The HELLO of every connection carries the credentials the supplier gives now.
            client._freshCredentials((c) => {
                if (!this.closed) {
                    this.sendNow(client._helloFrame(c));
                }
            }, (e) => this.abort(e));
        };
        this.ws.onmessage = (ev) => this.onData(ev.data);
        this.ws.onerror = (ev) => {
            if (!this.failure) {
                this.failure = socketError(url, ev, this.opened);
            }
        };
        this.ws.onclose = (ev) => this.onClosed(ev);
        /** @type {unknown} */
        this.welcomeTimer = t.setTimeout(() => {
            if (!this.isWelcomed && !this.closed) {
                this.abort(new TimeoutError(`no WELCOME from ${url} within ${client._connectTimeout} ms`));
            }
        }, client._connectTimeout);
    }

    /** @param {any} data */
    onData(data) {
        if (this.closed) {
            return;
        }
        const bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
            : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
        if (bytes === null) {
            this.abort(new ProtocolError('a text WebSocket message; Conduit frames travel in binary messages'));
            return;
        }
        this.lastReceived = this.client._time.now();
        let frames;
        try {
            frames = this.reader.push(bytes);
        } catch (e) {
            this.abort(e instanceof Error ? e : new Error(String(e)));
            return;
        }
        for (const f of frames) {
            if (this.closed) {
                break;
            }
            this.onFrame(f);
        }
        this.client._readComplete(this);
    }

    /** @param {Frame} f */
    onFrame(f) {
        const c = this.client;
        if (!this.isWelcomed) {
            switch (f.type) {
                case 'WELCOME':
                    this.client._time.clearTimeout(this.welcomeTimer);
                    c._welcomed(this, f);
                    return;
                case 'ERROR':
                    if (f.code === 410 && !f.fatal) {
                        c._refused(f.message);
                    } else {
                        this.failure = new ServerError(f.code, f.fatal, f.message);
                        this.close();
                    }
                    return;
                case 'GOAWAY':
                    c._goAway(this, f.alternates);
                    return;
                case 'PING':
                    this.send({ type: 'PONG', token: f.token });
                    return;
                default:
                    this.abort(new ProtocolError(`a ${f.type} frame before WELCOME`));
                    return;
            }
        }
        switch (f.type) {
            case 'MESSAGE':
            case 'NO_RESPONDERS':
            case 'GAP':
                c._sequenced(this, f);
                return;
            case 'ACK':
                c._acknowledged(this, f);
                return;
            case 'PING':
                c._count('pingsReceived');
                this.send({ type: 'PONG', token: f.token });
                return;
            case 'PONG':
                c._count('pongsReceived');
                return;
            case 'ERROR': {
                const e = new ServerError(f.code, f.fatal, f.message);
                if (f.fatal) {
                    // 401 (a renewal refused), 419 (credentials expired), ...: the session ends on
                    // the server; the client reconnects with the supplier's credentials.
                    this.failure = e;
                    this.close();
                } else if (f.code === 403) {
                    c._denied(e);
                }
                c._emit('error', e);
                return;
            }
            case 'AUTH_OK':
                this.scheduleRenewal(f.credentialsValidMs);
                c._renewed(this, f.credentialsValidMs);
                return;
            case 'GOAWAY':
                this.failure = new ConduitError(`server is going away (${f.code}): ${f.reason}`, f.code);
                c._goAway(this, f.alternates);
                return;
            default:
                this.abort(new ProtocolError(`a ${f.type} frame, which servers do not send`));
        }
    }

    /** WELCOME accepted: start the heartbeat it announced, and plan the renewal. @param {WelcomeFrame} w */
    welcomed(w) {
        this.isWelcomed = true;
        this.scheduleRenewal(w.credentialsValidMs);
        if (w.heartbeatMs > 0) {
            this.heartbeatMs = w.heartbeatMs;
            this.deadAfterMs = w.heartbeatMs * Math.max(1, w.heartbeatMisses);
            this.lastReceived = this.client._time.now();
            this.scheduleHeartbeat(this.heartbeatMs);
        }
    }

    /**
     * The credentials are valid for `validMs` from now (WELCOME, AUTH_OK): renew them when four
     * fifths of that have passed, as the Java client does. 0: they do not expire.
     * @param {number} validMs
     */
    scheduleRenewal(validMs) {
        const t = this.client._time;
        if (this.renewTimer !== null) {
            t.clearTimeout(this.renewTimer);
            this.renewTimer = null;
        }
        if (validMs <= 0) {
            this.expiresAt = Infinity;
            return;
        }
        const now = t.now();
        this.expiresAt = now + validMs;
        this.renewAt(now + validMs / 5 * 4);
    }

    /** The supplier failed: try again when half of the time left has passed, if any is. */
    retryRenewal() {
        const now = this.client._time.now();
        const left = this.expiresAt - now;
        if (left > 1 && left !== Infinity && this.renewTimer === null) {
            this.renewAt(now + left / 2);
        }
    }

    /** Renews at time `at`, waiting in pieces a timer can hold. @param {number} at */
    renewAt(at) {
        const t = this.client._time;
        const left = at - t.now();
        const capped = left > MAX_TIMER_MS;
        this.renewTimer = t.setTimeout(() => {
            this.renewTimer = null;
            if (this.closed) {
                return;
            }
            if (capped) {
                this.renewAt(at);
            } else {
                this.client._renew(this);
            }
        }, capped ? MAX_TIMER_MS : Math.max(0, left));
    }

    /** @param {number} ms */
    scheduleHeartbeat(ms) {
        this.heartbeatTimer = this.client._time.setTimeout(() => this.checkHeartbeat(), ms);
    }

    /** Same rule as the Java peers: PING after an interval of silence, dead after interval x misses. */
    checkHeartbeat() {
        this.heartbeatTimer = null;
        if (this.closed) {
            return;
        }
        const silent = this.client._time.now() - this.lastReceived;
        if (silent >= this.deadAfterMs) {
            this.abort(new TimeoutError(`no sign of life from ${this.url} for ${this.deadAfterMs} ms`));
            return;
        }
        if (silent >= this.heartbeatMs) {
            this.sendNow({ type: 'PING', token: 0n });
        }
        const next = silent >= this.heartbeatMs ? this.heartbeatMs : this.heartbeatMs - silent;
        this.scheduleHeartbeat(Math.max(1, Math.min(next, this.deadAfterMs - silent)));
    }

    /** Queues a frame; the frames of one turn go out as one WebSocket message. @param {Frame} f */
    send(f) {
        if (this.closed) {
            return;
        }
        this.out.push(encodeFrame(f));
        if (!this.flushQueued) {
            this.flushQueued = true;
            queueMicrotask(() => this.flushOut());
        }
    }

    /** @param {Frame} f */
    sendNow(f) {
        this.send(f);
        this.flushOut();
    }

    flushOut() {
        this.flushQueued = false;
        if (this.closed || this.out.length === 0) {
            return;
        }
        const parts = this.out;
        this.out = [];
        let total = 0;
        for (const p of parts) {
            total += p.length;
        }
        let msg;
        if (parts.length === 1) {
            msg = parts[0];
        } else {
            msg = new Uint8Array(total);
            let at = 0;
            for (const p of parts) {
                msg.set(p, at);
                at += p.length;
            }
        }
        try {
            this.ws.send(msg);
            this.client._countOut(total);
        } catch (e) {
            this.abort(e instanceof Error ? e : new Error(String(e)));
        }
    }

    /** Closes after writing what is queued. */
    close() {
        if (this.closed) {
            return;
        }
        this.flushOut();
        this.finish();
        try {
            this.ws.close(1000);
        } catch {
            // already closing
        }
    }

    /** Drops the connection at once, for a protocol violation or a dead peer. @param {Error} cause */
    abort(cause) {
        if (this.closed) {
            return;
        }
        this.failure = this.failure || cause;
        this.out = [];
        this.finish();
        try {
            // 1000: browsers accept only 1000 and 3000-4999 from a page.
            this.ws.close(1000);
        } catch {
            // already closing
        }
    }

    /** Stops timers and tells the client, once. */
    finish() {
        this.closed = true;
        const t = this.client._time;
        t.clearTimeout(this.welcomeTimer);
        if (this.heartbeatTimer !== null) {
            t.clearTimeout(this.heartbeatTimer);
            this.heartbeatTimer = null;
        }
        if (this.renewTimer !== null) {
            t.clearTimeout(this.renewTimer);
            this.renewTimer = null;
        }
        this.ws.onmessage = null;
        this.client._linkClosed(this, this.failure);
    }

    /** @param {any} ev */
    onClosed(ev) {
        if (this.closed) {
            return;
        }
        if (!this.failure) {
            this.failure = new ConduitError(`connection to ${this.url} closed${ev && ev.code ? ` (${ev.code}${ev.reason ? ` ${ev.reason}` : ''})` : ''}`);
        }
        this.finish();
    }
}

/**
 * The error for a WebSocket 'error' event. Node's `ws` names the HTTP status of a refused upgrade,
 * and this server refuses one with 403 only for the page's origin. A browser names nothing: when
 * the page's origin is not the server's, the message says that a refused origin is one possible cause.
 * @param {string} url @param {any} ev @param {boolean} opened
 * @returns {ConduitError}
 */
export function socketError(url, ev, opened) {
    const detail = ev && ev.message ? String(ev.message) : '';
    if (!opened && /\b403\b/.test(detail)) {
        return new OriginNotAllowedError(`${url} refused the WebSocket upgrade (HTTP 403): origin not allowed; the server's allowedOrigins must list this page's origin`);
    }
    if (!opened && detail === '') {
        const page = /** @type {any} */ (globalThis).location?.origin;
        const server = url.replace(/^ws/i, 'http').replace(/^(https?:\/\/[^/?#]+).*$/i, '$1').toLowerCase();
        if (typeof page === 'string' && page !== 'null' && page.toLowerCase() !== server) {
            return new ConduitError(`WebSocket error on ${url} before it opened (browsers give no reason): the server may be unreachable, `
                + `or may refuse this page's origin ${page} (origin not allowed: the server's allowedOrigins must list it)`);
        }
    }
    return new ConduitError(`WebSocket error on ${url}${detail ? `: ${detail}` : ''}`);
}

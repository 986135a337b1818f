// Requests waiting for their reply: reply subjects under one inbox prefix, each request's timeout
// and AbortSignal. The Client sends the request and routes replies here; this module never sends.

import { TimeoutError, AbortError } from './errors.js';

/**
 * @typedef {import('./codec.js').PublishFrame} PublishFrame
 * @typedef {import('./subscription.js').Msg} Msg
 * @typedef {import('./options.js').Timers} Timers
 * @typedef {{ subject: string, frame: PublishFrame, resolve: (m: Msg) => void, reject: (e: Error) => void,
 *   timer: unknown, signal: AbortSignal | undefined, onAbort: (() => void) | null, settled: Promise<void> }} PendingRequest
 */

/**
 * The error a request rejects with when its signal aborts: the signal's reason is its cause.
 * @param {AbortSignal} signal @param {string} subject
 */
export function abortError(signal, subject) {
    return new AbortError(`the request to '${subject}' was aborted`, signal.reason);
}

/** The requests of one client. */
export class Requests {
    /** @param {Timers} timers @param {string} prefix the inbox prefix, ending with '.' */
    constructor(timers, prefix) {
        /** @private */
        this._timers = timers;
        this.prefix = prefix;
        /** @private @type {Map<number, PendingRequest>} */
        this._pending = new Map();
        /** @private */
        this._nextId = 0;
    }

    /** Requests waiting for a reply. */
    get size() {
        return this._pending.size;
    }

    /** A new request id and its reply subject. */
    next() {
        const id = ++this._nextId;
        return { id, replyTo: this.prefix + id };
    }

    /**
     * Waits for the reply to request `id`. After `timeoutMs` it rejects with TimeoutError, when
     * `signal` aborts with AbortError; either way `withdraw` runs so that a request still waiting
     * to be sent is never sent late.
     * @param {number} id @param {string} subject @param {PublishFrame} frame @param {number} timeoutMs
     * @param {AbortSignal | undefined} signal @param {() => void} withdraw
     * @returns {Promise<Msg>}
     */
    wait(id, subject, frame, timeoutMs, signal, withdraw) {
        /** @type {Promise<Msg>} */
        const promise = new Promise((resolve, reject) => {
            const timer = this._timers.setTimeout(() => {
                if (this._remove(id)) {
                    withdraw();
                    reject(new TimeoutError(`no reply to the request to '${subject}' within ${timeoutMs} ms`));
                }
            }, timeoutMs);
            /** @type {PendingRequest} */
            const p = { subject, frame, resolve, reject, timer, signal, onAbort: null, settled: Promise.resolve() };
            if (signal) {
                p.onAbort = () => {
                    if (this._remove(id)) {
                        withdraw();
                        reject(abortError(signal, subject));
                    }
                };
                signal.addEventListener('abort', p.onAbort, { once: true });
            }
            this._pending.set(id, p);
        });
        const p = this._pending.get(id);
        if (p) {
            p.settled = promise.then(() => {}, () => {});
        }
        return promise;
    }

    /** Forgets request `id` and its timer and listener; returns it, or null if it was not waiting. @private @param {number} id */
    _remove(id) {
        const p = this._pending.get(id);
        if (!p) {
            return null;
        }
        this._pending.delete(id);
        this._timers.clearTimeout(p.timer);
        if (p.signal && p.onAbort) {
            p.signal.removeEventListener('abort', p.onAbort);
        }
        return p;
    }

    /** The request a reply subject names, taken out of the waiting ones; null if none. @param {string} replySubject */
    take(replySubject) {
        if (!replySubject.startsWith(this.prefix)) {
            return null;
        }
        return this._remove(Number(replySubject.substring(this.prefix.length)));
    }

    /** Fails request `id` (it could not be sent). @param {number} id @param {Error} e */
    fail(id, e) {
        this._remove(id)?.reject(e);
    }

    /** Fails every waiting request; returns how many. @param {Error} e */
    failAll(e) {
        let n = 0;
        for (const id of [...this._pending.keys()]) {
            const p = this._remove(id);
            if (p) {
                n++;
                p.reject(e);
            }
        }
        return n;
    }

    /** Fails the oldest waiting request to `subject`, if any. @param {string} subject @param {Error} e */
    failOne(subject, e) {
        for (const [id, p] of this._pending) {
            if (p.subject === subject) {
                this._remove(id);
                p.reject(e);
                return;
            }
        }
    }

    /** Promises that settle when each waiting request does. */
    settled() {
        return [...this._pending.values()].map((p) => p.settled);
    }
}

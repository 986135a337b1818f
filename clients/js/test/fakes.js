// Test doubles: a manual clock and an in-memory WebSocket whose "server" side is the test.
import { encodeFrame, FrameReader } from '../src/index.js';

/** Timers that move only when the test says so. */
export class ManualTimers {
    constructor() {
        this.time = 0;
        this.seq = 0;
        /** @type {Map<number, { at: number, fn: () => void }>} */
        this.timers = new Map();
    }

    now() {
        return this.time;
    }

    setTimeout(fn, ms) {
        const id = ++this.seq;
        this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
        return id;
    }

    clearTimeout(id) {
        this.timers.delete(id);
    }

    /** Runs every timer due within the next `ms`, in time order, moving the clock to each. */
    advance(ms) {
        const end = this.time + ms;
        for (;;) {
            let next = null;
            for (const [id, t] of this.timers) {
                if (t.at <= end && (next === null || t.at < next[1].at || (t.at === next[1].at && id < next[0]))) {
                    next = [id, t];
                }
            }
            if (next === null) {
                break;
            }
            this.timers.delete(next[0]);
            this.time = next[1].at;
            next[1].fn();
        }
        this.time = end;
    }

    /** The delays of the timers now pending, soonest first. */
    pending() {
        return [...this.timers.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
    }
}

/** Lets microtasks (the client's batched writes) and promise callbacks run. */
export const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A set of fake WebSockets: `net.WebSocket` is the class to hand to connect(). */
export class FakeNet {
    constructor() {
        /** @type {FakeSocket[]} */
        this.sockets = [];
        const net = this;
        this.WebSocket = class extends FakeSocket {
            constructor(url) {
                super(url);
                net.sockets.push(this);
            }
        };
    }

    last() {
        return this.sockets[this.sockets.length - 1];
    }
}

export class FakeSocket {
    constructor(url) {
        this.url = url;
        this.binaryType = 'blob';
        this.readyState = 0;
        this.onopen = null;
        this.onmessage = null;
        this.onclose = null;
        this.onerror = null;
        this.reader = new FrameReader({ maxPayload: 1 << 26, maxHeader: 1 << 20, maxSubject: 65535 });
        /** Frames the client sent that the test has not taken yet. */
        this.inbox = [];
        /** WebSocket messages the client sent. */
        this.messages = 0;
        this.closedByClient = false;
    }

    send(data) {
        if (this.readyState !== 1) {
            throw new Error('not open');
        }
        this.messages++;
        this.inbox.push(...this.reader.push(new Uint8Array(data)));
    }

    close() {
        this.closedByClient = true;
        this.readyState = 3;
    }

    // The test's side.

    open() {
        this.readyState = 1;
        this.onopen?.({});
    }

    /** Delivers frames as one WebSocket message. */
    deliver(...frames) {
        const parts = frames.map((f) => encodeFrame(f));
        const total = parts.reduce((n, p) => n + p.length, 0);
        const buf = new Uint8Array(total);
        let at = 0;
        for (const p of parts) {
            buf.set(p, at);
            at += p.length;
        }
        this.onmessage?.({ data: buf.buffer });
    }

    /** The connection drops (from the network or the server). */
    drop(code = 1006) {
        this.readyState = 3;
        this.onclose?.({ code, reason: '' });
    }

    /** Takes the frames sent so far. */
    take() {
        const f = this.inbox;
        this.inbox = [];
        return f;
    }
}

export function welcome(overrides = {}) {
    return { type: 'WELCOME', resumed: false, version: 1, serverId: 'S', sessionId: 'sess1', epoch: 7n, lastReceived: 0,
        maxPayload: 1048576, maxHeader: 65536, maxSubject: 512, heartbeatMs: 0, heartbeatMisses: 0,
        resumeToken: new TextEncoder().encode('token-of-sess1'), inboxPrefix: '_INBOX.sess1.', credentialsValidMs: 0, ...overrides };
}

export function message(sequence, subscriptionId, subject, text, extra = {}) {
    return { type: 'MESSAGE', sequence, subscriptionId, subject, replyTo: '', headers: [], payload: new TextEncoder().encode(text), ...extra };
}

// The codec (protocol.md sections 2 to 5 and 10): frames to bytes and back, pure (no sockets, no
// timers). FrameReader takes the bytes of a stream in pieces and yields whole frames; every length
// is checked against the limits before anything is allocated.

import { ProtocolError, InvalidArgumentError } from './errors.js';

/**
 * @typedef {import('./subjects.js').HeaderList} HeaderList
 */

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });


/** Protocol versions this client speaks. */
export const PROTOCOL_VERSION = 1;

/** Frame type codes (protocol.md section 4). */
export const FrameType = Object.freeze({
    HELLO: 0x01, WELCOME: 0x02, PUBLISH: 0x03, MESSAGE: 0x04, SUBSCRIBE: 0x05, UNSUBSCRIBE: 0x06,
    NO_RESPONDERS: 0x07, PING: 0x08, PONG: 0x09, ERROR: 0x0a, GOAWAY: 0x0b, ACK: 0x0c, GAP: 0x0d,
    AUTH: 0x0e, AUTH_OK: 0x0f, CREDIT: 0x10,
});

/** @type {Record<number, string>} */
const TYPE_NAMES = {};
for (const [name, code] of Object.entries(FrameType)) {
    TYPE_NAMES[code] = name;
}

/** The flag bits each frame type defines; any other bit is a protocol error. */
const DEFINED_FLAGS = { 0x01: 0, 0x02: 7, 0x03: 1, 0x04: 0, 0x05: 3, 0x06: 0, 0x07: 0, 0x08: 0, 0x09: 0, 0x0a: 1, 0x0b: 1, 0x0c: 0, 0x0d: 1,
    0x0e: 0, 0x0f: 0, 0x10: 0 };

/** WELCOME flags (section 4). */
const FLAG_RESUMED = 0x01;
const FLAG_EXPIRES = 0x02;
const FLAG_WELCOME_ALTERNATES = 0x04;

/** The most endpoint URLs a WELCOME or GOAWAY may name (section 4). */
export const MAX_ALTERNATES = 64;

/**
 * The limits of protocol.md section 10.
 * @typedef {{ maxPayload: number, maxHeader: number, maxSubject: number }} Limits
 */

/** @type {Readonly<Limits>} */
export const DEFAULT_LIMITS = Object.freeze({ maxPayload: 1048576, maxHeader: 65536, maxSubject: 512 });

/**
 * The largest valid `length` field under these limits (section 10).
 * @param {Limits} limits
 */
export function maxFrameSize(limits) {
    return Math.max(65536, limits.maxPayload + limits.maxHeader + 2 * limits.maxSubject + 64);
}

// -------------------------------------------------------------------------------------------------

/**
 * One Conduit frame as a plain object, tagged by `type`. u64 fields that are counts (sequence
 * numbers, `dropped`) are numbers; `epoch` and PING/PONG tokens are bigints. `credentialsValidMs`
 * (WELCOME, AUTH_OK) is a number of milliseconds, 0 when the credentials do not expire: WELCOME
 * carries it on the wire only with the EXPIRES flag, which the encoder sets when it is above 0.
 * `alternates` (WELCOME, GOAWAY): other endpoints' URLs, on the wire only with the ALTERNATES flag,
 * which the encoder sets when the list is not empty; the decoder always gives a list.
 * @typedef {{ type: 'HELLO', minVersion: number, maxVersion: number, clientName: string, authScheme: string, credentials: Uint8Array, resumeToken: Uint8Array, resumeLastReceived: number }} HelloFrame
 * @typedef {{ type: 'WELCOME', resumed: boolean, version: number, serverId: string, sessionId: string, epoch: bigint, lastReceived: number, maxPayload: number, maxHeader: number, maxSubject: number, heartbeatMs: number, heartbeatMisses: number, resumeToken?: Uint8Array, inboxPrefix?: string, credentialsValidMs: number, alternates?: string[] }} WelcomeFrame
 * @typedef {{ subject: string, replyTo: string, headers: HeaderList, payload: Uint8Array }} MessageBody
 * @typedef {{ type: 'PUBLISH', request: boolean, sequence: number } & MessageBody} PublishFrame
 * @typedef {{ type: 'MESSAGE', sequence: number, subscriptionId: number } & MessageBody} MessageFrame
 * @typedef {{ type: 'SUBSCRIBE', subscriptionId: number, pattern: string, queueGroup: string, disconnectWhenSlow: boolean, creditMessages: number, creditBytes: number }} SubscribeFrame
 * @typedef {{ type: 'UNSUBSCRIBE', subscriptionId: number, afterMessages: number }} UnsubscribeFrame
 * @typedef {{ type: 'NO_RESPONDERS', replySubject: string }} NoRespondersFrame
 * @typedef {{ type: 'PING' | 'PONG', token: bigint }} PingFrame
 * @typedef {{ type: 'ERROR', code: number, fatal: boolean, message: string }} ErrorFrame
 * @typedef {{ type: 'GOAWAY', code: number, drainMillis: number, reason: string, alternates: string[] }} GoAwayFrame
 * @typedef {{ type: 'ACK', sequence: number }} AckFrame
 * @typedef {{ type: 'GAP', subscriptionId: number, dropped: number, ended: boolean }} GapFrame
 * @typedef {{ type: 'CREDIT', subscriptionId: number, consumedMessages: number, consumedBytes: number }} CreditFrame
 * @typedef {{ type: 'AUTH', authScheme: string, credentials: Uint8Array }} AuthFrame
 * @typedef {{ type: 'AUTH_OK', credentialsValidMs: number }} AuthOkFrame
 * @typedef {HelloFrame | WelcomeFrame | PublishFrame | MessageFrame | SubscribeFrame | UnsubscribeFrame | NoRespondersFrame | PingFrame | ErrorFrame | GoAwayFrame | AckFrame | GapFrame | AuthFrame | AuthOkFrame | CreditFrame} Frame
 */

class Writer {
    constructor(capacity = 64) {
        this.buf = new Uint8Array(capacity);
        this.view = new DataView(this.buf.buffer);
        this.pos = 0;
    }

    /** @param {number} n */
    ensure(n) {
        if (this.pos + n <= this.buf.length) {
            return;
        }
        let cap = this.buf.length * 2;
        while (cap < this.pos + n) {
            cap *= 2;
        }
        const next = new Uint8Array(cap);
        next.set(this.buf.subarray(0, this.pos));
        this.buf = next;
        this.view = new DataView(next.buffer);
    }

    /** @param {number} v */
    u8(v) { this.ensure(1); this.view.setUint8(this.pos, v); this.pos += 1; }
    /** @param {number} v */
    u16(v) { this.ensure(2); this.view.setUint16(this.pos, v); this.pos += 2; }
    /** @param {number} v */
    u32(v) { this.ensure(4); this.view.setUint32(this.pos, v); this.pos += 4; }
    /** @param {number | bigint} v */
    u64(v) { this.ensure(8); this.view.setBigUint64(this.pos, BigInt(v)); this.pos += 8; }

    /** @param {Uint8Array} b */
    raw(b) { this.ensure(b.length); this.buf.set(b, this.pos); this.pos += b.length; }

    /** @param {Uint8Array} b */
    bytes16(b) {
        if (b.length > 0xffff) {
            throw new InvalidArgumentError(`a 16-bit length field cannot hold ${b.length} bytes`);
        }
        this.u16(b.length);
        this.raw(b);
    }

    /** @param {string} s */
    str16(s) { this.bytes16(utf8Encoder.encode(s)); }

    /** @param {MessageBody} m */
    body(m) {
        this.str16(m.subject);
        this.str16(m.replyTo || '');
        const headers = m.headers || [];
        if (headers.length === 0) {
            this.u32(0);
        } else {
            const at = this.pos;
            this.u32(0);
            this.u16(headers.length);
            for (const [name, value] of headers) {
                this.str16(name);
                this.str16(value);
            }
            this.view.setUint32(at, this.pos - at - 4);
        }
        this.u32(m.payload.length);
        this.raw(m.payload);
    }
}

/**
 * Encodes one frame into its bytes, head included.
 * @param {Frame} f
 * @returns {Uint8Array}
 */
export function encodeFrame(f) {
    const w = new Writer(f.type === 'PUBLISH' || f.type === 'MESSAGE' ? 64 + f.payload.length : 64);
    w.u32(0);
    const code = FrameType[f.type];
    if (code === undefined) {
        throw new InvalidArgumentError(`unknown frame type ${f.type}`);
    }
    w.u8(code);
    let flags = 0;
    switch (f.type) {
        case 'WELCOME': flags = (f.resumed ? FLAG_RESUMED : 0) | (f.credentialsValidMs > 0 ? FLAG_EXPIRES : 0)
            | (f.alternates && f.alternates.length > 0 ? FLAG_WELCOME_ALTERNATES : 0); break;
        case 'PUBLISH': flags = f.request ? 1 : 0; break;
        case 'SUBSCRIBE': flags = (f.disconnectWhenSlow ? 1 : 0) | (f.creditMessages > 0 ? 2 : 0); break;
        case 'GAP': flags = f.ended ? 1 : 0; break;
        case 'ERROR': flags = f.fatal ? 1 : 0; break;
        case 'GOAWAY': flags = f.alternates && f.alternates.length > 0 ? 1 : 0; break;
        default: break;
    }
    w.u8(flags);
    switch (f.type) {
        case 'HELLO':
            w.u16(f.minVersion); w.u16(f.maxVersion); w.str16(f.clientName); w.str16(f.authScheme);
            w.bytes16(f.credentials); w.bytes16(f.resumeToken); w.u64(f.resumeLastReceived);
            break;
        case 'WELCOME':
            w.u16(f.version); w.str16(f.serverId); w.str16(f.sessionId); w.u64(f.epoch); w.u64(f.lastReceived);
            w.u32(f.maxPayload); w.u32(f.maxHeader); w.u16(f.maxSubject); w.u32(f.heartbeatMs); w.u16(f.heartbeatMisses);
            w.bytes16(f.resumeToken || new Uint8Array(0)); w.str16(f.inboxPrefix || '');
            if (f.credentialsValidMs > 0) {
                w.u64(f.credentialsValidMs);
            }
            writeAlternates(w, f.alternates);
            break;
        case 'PUBLISH':
            w.u64(f.sequence); w.body(f);
            break;
        case 'MESSAGE':
            w.u64(f.sequence); w.u32(f.subscriptionId); w.body(f);
            break;
        case 'SUBSCRIBE':
            w.u32(f.subscriptionId); w.str16(f.pattern); w.str16(f.queueGroup || '');
            if (f.creditMessages > 0) {
                w.u32(f.creditMessages); w.u32(f.creditBytes);
            }
            break;
        case 'CREDIT':
            w.u32(f.subscriptionId); w.u64(f.consumedMessages); w.u64(f.consumedBytes);
            break;
        case 'UNSUBSCRIBE':
            w.u32(f.subscriptionId); w.u32(f.afterMessages);
            break;
        case 'NO_RESPONDERS':
            w.str16(f.replySubject);
            break;
        case 'PING':
        case 'PONG':
            w.u64(f.token);
            break;
        case 'ERROR':
            w.u16(f.code); w.str16(f.message);
            break;
        case 'GOAWAY':
            w.u16(f.code); w.u32(f.drainMillis); w.str16(f.reason);
            writeAlternates(w, f.alternates);
            break;
        case 'ACK':
            w.u64(f.sequence);
            break;
        case 'GAP':
            w.u32(f.subscriptionId); w.u64(f.dropped);
            break;
        case 'AUTH':
            w.str16(f.authScheme); w.bytes16(f.credentials);
            break;
        case 'AUTH_OK':
            w.u64(f.credentialsValidMs);
            break;
    }
    w.view.setUint32(0, w.pos - 4);
    return w.buf.slice(0, w.pos);
}

/** The list of WELCOME or GOAWAY when it is not empty: a count, then each URL. @param {Writer} w @param {string[] | undefined} list */
function writeAlternates(w, list) {
    if (list && list.length > 0) {
        if (list.length > MAX_ALTERNATES) {
            throw new InvalidArgumentError(`at most ${MAX_ALTERNATES} alternates: ${list.length}`);
        }
        w.u16(list.length);
        for (const a of list) {
            w.str16(a);
        }
    }
}

/**
 * The list that follows when WELCOME's or GOAWAY's ALTERNATES flag is set: a count from 1 to 64,
 * then each URL as a str16 (section 4).
 * @param {Reader} r @param {string} frame @returns {string[]}
 */
function readAlternates(r, frame) {
    const n = r.u16('alternates count');
    if (n === 0 || n > MAX_ALTERNATES) {
        throw new ProtocolError(`${frame} names ${n} alternates; with ALTERNATES it names 1 to ${MAX_ALTERNATES}`);
    }
    r.need(2 * n, 'alternates');
    /** @type {string[]} */
    const list = [];
    for (let i = 0; i < n; i++) {
        list.push(r.str16('alternate endpoint'));
    }
    return list;
}

class Reader {
    /** @param {Uint8Array} buf @param {number} start @param {number} end @param {Limits} limits */
    constructor(buf, start, end, limits) {
        this.buf = buf;
        this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        this.pos = start;
        this.end = end;
        this.limits = limits;
    }

    /** @param {number} n @param {string} what */
    need(n, what) {
        if (this.pos + n > this.end) {
            throw new ProtocolError(`${what} runs past the end of the frame`);
        }
    }

    /** @param {string} what */
    u8(what) { this.need(1, what); return this.view.getUint8(this.pos++); }
    /** @param {string} what */
    u16(what) { this.need(2, what); const v = this.view.getUint16(this.pos); this.pos += 2; return v; }
    /** @param {string} what */
    u32(what) { this.need(4, what); const v = this.view.getUint32(this.pos); this.pos += 4; return v; }
    /** @param {string} what */
    u64(what) { this.need(8, what); const v = this.view.getBigUint64(this.pos); this.pos += 8; return v; }

    /** A u64 that counts something: must fit in a JavaScript number. @param {string} what */
    count(what) {
        const v = this.u64(what);
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
            throw new ProtocolError(`${what} ${v} is beyond this client's range`);
        }
        return Number(v);
    }

    /**
     * A u64 duration in milliseconds whose bit 63 must be clear (as Java's signed long). Beyond
     * 2^53 (285,000 years) a JavaScript number cannot hold every value: such a time is rounded.
     * @param {string} what
     */
    millis(what) {
        const v = this.u64(what);
        if (v >= 1n << 63n) {
            throw new ProtocolError(`${what} has bit 63 set`);
        }
        return Number(v);
    }

    /** @param {string} what @param {number} [limit] @param {number} [limitCode] */
    bytes16(what, limit, limitCode) {
        const n = this.u16(what);
        if (limit !== undefined && n > limit) {
            throw new ProtocolError(`${what} of ${n} bytes exceeds the maximum of ${limit}`, limitCode);
        }
        this.need(n, what);
        const b = this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return b;
    }

    /** @param {string} what @param {number} [limit] @param {number} [limitCode] */
    str16(what, limit, limitCode) {
        const b = this.bytes16(what, limit, limitCode);
        try {
            return utf8Decoder.decode(b);
        } catch {
            throw new ProtocolError(`${what} is not well-formed UTF-8`);
        }
    }

    /** @returns {MessageBody} */
    body() {
        const subject = this.str16('subject', this.limits.maxSubject, 422);
        const replyTo = this.str16('reply to', this.limits.maxSubject, 422);
        const headerBytes = this.u32('header block length');
        if (headerBytes > this.limits.maxHeader) {
            throw new ProtocolError(`header block of ${headerBytes} bytes exceeds the maximum of ${this.limits.maxHeader}`, 431);
        }
        this.need(headerBytes, 'header block');
        /** @type {HeaderList} */
        const headers = [];
        if (headerBytes > 0) {
            const blockEnd = this.pos + headerBytes;
            const outerEnd = this.end;
            this.end = blockEnd;
            const count = this.u16('header count');
            if (count === 0) {
                throw new ProtocolError('a non-empty header block with count 0');
            }
            for (let i = 0; i < count; i++) {
                headers.push([this.str16('header name'), this.str16('header value')]);
            }
            if (this.pos !== blockEnd) {
                throw new ProtocolError('bytes left over in the header block');
            }
            this.end = outerEnd;
        }
        const payloadBytes = this.u32('payload length');
        if (payloadBytes > this.limits.maxPayload) {
            throw new ProtocolError(`payload of ${payloadBytes} bytes exceeds the maximum of ${this.limits.maxPayload}`, 414);
        }
        this.need(payloadBytes, 'payload');
        const payload = this.buf.slice(this.pos, this.pos + payloadBytes);
        this.pos += payloadBytes;
        return { subject, replyTo, headers, payload };
    }
}

/**
 * Decodes one frame's bytes (head included), which must be exactly one whole frame.
 * @param {Uint8Array} bytes
 * @param {Limits} [limits]
 * @returns {Frame}
 */
export function decodeFrame(bytes, limits = DEFAULT_LIMITS) {
    if (bytes.length < 6) {
        throw new ProtocolError('a frame is at least 6 bytes');
    }
    const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
    if (length + 4 !== bytes.length) {
        throw new ProtocolError(`the length field says ${length} bytes follow but ${bytes.length - 4} do`);
    }
    return decodeAt(bytes, 0, length, limits);
}

/**
 * @param {Uint8Array} buf @param {number} start where the frame's length field begins
 * @param {number} length the frame's length field @param {Limits} limits
 * @returns {Frame}
 */
function decodeAt(buf, start, length, limits) {
    if (length < 2) {
        throw new ProtocolError(`frame length ${length} is below 2`);
    }
    const r = new Reader(buf, start + 4, start + 4 + length, limits);
    const code = r.u8('type');
    const name = TYPE_NAMES[code];
    if (name === undefined) {
        throw new ProtocolError(`unknown frame type 0x${code.toString(16)}`);
    }
    const flags = r.u8('flags');
    const defined = /** @type {Record<number, number>} */ (DEFINED_FLAGS)[code];
    if ((flags & ~defined) !== 0) {
        throw new ProtocolError(`undefined flag bits 0x${flags.toString(16)} on ${name}`);
    }
    /** @type {Frame} */
    let f;
    switch (code) {
        case 0x01:
            f = { type: 'HELLO', minVersion: r.u16('min version'), maxVersion: r.u16('max version'),
                clientName: r.str16('client name'), authScheme: r.str16('auth scheme'),
                credentials: r.bytes16('credentials').slice(), resumeToken: r.bytes16('resume token').slice(),
                resumeLastReceived: r.count('resume last received') };
            break;
        case 0x02: {
            const version = r.u16('version');
            const serverId = r.str16('server id');
            const sessionId = r.str16('session id');
            const epoch = r.u64('epoch');
            const lastReceived = r.count('last received');
            const maxPayload = r.u32('max payload');
            const maxHeader = r.u32('max header');
            const maxSubject = r.u16('max subject');
            const heartbeatMs = r.u32('heartbeat ms');
            const heartbeatMisses = r.u16('heartbeat misses');
            const resumeToken = r.bytes16('resume token').slice();
            const inboxPrefix = r.str16('inbox prefix');
            if (maxPayload > 64 * 1024 * 1024 || maxHeader > 1024 * 1024 || maxSubject === 0 || heartbeatMs > 0x7fffffff) {
                throw new ProtocolError('WELCOME announces impossible limits');
            }
            let credentialsValidMs = 0;
            if ((flags & FLAG_EXPIRES) !== 0) {
                credentialsValidMs = r.millis('credentials valid ms');
                if (credentialsValidMs === 0) {
                    throw new ProtocolError('WELCOME with EXPIRES must announce a positive credentials valid ms');
                }
            }
            const alternates = (flags & FLAG_WELCOME_ALTERNATES) !== 0 ? readAlternates(r, 'WELCOME') : [];
            f = { type: 'WELCOME', resumed: (flags & FLAG_RESUMED) !== 0, version, serverId, sessionId, epoch, lastReceived,
                maxPayload, maxHeader, maxSubject, heartbeatMs, heartbeatMisses, resumeToken, inboxPrefix, credentialsValidMs,
                alternates };
            break;
        }
        case 0x03: {
            const sequence = r.count('sequence');
            f = { type: 'PUBLISH', request: (flags & 1) !== 0, sequence, ...r.body() };
            break;
        }
        case 0x04: {
            const sequence = r.count('sequence');
            const subscriptionId = r.u32('subscription id');
            f = { type: 'MESSAGE', sequence, subscriptionId, ...r.body() };
            break;
        }
        case 0x05: {
            if (flags === 3) {
                throw new ProtocolError('SUBSCRIBE cannot be both DISCONNECT_WHEN_SLOW and CREDIT');
            }
            f = { type: 'SUBSCRIBE', subscriptionId: r.u32('subscription id'),
                pattern: r.str16('pattern', limits.maxSubject, 422), queueGroup: r.str16('queue group', limits.maxSubject, 422),
                disconnectWhenSlow: (flags & 1) !== 0, creditMessages: 0, creditBytes: 0 };
            if ((flags & 2) !== 0) {
                f.creditMessages = r.u32('credit messages');
                f.creditBytes = r.u32('credit bytes');
                if (f.creditMessages === 0 || f.creditBytes === 0) {
                    throw new ProtocolError('SUBSCRIBE with CREDIT needs credit > 0');
                }
            }
            break;
        }
        case 0x06:
            f = { type: 'UNSUBSCRIBE', subscriptionId: r.u32('subscription id'), afterMessages: r.u32('after messages') };
            break;
        case 0x07:
            f = { type: 'NO_RESPONDERS', replySubject: r.str16('reply subject', limits.maxSubject, 422) };
            break;
        case 0x08:
            f = { type: 'PING', token: r.u64('token') };
            break;
        case 0x09:
            f = { type: 'PONG', token: r.u64('token') };
            break;
        case 0x0a:
            f = { type: 'ERROR', code: r.u16('code'), fatal: (flags & 1) !== 0, message: r.str16('message') };
            break;
        case 0x0b: {
            const goCode = r.u16('code');
            const drainMillis = r.u32('drain millis');
            if (drainMillis > 0x7fffffff) {
                throw new ProtocolError('GOAWAY drain millis has bit 31 set');
            }
            const reason = r.str16('reason');
            const alternates = (flags & 1) !== 0 ? readAlternates(r, 'GOAWAY') : [];
            f = { type: 'GOAWAY', code: goCode, drainMillis, reason, alternates };
            break;
        }
        case 0x0c:
            f = { type: 'ACK', sequence: r.count('sequence') };
            break;
        case 0x0d:
            f = { type: 'GAP', subscriptionId: r.u32('subscription id'), dropped: r.count('dropped'), ended: (flags & 1) !== 0 };
            if (!f.ended && f.dropped < 1) {
                throw new ProtocolError('GAP must report at least one dropped message');
            }
            break;
        case 0x10:
            f = { type: 'CREDIT', subscriptionId: r.u32('subscription id'), consumedMessages: r.count('consumed messages'),
                consumedBytes: r.count('consumed bytes') };
            break;
        case 0x0e:
            f = { type: 'AUTH', authScheme: r.str16('auth scheme'), credentials: r.bytes16('credentials').slice() };
            break;
        default:
            f = { type: 'AUTH_OK', credentialsValidMs: r.millis('credentials valid ms') };
            break;
    }
    if (r.pos !== r.end) {
        throw new ProtocolError(`${r.end - r.pos} bytes left over after ${name}`);
    }
    return f;
}

/**
 * Splits a byte stream into frames (section 2): checks each length before it waits for or keeps
 * the frame's bytes, so a hostile length costs nothing.
 */
export class FrameReader {
    /** @param {Limits} [limits] */
    constructor(limits = DEFAULT_LIMITS) {
        /** @type {Limits} */
        this.limits = limits;
        /** @type {Uint8Array} */
        this.buf = new Uint8Array(0);
    }

    /**
     * Adds bytes and returns the whole frames they complete.
     * @param {Uint8Array} chunk
     * @returns {Frame[]}
     */
    push(chunk) {
        let buf;
        if (this.buf.length === 0) {
            buf = chunk;
        } else {
            buf = new Uint8Array(this.buf.length + chunk.length);
            buf.set(this.buf);
            buf.set(chunk, this.buf.length);
        }
        const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
        const max = maxFrameSize(this.limits);
        /** @type {Frame[]} */
        const frames = [];
        let pos = 0;
        while (buf.length - pos >= 4) {
            const length = view.getUint32(pos);
            if (length > max) {
                throw new ProtocolError(`frame of ${length} bytes exceeds the maximum frame size ${max}`, 413);
            }
            if (length < 2) {
                throw new ProtocolError(`frame length ${length} is below 2`);
            }
            if (buf.length - pos < 4 + length) {
                break;
            }
            frames.push(decodeAt(buf, pos, length, this.limits));
            pos += 4 + length;
        }
        this.buf = pos === buf.length ? new Uint8Array(0) : buf.slice(pos);
        return frames;
    }
}

// -------------------------------------------------------------------------------------------------
// Payloads and received messages

/**
 * What `publish` accepts: a string (UTF-8), bytes, or any other value, sent as JSON.
 * @typedef {string | Uint8Array | ArrayBuffer | object | number | boolean | null | undefined} Data
 */

/**
 * @param {Data} data
 * @returns {Uint8Array}
 */
export function toBytes(data) {
    if (data === undefined) {
        return new Uint8Array(0);
    }
    if (typeof data === 'string') {
        return utf8Encoder.encode(data);
    }
    if (data instanceof Uint8Array) {
        return data.slice();
    }
    if (data instanceof ArrayBuffer) {
        return new Uint8Array(data.slice(0));
    }
    if (ArrayBuffer.isView(data)) {
        return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    }
    return utf8Encoder.encode(JSON.stringify(data));
}

// Conduit client for browsers and Node: one self-contained ES module, no runtime dependencies.
//
// It speaks the Conduit wire protocol (docs/protocol.md) over a WebSocket that carries whole
// Conduit frames in binary messages, and keeps the same promise as the Java client
// (docs/guarantees.md): while the server can resume the session, nothing is lost or repeated
// across a dropped connection; when it cannot, a 'sessionLost' event says what was not confirmed.
//
// Structure: the codec (encodeFrame, FrameReader) is pure; the Client keeps one session across
// its connections (Link). Time comes from an injectable `timers` object so that tests need not wait.

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
const DEFINED_FLAGS = { 0x01: 0, 0x02: 3, 0x03: 1, 0x04: 0, 0x05: 3, 0x06: 0, 0x07: 0, 0x08: 0, 0x09: 0, 0x0a: 1, 0x0b: 1, 0x0c: 0, 0x0d: 1,
    0x0e: 0, 0x0f: 0, 0x10: 0 };

/** WELCOME flags (section 4). */
const FLAG_RESUMED = 0x01;
const FLAG_EXPIRES = 0x02;

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
// Errors

/** Base class of every error this module throws or reports. */
export class ConduitError extends Error {
    /**
     * @param {string} message
     * @param {number} [code] a protocol error code (section 11), when there is one
     */
    constructor(message, code) {
        super(message);
        this.name = 'ConduitError';
        /** @type {number | undefined} */
        this.code = code;
    }
}

/** Bytes from the network that break the protocol; the connection cannot go on. */
export class ProtocolError extends ConduitError {
    /** @param {string} message @param {number} [code] */
    constructor(message, code = 400) {
        super(message, code);
        this.name = 'ProtocolError';
    }
}

/** An ERROR frame from the server. */
export class ServerError extends ConduitError {
    /** @param {number} code @param {boolean} fatal @param {string} message */
    constructor(code, fatal, message) {
        super(`server error ${code}${fatal ? ' (fatal)' : ''}: ${message}`, code);
        this.name = 'ServerError';
        this.fatal = fatal;
        this.serverMessage = message;
    }
}

/** A request got no reply within its timeout. */
export class TimeoutError extends ConduitError {
    /** @param {string} message */
    constructor(message) {
        super(message);
        this.name = 'TimeoutError';
    }
}

/** A request matched no subscription at the server (NO_RESPONDERS). */
export class NoRespondersError extends ConduitError {
    /** @param {string} subject */
    constructor(subject) {
        super(`no responders for '${subject}'`, 503);
        this.name = 'NoRespondersError';
        this.subject = subject;
    }
}

/** The session ended before the server confirmed the operation; it may or may not have happened. */
export class SessionLostError extends ConduitError {
    /** @param {string} message */
    constructor(message) {
        super(message, 410);
        this.name = 'SessionLostError';
    }
}

/** The client buffer bound (`maxBufferedBytes`) would be exceeded. */
export class BufferFullError extends ConduitError {
    /** @param {string} message */
    constructor(message) {
        super(message);
        this.name = 'BufferFullError';
    }
}

/** The client is closed, or closed before the operation completed. */
export class ClosedError extends ConduitError {
    /** @param {string} message */
    constructor(message) {
        super(message);
        this.name = 'ClosedError';
    }
}

/** An argument breaks the protocol's rules (subjects, headers, sizes). */
export class InvalidArgumentError extends ConduitError {
    /** @param {string} message @param {number} [code] */
    constructor(message, code) {
        super(message, code);
        this.name = 'InvalidArgumentError';
    }
}

// -------------------------------------------------------------------------------------------------
// Subjects and headers (sections 8 and 9)

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** @param {number} c a code point */
function isForbiddenSubjectChar(c) {
    return c <= 0x20 || c === 0x7f || c === 0x1680 || (c >= 0x2000 && c <= 0x2006) || (c >= 0x2008 && c <= 0x200a)
        || c === 0x2028 || c === 0x2029 || c === 0x205f || c === 0x3000;
}

/**
 * Why a subject or pattern breaks section 8, or null if it is valid.
 * @param {string} s
 * @param {boolean} wildcards whether `*` and `>` tokens are allowed (patterns)
 * @param {number} maxBytes
 * @returns {string | null}
 */
export function subjectProblem(s, wildcards, maxBytes) {
    if (typeof s !== 'string' || s.length === 0) {
        return 'is empty';
    }
    if (utf8Length(s) > maxBytes) {
        return `is longer than ${maxBytes} bytes`;
    }
    const tokens = s.split('.');
    for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i];
        if (t.length === 0) {
            return 'has an empty token';
        }
        for (const ch of t) {
            const c = /** @type {number} */ (ch.codePointAt(0));
            if (c >= 0xd800 && c <= 0xdfff) {
                return 'holds a lone surrogate';
            }
            if (isForbiddenSubjectChar(c)) {
                return 'holds whitespace or a control character';
            }
        }
        if (t === '*' || t === '>') {
            if (!wildcards) {
                return `holds the wildcard '${t}'`;
            }
            if (t === '>' && i !== tokens.length - 1) {
                return "has '>' before its last token";
            }
        } else if (t.includes('*') || t.includes('>')) {
            return "has '*' or '>' inside a token";
        }
    }
    return null;
}

/**
 * Why a queue group name breaks section 8, or null.
 * @param {string} q @param {number} maxBytes
 */
export function queueGroupProblem(q, maxBytes) {
    if (typeof q !== 'string' || q.length === 0) {
        return 'is empty';
    }
    if (utf8Length(q) > maxBytes) {
        return `is longer than ${maxBytes} bytes`;
    }
    for (const ch of q) {
        const c = /** @type {number} */ (ch.codePointAt(0));
        if (c <= 0x20 || c === 0x7f || c === 0x2e || c === 0x2a || c === 0x3e || (c >= 0xd800 && c <= 0xdfff)) {
            return "holds a control character, a space, '.', '*' or '>'";
        }
    }
    return null;
}

/**
 * Whether a subject matches a pattern (section 8).
 * @param {string} pattern @param {string} subject
 */
export function subjectMatches(pattern, subject) {
    const p = pattern.split('.');
    const s = subject.split('.');
    for (let i = 0; i < p.length; i++) {
        if (p[i] === '>') {
            return s.length > i;
        }
        if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) {
            return false;
        }
    }
    return p.length === s.length;
}

/** @param {string} s */
function utf8Length(s) {
    let n = 0;
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x80) {
            n += 1;
        } else if (c < 0x800) {
            n += 2;
        } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
            n += 4;
            i++;
        } else {
            n += 3;
        }
    }
    return n;
}

/**
 * Headers: an ordered list of name/value pairs (names may repeat).
 * @typedef {Array<[string, string]>} HeaderList
 */

/**
 * Headers as callers may give them: an object, a Map or a list of pairs.
 * @typedef {HeaderList | Map<string, string> | Record<string, string>} HeadersInit
 */

/**
 * @param {HeadersInit | undefined | null} h
 * @returns {HeaderList}
 */
function toHeaderList(h) {
    if (h == null) {
        return [];
    }
    /** @type {HeaderList} */
    const list = [];
    const entries = Array.isArray(h) ? h : h instanceof Map ? [...h.entries()] : Object.entries(h);
    for (const e of entries) {
        if (!Array.isArray(e) || e.length !== 2) {
            throw new InvalidArgumentError('a header must be a [name, value] pair');
        }
        const [name, value] = e;
        if (typeof name !== 'string' || name.length < 1 || name.length > 255 || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
            throw new InvalidArgumentError(`invalid header name '${name}': 1 to 255 visible ASCII characters other than ':'`, 431);
        }
        const v = String(value);
        if (/[\r\n\0]/.test(v) || utf8Length(v) > 65535) {
            throw new InvalidArgumentError(`invalid value of header '${name}': no CR, LF or NUL, at most 65535 bytes`, 431);
        }
        list.push([name, v]);
    }
    return list;
}

// -------------------------------------------------------------------------------------------------
// Codec (sections 2 to 5)

/**
 * One Conduit frame as a plain object, tagged by `type`. u64 fields that are counts (sequence
 * numbers, `dropped`) are numbers; `epoch` and PING/PONG tokens are bigints. `credentialsValidMs`
 * (WELCOME, AUTH_OK) is a number of milliseconds, 0 when the credentials do not expire: WELCOME
 * carries it on the wire only with the EXPIRES flag, which the encoder sets when it is above 0.
 * @typedef {{ type: 'HELLO', minVersion: number, maxVersion: number, clientName: string, authScheme: string, credentials: Uint8Array, resumeToken: Uint8Array, resumeLastReceived: number }} HelloFrame
 * @typedef {{ type: 'WELCOME', resumed: boolean, version: number, serverId: string, sessionId: string, epoch: bigint, lastReceived: number, maxPayload: number, maxHeader: number, maxSubject: number, heartbeatMs: number, heartbeatMisses: number, resumeToken?: Uint8Array, inboxPrefix?: string, credentialsValidMs: number }} WelcomeFrame
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
        case 'WELCOME': flags = (f.resumed ? FLAG_RESUMED : 0) | (f.credentialsValidMs > 0 ? FLAG_EXPIRES : 0); break;
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
            if (f.alternates && f.alternates.length > 0) {
                w.u16(f.alternates.length);
                for (const a of f.alternates) {
                    w.str16(a);
                }
            }
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
            f = { type: 'WELCOME', resumed: (flags & FLAG_RESUMED) !== 0, version, serverId, sessionId, epoch, lastReceived,
                maxPayload, maxHeader, maxSubject, heartbeatMs, heartbeatMisses, resumeToken, inboxPrefix, credentialsValidMs };
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
            /** @type {string[]} */
            const alternates = [];
            if ((flags & 1) !== 0) {
                const n = r.u16('alternates count');
                for (let i = 0; i < n; i++) {
                    alternates.push(r.str16('alternate endpoint'));
                }
            }
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

/** One subscription; made by `Client.subscribe`. */
export class Subscription {
    /**
     * @param {Client} client @param {number} id @param {string} pattern @param {string | undefined} queue
     * @param {(msg: Msg) => void} handler @param {boolean} disconnectWhenSlow
     * @param {{ messages: number, bytes: number } | null} [credit] the window of a reliable subscription; null: lossy
     */
    constructor(client, id, pattern, queue, handler, disconnectWhenSlow, credit = null) {
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
        /** Reliable (credit-based, never skipped) unless made lossy or with disconnectWhenSlow (protocol.md 7b). */
        this.reliable = credit !== null && !disconnectWhenSlow;
        /** @private */
        this._window = credit || { messages: 0, bytes: 0 };
        /** @private messages and payload bytes the handler has taken in this session */
        this._consumed = 0;
        /** @private */
        this._consumedBytes = 0;
        /** @private totals last reported with CREDIT */
        this._reported = 0;
        /** @private */
        this._reportedBytes = 0;
    }

    /**
     * @internal The handler took a message of `bytes` payload bytes: reports it at once when half a
     * window has been taken since the last report; the rest goes at the end of the read.
     * @param {number} bytes
     */
    _taken(bytes) {
        this._consumed++;
        this._consumedBytes += bytes;
        if (this._consumed - this._reported >= Math.max(1, this._window.messages / 2)
                || this._consumedBytes - this._reportedBytes >= this._window.bytes / 2) {
            this._reportCredit();
        }
    }

    /** @internal Sends CREDIT if anything taken is unreported. */
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

    /** @internal @param {MessageBody} body */
    _onMessage(body) {
        if (!this.active) {
            return;
        }
        this.received++;
        if (this.received >= this.limit) {
            this._end();
        }
        this.delivered++;
        const msg = new Msg(this._client, body, this);
        try {
            this._handler(msg);
        } catch (e) {
            this._client._emit('error', new ConduitError(`handler of subscription ${this.id} '${this.pattern}' failed: ${e instanceof Error ? e.message : String(e)}`));
        }
        if (this.reliable) {
            this._taken(body.payload.length);
        }
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
        // The new session counts credit from zero; handlers run as messages arrive, so nothing is queued.
        this._consumed = 0;
        this._consumedBytes = 0;
        this._reported = 0;
        this._reportedBytes = 0;
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
    }

    /** Ends the subscription now. Messages already in flight are dropped. */
    unsubscribe() {
        if (this.active) {
            this._end();
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
// Time

/**
 * Where the client takes time from; tests pass a manual one.
 * @typedef {{ now(): number, setTimeout(fn: () => void, ms: number): unknown, clearTimeout(handle: unknown): void }} Timers
 */

/** @type {Timers} */
const realTimers = {
    now: () => (typeof performance !== 'undefined' ? performance.now() : Date.now()),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(/** @type {any} */ (h)),
};

/**
 * The wait before reconnect attempt `attempt` (0-based): exponential, capped, with jitter. With
 * jitter j the wait is uniform in [c x (1 - j), c] where c = min(maxDelayMs, initialDelayMs x 2^attempt);
 * j = 1 is "full jitter" (the Java client's).
 * @param {{ initialDelayMs: number, maxDelayMs: number, jitter: number }} backoff
 * @param {number} attempt @param {() => number} random
 */
export function backoffDelay(backoff, attempt, random) {
    const ceiling = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** Math.min(attempt, 40));
    return ceiling * (1 - backoff.jitter * random());
}

// -------------------------------------------------------------------------------------------------
// The client

/**
 * The WebSocket class the client uses: the browser's, or Node's `ws` package (same interface).
 * @typedef {{ new (url: string): WebSocketLike }} WebSocketConstructor
 * @typedef {{ binaryType: string, readyState: number, bufferedAmount?: number, send(data: Uint8Array): void, close(code?: number, reason?: string): void,
 *   onopen: ((ev: any) => void) | null, onmessage: ((ev: { data: any }) => void) | null, onclose: ((ev: any) => void) | null, onerror: ((ev: any) => void) | null }} WebSocketLike
 */

/**
 * What the client presents in HELLO and AUTH (protocol.md section 6a, docs/security.md): a scheme
 * (`token`, `jwt`, a plug-in's, or '' for none) and its credentials (a string is sent as UTF-8).
 * @typedef {{ scheme: string, credentials: string | Uint8Array }} Credentials
 */

/**
 * Called for every HELLO (first connect and each reconnect) and for every renewal: returns the
 * credentials to present now, or a promise of them (e.g. a fresh JWT fetched from an identity
 * provider).
 * @typedef {() => Credentials | Promise<Credentials>} CredentialsSupplier
 */

/**
 * @typedef {object} ConnectOptions
 * @property {string | string[]} url one endpoint (ws:// or wss://, path /conduit) or several to rotate through
 * @property {string} [name] client name shown in the server's logs
 * @property {string} [token] credentials for the static-token scheme
 * @property {string} [authScheme] the HELLO auth scheme used with `token` (default 'token')
 * @property {string} [jwt] a JWT (compact JWS), sent with the scheme 'jwt'; one that expires cannot be
 *     renewed: use `credentials` with a function for that
 * @property {Credentials | CredentialsSupplier} [credentials] the credentials, or a function that supplies
 *     them, called again for each HELLO and each renewal. At most one of `token`, `jwt` and `credentials`.
 * @property {WebSocketConstructor} [WebSocket] the WebSocket class (default globalThis.WebSocket)
 * @property {{ initialDelayMs?: number, maxDelayMs?: number, jitter?: number, maxAttempts?: number }} [reconnect]
 * @property {number} [requestTimeoutMs] default request timeout (2000)
 * @property {number} [connectTimeoutMs] time for one attempt to reach WELCOME (10000)
 * @property {number} [flushTimeoutMs] default flush timeout (10000)
 * @property {number} [closeTimeoutMs] how long close() waits for confirmation (5000)
 * @property {number} [maxBufferedBytes] bound of unconfirmed and waiting publishes (8 MiB)
 * @property {boolean} [retryInitialConnect] keep trying when the first connection fails (false: connect() rejects)
 * @property {boolean} [disconnectWhenSlow] make subscriptions lossy, with DISCONNECT_WHEN_SLOW, by default
 * @property {number} [creditMessages] a reliable subscription's window in messages (65536): the server sends no more
 *     than this beyond what its handler has taken
 * @property {number} [creditBytes] its window in payload bytes (8 MiB)
 * @property {Timers} [timers] time source (tests)
 * @property {() => number} [random] random numbers in [0, 1) for jitter (tests)
 * @property {Partial<Record<EventName, (arg: any) => void>>} [on] listeners added before connecting,
 *     so that even the first 'connected' is heard
 */

/**
 * `credentialsValidMs`: how long the credentials were valid when WELCOME was sent (0: they do not expire).
 * @typedef {{ serverId: string, sessionId: string, version: number, maxPayload: number, maxHeader: number, maxSubject: number, heartbeatMs: number, heartbeatMisses: number, credentialsValidMs: number }} ServerInfo
 * @typedef {{ subject: string, replyTo: string | undefined, headers: HeaderList, data: Uint8Array }} Unconfirmed
 * @typedef {{ reason: string, unconfirmed: Unconfirmed[], failedRequests: number }} SessionLost
 * @typedef {'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed'} ClientState
 * @typedef {'connected' | 'disconnected' | 'reconnected' | 'resumed' | 'sessionLost' | 'error' | 'slowConsumer' | 'renewed' | 'closed'} EventName
 */

/**
 * A sequenced frame waiting to be sent, or sent and waiting to be acknowledged.
 * @typedef {{ frame: Frame, bytes: number, bounded: boolean }} Outgoing
 * @typedef {{ subject: string, frame: PublishFrame, resolve: (m: Msg) => void, reject: (e: Error) => void, timer: unknown, settled?: Promise<void> }} PendingRequest
 * @typedef {{ target: number, resolve: () => void, reject: (e: Error) => void, timer: unknown }} PendingFlush
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
        this._maxBufferedBytes = positive(options.maxBufferedBytes, 8 * 1024 * 1024, 'maxBufferedBytes');
        /** @private */
        this._retryInitialConnect = !!options.retryInitialConnect;
        /** @private */
        this._disconnectWhenSlow = !!options.disconnectWhenSlow;
        /** @private the window of reliable subscriptions */
        this._credit = { messages: positive(options.creditMessages, 65536, 'creditMessages'),
            bytes: positive(options.creditBytes, 8 * 1024 * 1024, 'creditBytes') };
        if (this._credit.messages > 0xffffffff || this._credit.bytes > 0xffffffff) {
            throw new InvalidArgumentError('creditMessages and creditBytes must fit in 32 bits');
        }
        /** @private @type {Timers} */
        this._timers = options.timers || realTimers;
        /** @private */
        this._random = options.random || Math.random;

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
        /** @private @type {Link | null} */
        this._link = null;
        /** @private whether the link has its WELCOME and may send */
        this._ready = false;
        /** @private @type {string | null} */
        this._sessionId = null;
        /** @private */
        this._epoch = 0n;
        /** @private @type {Uint8Array} the secret from the last WELCOME that resumes the session once */
        this._resumeToken = new Uint8Array(0);
        /** @private sequenced frames sent in this session */
        this._outSeq = 0;
        /** @private @type {Outgoing[]} sent, not yet acknowledged, oldest first */
        this._unacked = [];
        /** @private @type {Outgoing[]} waiting for a ready connection */
        this._pending = [];
        /** @private */
        this._bufferedBytes = 0;
        /** @private sequenced frames received in this session */
        this._inSeq = 0;
        /** @private */
        this._inAcked = 0;
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
        /** @private */
        this._inboxPrefix = `_INBOX.${randomToken(12)}.`;
        /** @private @type {Subscription | null} */
        this._inbox = null;
        /** @private */
        this._nextRequestId = 0;
        /** @private @type {string | null} the subject that last passed the check, under _lastSubjectMax */
        this._lastSubject = null;
        /** @private */
        this._lastSubjectMax = 0;
        /** @private @type {Map<number, PendingRequest>} */
        this._requests = new Map();
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
     * ({ subscription, dropped }), 'renewed' ({ credentialsValidMs }: the server accepted renewed
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
        this._requireOpen();
        const frame = this._publishFrame(subject, data, options.headers, options.replyTo, false);
        this._enqueue(frame, true);
    }

    /**
     * Subscribes to a subject pattern (`*` one token, `>` the rest).
     * @param {string} pattern
     * @param {(msg: Msg) => void} handler
     * @param {{ queue?: string, lossy?: boolean, disconnectWhenSlow?: boolean }} [options] `lossy`: skip (and count
     *     with GAP) rather than slow the publishers when this subscriber falls behind (protocol.md 7b)
     * @returns {Subscription}
     */
    subscribe(pattern, handler, options = {}) {
        this._requireOpen();
        if (typeof handler !== 'function') {
            throw new InvalidArgumentError('subscribe needs a handler function');
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
        return this._subscribe(pattern, options.queue, handler, dws, !!options.lossy || dws);
    }

    /**
     * Sends a request and resolves with the first reply. Rejects with NoRespondersError when
     * nothing subscribes to the subject, TimeoutError after the timeout, SessionLostError when the
     * session was lost before the reply.
     * @param {string} subject
     * @param {Data} [data]
     * @param {{ timeoutMs?: number, headers?: HeadersInit }} [options]
     * @returns {Promise<Msg>}
     */
    request(subject, data, options = {}) {
        try {
            this._requireOpen();
            const timeoutMs = positive(options.timeoutMs, this._requestTimeoutMs, 'timeoutMs');
            if (!this._inbox) {
                this._inbox = this._subscribe(`${this._inboxPrefix}*`, undefined, (m) => this._onReply(m), false, false);
            }
            const id = ++this._nextRequestId;
            const frame = this._publishFrame(subject, data, options.headers, this._inboxPrefix + id, true);
            const promise = new Promise((resolve, reject) => {
                const timer = this._timers.setTimeout(() => {
                    const p = this._requests.get(id);
                    if (p) {
                        this._requests.delete(id);
                        this._withdraw(p.frame);
                        reject(new TimeoutError(`no reply to the request to '${subject}' within ${timeoutMs} ms`));
                    }
                }, timeoutMs);
                this._requests.set(id, { subject, frame, resolve, reject, timer });
                try {
                    this._enqueue(frame, true);
                } catch (e) {
                    this._requests.delete(id);
                    this._timers.clearTimeout(timer);
                    reject(e);
                }
            });
            const pending = this._requests.get(id);
            if (pending) {
                pending.settled = promise.then(() => {}, () => {});
            }
            return /** @type {Promise<Msg>} */ (promise);
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
        const target = this._outSeq + this._pending.length;
        if (target === this._outSeq - this._unacked.length) {
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
        if (this._closeTimeoutMs > 0 && this._sessionId !== null) {
            const deadline = this._timers.now() + this._closeTimeoutMs;
            const requests = [...this._requests.values()].map((p) => p.settled);
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
        return { ...this._stats, state: this.state, bufferedBytes: this._bufferedBytes, unacked: this._unacked.length,
            waiting: this._pending.length, subscriptions: this._subs.size, requestsInFlight: this._requests.size };
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
     * @param {string} pattern @param {string | undefined} queue @param {(m: Msg) => void} handler @param {boolean} dws
     * @param {boolean} lossy
     */
    _subscribe(pattern, queue, handler, dws, lossy) {
        const s = new Subscription(this, ++this._nextSubId, pattern, queue, handler, dws, lossy ? null : { ...this._credit });
        this._subs.set(s.id, s);
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
        const size = frameSize(frame);
        if (bounded && this._bufferedBytes > 0 && this._bufferedBytes + size > this._maxBufferedBytes) {
            throw new BufferFullError(`buffer full: ${this._bufferedBytes} bytes await confirmation and ${size} more would exceed ${this._maxBufferedBytes}`);
        }
        /** @type {Outgoing} */
        const o = { frame, bytes: size, bounded };
        this._bufferedBytes += size;
        if (this._ready && this._pending.length === 0) {
            this._transmit(o);
        } else {
            this._pending.push(o);
        }
    }

    /** Numbers and sends one frame on the ready link. @private @param {Outgoing} o */
    _transmit(o) {
        this._outSeq++;
        if (o.frame.type === 'PUBLISH') {
            o.frame = { ...o.frame, sequence: this._outSeq };
            this._stats.outMsgs++;
        }
        this._unacked.push(o);
        /** @type {Link} */ (this._link).send(o.frame);
    }

    /** A request that timed out before it was sent is never sent late. @private @param {PublishFrame} frame */
    _withdraw(frame) {
        const i = this._pending.findIndex((o) => o.frame === frame);
        if (i >= 0) {
            this._bufferedBytes -= this._pending[i].bytes;
            this._pending.splice(i, 1);
        }
    }

    /** The server confirmed everything up to `seq`. @private @param {number} seq */
    _confirm(seq) {
        const first = this._outSeq - this._unacked.length + 1;
        const n = seq - first + 1;
        if (n > 0) {
            for (const o of this._unacked.splice(0, n)) {
                this._bufferedBytes -= o.bytes;
            }
        }
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
        const p = this._takeRequest(reply.subject);
        if (p) {
            p.resolve(reply);
        }
    }

    /** @private @param {string} replySubject */
    _takeRequest(replySubject) {
        if (!replySubject.startsWith(this._inboxPrefix)) {
            return null;
        }
        const id = Number(replySubject.substring(this._inboxPrefix.length));
        const p = this._requests.get(id);
        if (!p) {
            return null;
        }
        this._requests.delete(id);
        this._timers.clearTimeout(p.timer);
        return p;
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
        const neverOpened = this._sessionId === null;
        const fatal = cause instanceof ServerError && !retryable(cause.code || 0);
        if (neverOpened && (fatal || (!this._retryInitialConnect && this._failures >= this._endpoints.length))) {
            const e = new ConduitError(`cannot connect to ${url}: ${cause.message}`, cause instanceof ConduitError ? cause.code : undefined);
            this._shutdown(e, e.message);
        } else if (this._failures > this._maxAttempts) {
            this._shutdown(new ClosedError(`gave up after ${this._failures} failed connection attempts; last: ${cause.message}`),
                `gave up reconnecting: ${cause.message}`);
        } else {
            this._scheduleAttempt(backoffDelay(this._backoff, this._failures - 1, this._random));
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
        const first = this._sessionId === null;
        const resumed = w.resumed && !first && this._sessionId === w.sessionId && this._epoch === w.epoch;
        /** @type {Array<() => void>} */
        const notices = [];
        if (resumed) {
            const held = this._outSeq - this._unacked.length;
            if (w.lastReceived < held || w.lastReceived > this._outSeq) {
                link.abort(new ProtocolError(`server resumed at frame ${w.lastReceived} but this client holds ${held + 1}..${this._outSeq}`));
                return;
            }
            this._confirm(w.lastReceived);
            for (const o of this._unacked) {
                link.send(o.frame);
            }
            for (const s of this._subs.values()) {
                if (s.reliable && s.active) {
                    link.send(s._creditFrame()); // the server may have missed the last one; totals are cumulative
                }
            }
            this._stats.resumes++;
            notices.push(() => this._emit('resumed', info));
        } else {
            if (w.inboxPrefix && w.inboxPrefix !== this._inboxPrefix) { // the server's, for this session only
                this._inboxPrefix = w.inboxPrefix;
                if (this._inbox) this._inbox.pattern = `${w.inboxPrefix}*`;
            }
            if (!first) {
                const lost = this._loseSession(this._refusal || 'the server started a new session');
                this._stats.sessionsLost++;
                notices.push(() => this._emit('sessionLost', lost));
            }
            this._sessionId = w.sessionId;
            this._epoch = w.epoch;
            this._inSeq = 0;
            this._inAcked = 0;
        }
        this._resumeToken = w.resumeToken || new Uint8Array(0); // secret, single use: each WELCOME brings a new one
        this._refusal = null;
        this._failures = 0;
        this._moveOn = false;
        this._ready = true;
        link.welcomed(w);
        while (this._pending.length > 0 && this._ready) {
            this._transmit(/** @type {Outgoing} */ (this._pending.shift()));
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
        /** @type {Unconfirmed[]} */
        const unconfirmed = [];
        for (const o of this._unacked) {
            this._bufferedBytes -= o.bytes;
            if (o.frame.type === 'PUBLISH' && !o.frame.request) {
                const f = o.frame;
                unconfirmed.push({ subject: f.subject, replyTo: f.replyTo || undefined, headers: f.headers, data: f.payload });
            }
        }
        this._unacked = [];
        this._outSeq = 0;
        let failedRequests = 0;
        for (const [id, p] of [...this._requests]) {
            this._requests.delete(id);
            this._timers.clearTimeout(p.timer);
            failedRequests++;
            p.reject(failure);
        }
        this._pending = this._pending.filter((o) => {
            if (o.frame.type === 'PUBLISH' && o.frame.request) {
                this._bufferedBytes -= o.bytes;
                return false;
            }
            return true;
        });
        /** @type {Outgoing[]} */
        const rebuilt = [];
        for (const s of this._subs.values()) {
            if (!s.active || this._pending.some((o) => o.frame.type === 'SUBSCRIBE' && o.frame.subscriptionId === s.id)) {
                continue;
            }
            for (const f of s._resubscribeFrames()) {
                const size = frameSize(f);
                this._bufferedBytes += size;
                rebuilt.push({ frame: f, bytes: size, bounded: false });
            }
        }
        this._pending = [...rebuilt, ...this._pending];
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

    /** @internal @param {Link} link @param {string[]} alternates */
    _goAway(link, alternates) {
        for (const a of alternates) {
            if (/^wss?:\/\//.test(a) && !this._endpoints.includes(a)) {
                this._endpoints.push(a);
            }
        }
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
        if (a.sequence > this._outSeq || a.sequence < this._outSeq - this._unacked.length) {
            link.abort(new ProtocolError(`server acknowledged frame ${a.sequence} but this client holds ${this._outSeq - this._unacked.length + 1}..${this._outSeq}`));
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
        if (f.type === 'MESSAGE' && f.sequence !== 0) {
            if (f.sequence <= this._inSeq) {
                this._stats.duplicatesDropped++;
                return;
            }
            if (f.sequence !== this._inSeq + 1) {
                link.abort(new ProtocolError(`MESSAGE ${f.sequence} after ${this._inSeq}: frames are missing`));
                return;
            }
        }
        this._inSeq++;
        if (f.type === 'MESSAGE') {
            this._stats.inMsgs++;
            this._stats.inBytes += f.payload.length;
            const s = this._subs.get(f.subscriptionId);
            if (s) {
                s._onMessage(f);
            }
        } else if (f.type === 'NO_RESPONDERS') {
            const p = this._takeRequest(f.replySubject);
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
                    // A reliable subscription that took nothing for the server's maxStall: ended by the server.
                    s._end();
                    s.error = new ServerError(429, false, `subscription ${s.id} '${s.pattern}' was ended by the server: its handler took nothing for the server's maxStall`);
                }
                this._emit('slowConsumer', { subscription: s, dropped: f.dropped, ended: f.ended });
            }
        }
    }

    /** @internal After each batch read: acknowledge what arrived. @param {Link} link */
    _readComplete(link) {
        if (this._link === link && link.isWelcomed) {
            for (const s of this._subs.values()) {
                s._reportCredit();
            }
        }
        if (this._link === link && link.isWelcomed && this._inSeq > this._inAcked) {
            this._inAcked = this._inSeq;
            link.send({ type: 'ACK', sequence: this._inSeq });
        }
    }

    /** @internal @param {EncodedCredentials} c the credentials to present */
    _helloFrame(c) {
        /** @type {HelloFrame} */
        const hello = { type: 'HELLO', minVersion: PROTOCOL_VERSION, maxVersion: PROTOCOL_VERSION, clientName: this._name,
            authScheme: c.scheme, credentials: c.bytes, resumeToken: new Uint8Array(0), resumeLastReceived: 0 };
        if (this._sessionId !== null && this._resumeToken.length > 0) {
            hello.resumeToken = this._resumeToken;
            hello.resumeLastReceived = this._inSeq;
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
                        for (const [id, p] of [...this._requests]) {
                            this._requests.delete(id);
                            this._timers.clearTimeout(p.timer);
                            p.reject(e);
                        }
                    }
                }
            }
        }
        const subject = quoted(e.serverMessage, "publish to '");
        if (subject !== null) {
            for (const [id, p] of this._requests) {
                if (p.subject === subject) {
                    this._requests.delete(id);
                    this._timers.clearTimeout(p.timer);
                    p.reject(e);
                    break;
                }
            }
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
        for (const [id, p] of [...this._requests]) {
            this._requests.delete(id);
            this._timers.clearTimeout(p.timer);
            p.reject(failure);
        }
        for (const f of this._flushes) {
            this._timers.clearTimeout(f.timer);
            f.reject(failure);
        }
        this._flushes = [];
        /** @type {Unconfirmed[]} */
        const unconfirmed = [];
        for (const o of [...this._unacked, ...this._pending]) {
            if (o.frame.type === 'PUBLISH' && !o.frame.request) {
                const f = o.frame;
                unconfirmed.push({ subject: f.subject, replyTo: f.replyTo || undefined, headers: f.headers, data: f.payload });
            }
        }
        this._unacked = [];
        this._pending = [];
        this._bufferedBytes = 0;
        for (const s of this._subs.values()) {
            s.active = false;
        }
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
 * Credentials as they go on the wire.
 * @typedef {{ scheme: string, bytes: Uint8Array }} EncodedCredentials
 */

/** @type {Credentials} */
const NO_CREDENTIALS = Object.freeze({ scheme: '', credentials: '' });

/**
 * The supplier the options describe: `token`, `jwt` or `credentials`, at most one; none: anonymous.
 * @param {ConnectOptions} options @returns {CredentialsSupplier}
 */
function credentialsSupplier(options) {
    const given = /** @type {const} */ (['token', 'jwt', 'credentials']).filter((k) => options[k] !== undefined);
    if (given.length > 1) {
        throw new InvalidArgumentError(`options ${given.join(' and ')} exclude each other: give one way to authenticate`);
    }
    if (options.token !== undefined) {
        /** @type {Credentials} */
        const c = { scheme: options.authScheme || 'token', credentials: options.token };
        encodeCredentials(c, 'options.token');
        return () => c;
    }
    if (options.jwt !== undefined) {
        /** @type {Credentials} */
        const c = { scheme: 'jwt', credentials: options.jwt };
        encodeCredentials(c, 'options.jwt');
        return () => c;
    }
    const c = options.credentials;
    if (c === undefined) {
        return () => NO_CREDENTIALS;
    }
    if (typeof c === 'function') {
        return c;
    }
    encodeCredentials(c, 'options.credentials');
    return () => c;
}

/**
 * Checks credentials and encodes them for HELLO or AUTH.
 * @param {unknown} c @param {string} [what] where they come from, for the error message
 * @returns {EncodedCredentials}
 */
function encodeCredentials(c, what = 'the credentials supplier') {
    if (c === null || typeof c !== 'object') {
        throw new InvalidArgumentError(`${what} must give { scheme, credentials }, not ${c === null ? 'null' : typeof c}`);
    }
    const { scheme, credentials } = /** @type {{ scheme?: unknown, credentials?: unknown }} */ (c);
    if (typeof scheme !== 'string') {
        throw new InvalidArgumentError(`${what}: the scheme must be a string ('token', 'jwt', ...), not ${typeof scheme}`);
    }
    const bytes = typeof credentials === 'string' ? utf8Encoder.encode(credentials)
        : credentials instanceof Uint8Array ? credentials : null;
    if (bytes === null) {
        throw new InvalidArgumentError(`${what}: the credentials must be a string or a Uint8Array, not ${typeof credentials}`);
    }
    if (bytes.length > 0xffff || utf8Length(scheme) > 0xffff) {
        throw new InvalidArgumentError(`${what}: a scheme or credentials of more than 65535 bytes do not fit HELLO or AUTH`);
    }
    return { scheme, bytes };
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

/** The longest delay a timer takes (browsers and Node fire a longer one at once). */
const MAX_TIMER_MS = 0x7fffffff;

/** @param {number} code */
function retryable(code) {
    return code === 429 || code === 500 || code === 503 || code === 433 || code === 434 || code === 419;
}

/**
 * @param {number | undefined} v @param {number} dflt @param {string} name @param {boolean} [zeroOk]
 */
function positive(v, dflt, name, zeroOk = false) {
    if (v === undefined) {
        return dflt;
    }
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (!zeroOk && v === 0)) {
        throw new InvalidArgumentError(`${name} must be a number ${zeroOk ? '>= 0' : '> 0'}: ${v}`);
    }
    return v;
}

/** The encoded size of a frame, for the buffer bound. @param {Frame} f */
function frameSize(f) {
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
        return 6 + 8 + utf8Length(f.pattern) + utf8Length(f.queueGroup);
    }
    return 14;
}

/**
 * One WebSocket connection and what arrives on it.
 */
class Link {
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
        this.ws.onopen = () => {
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
                this.failure = new ConduitError(`WebSocket error on ${url}${ev && ev.message ? `: ${ev.message}` : ''}`);
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

// Conduit client for browsers and Node, built by esbuild from clients/js/src of the Conduit repository:
// edit the sources, then run `npm run build`. Licensed under the Apache License 2.0.

// src/errors.js
var ConduitError = class extends Error {
  /**
   * @param {string} message
   * @param {number} [code] a protocol error code (section 11), when there is one
   */
  constructor(message, code) {
    super(message);
    this.name = "ConduitError";
    this.code = code;
  }
};
var ProtocolError = class extends ConduitError {
  /** @param {string} message @param {number} [code] */
  constructor(message, code = 400) {
    super(message, code);
    this.name = "ProtocolError";
  }
};
var ServerError = class extends ConduitError {
  /** @param {number} code @param {boolean} fatal @param {string} message */
  constructor(code, fatal, message) {
    super(`server error ${code}${fatal ? " (fatal)" : ""}: ${message}`, code);
    this.name = "ServerError";
    this.fatal = fatal;
    this.serverMessage = message;
  }
};
var TimeoutError = class extends ConduitError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "TimeoutError";
  }
};
var NoRespondersError = class extends ConduitError {
  /** @param {string} subject */
  constructor(subject) {
    super(`no responders for '${subject}'`, 503);
    this.name = "NoRespondersError";
    this.subject = subject;
  }
};
var SessionLostError = class extends ConduitError {
  /** @param {string} message */
  constructor(message) {
    super(message, 410);
    this.name = "SessionLostError";
  }
};
var BufferFullError = class extends ConduitError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "BufferFullError";
  }
};
var ClosedError = class extends ConduitError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "ClosedError";
  }
};
var InvalidArgumentError = class extends ConduitError {
  /** @param {string} message @param {number} [code] */
  constructor(message, code) {
    super(message, code);
    this.name = "InvalidArgumentError";
  }
};
var AbortError = class extends ConduitError {
  /** @param {string} message @param {unknown} [reason] the signal's reason */
  constructor(message, reason) {
    super(message);
    this.name = "AbortError";
    this.cause = reason;
  }
};
var OriginNotAllowedError = class extends ConduitError {
  /** @param {string} message */
  constructor(message) {
    super(message, 403);
    this.name = "OriginNotAllowedError";
  }
};

// src/codec.js
var utf8Encoder = new TextEncoder();
var utf8Decoder = new TextDecoder("utf-8", { fatal: true });
var PROTOCOL_VERSION = 1;
var FrameType = Object.freeze({
  HELLO: 1,
  WELCOME: 2,
  PUBLISH: 3,
  MESSAGE: 4,
  SUBSCRIBE: 5,
  UNSUBSCRIBE: 6,
  NO_RESPONDERS: 7,
  PING: 8,
  PONG: 9,
  ERROR: 10,
  GOAWAY: 11,
  ACK: 12,
  GAP: 13,
  AUTH: 14,
  AUTH_OK: 15,
  CREDIT: 16
});
var TYPE_NAMES = {};
for (const [name, code] of Object.entries(FrameType)) {
  TYPE_NAMES[code] = name;
}
var DEFINED_FLAGS = {
  1: 0,
  2: 7,
  3: 1,
  4: 0,
  5: 3,
  6: 0,
  7: 0,
  8: 0,
  9: 0,
  10: 1,
  11: 1,
  12: 0,
  13: 1,
  14: 0,
  15: 0,
  16: 0
};
var FLAG_RESUMED = 1;
var FLAG_EXPIRES = 2;
var FLAG_WELCOME_ALTERNATES = 4;
var MAX_ALTERNATES = 64;
var DEFAULT_LIMITS = Object.freeze({ maxPayload: 1048576, maxHeader: 65536, maxSubject: 512 });
function maxFrameSize(limits) {
  return Math.max(65536, limits.maxPayload + limits.maxHeader + 2 * limits.maxSubject + 64);
}
var Writer = class {
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
  u8(v) {
    this.ensure(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }
  /** @param {number} v */
  u16(v) {
    this.ensure(2);
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }
  /** @param {number} v */
  u32(v) {
    this.ensure(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }
  /** @param {number | bigint} v */
  u64(v) {
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt(v));
    this.pos += 8;
  }
  /** @param {Uint8Array} b */
  raw(b) {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** @param {Uint8Array} b */
  bytes16(b) {
    if (b.length > 65535) {
      throw new InvalidArgumentError(`a 16-bit length field cannot hold ${b.length} bytes`);
    }
    this.u16(b.length);
    this.raw(b);
  }
  /** @param {string} s */
  str16(s) {
    this.bytes16(utf8Encoder.encode(s));
  }
  /** @param {MessageBody} m */
  body(m) {
    this.str16(m.subject);
    this.str16(m.replyTo || "");
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
};
function encodeFrame(f) {
  const w = new Writer(f.type === "PUBLISH" || f.type === "MESSAGE" ? 64 + f.payload.length : 64);
  w.u32(0);
  const code = FrameType[f.type];
  if (code === void 0) {
    throw new InvalidArgumentError(`unknown frame type ${f.type}`);
  }
  w.u8(code);
  let flags = 0;
  switch (f.type) {
    case "WELCOME":
      flags = (f.resumed ? FLAG_RESUMED : 0) | (f.credentialsValidMs > 0 ? FLAG_EXPIRES : 0) | (f.alternates && f.alternates.length > 0 ? FLAG_WELCOME_ALTERNATES : 0);
      break;
    case "PUBLISH":
      flags = f.request ? 1 : 0;
      break;
    case "SUBSCRIBE":
      flags = (f.disconnectWhenSlow ? 1 : 0) | (f.creditMessages > 0 ? 2 : 0);
      break;
    case "GAP":
      flags = f.ended ? 1 : 0;
      break;
    case "ERROR":
      flags = f.fatal ? 1 : 0;
      break;
    case "GOAWAY":
      flags = f.alternates && f.alternates.length > 0 ? 1 : 0;
      break;
    default:
      break;
  }
  w.u8(flags);
  switch (f.type) {
    case "HELLO":
      w.u16(f.minVersion);
      w.u16(f.maxVersion);
      w.str16(f.clientName);
      w.str16(f.authScheme);
      w.bytes16(f.credentials);
      w.bytes16(f.resumeToken);
      w.u64(f.resumeLastReceived);
      break;
    case "WELCOME":
      w.u16(f.version);
      w.str16(f.serverId);
      w.str16(f.sessionId);
      w.u64(f.epoch);
      w.u64(f.lastReceived);
      w.u32(f.maxPayload);
      w.u32(f.maxHeader);
      w.u16(f.maxSubject);
      w.u32(f.heartbeatMs);
      w.u16(f.heartbeatMisses);
      w.bytes16(f.resumeToken || new Uint8Array(0));
      w.str16(f.inboxPrefix || "");
      if (f.credentialsValidMs > 0) {
        w.u64(f.credentialsValidMs);
      }
      writeAlternates(w, f.alternates);
      break;
    case "PUBLISH":
      w.u64(f.sequence);
      w.body(f);
      break;
    case "MESSAGE":
      w.u64(f.sequence);
      w.u32(f.subscriptionId);
      w.body(f);
      break;
    case "SUBSCRIBE":
      w.u32(f.subscriptionId);
      w.str16(f.pattern);
      w.str16(f.queueGroup || "");
      if (f.creditMessages > 0) {
        w.u32(f.creditMessages);
        w.u32(f.creditBytes);
      }
      break;
    case "CREDIT":
      w.u32(f.subscriptionId);
      w.u64(f.consumedMessages);
      w.u64(f.consumedBytes);
      break;
    case "UNSUBSCRIBE":
      w.u32(f.subscriptionId);
      w.u32(f.afterMessages);
      break;
    case "NO_RESPONDERS":
      w.str16(f.replySubject);
      break;
    case "PING":
    case "PONG":
      w.u64(f.token);
      break;
    case "ERROR":
      w.u16(f.code);
      w.str16(f.message);
      break;
    case "GOAWAY":
      w.u16(f.code);
      w.u32(f.drainMillis);
      w.str16(f.reason);
      writeAlternates(w, f.alternates);
      break;
    case "ACK":
      w.u64(f.sequence);
      break;
    case "GAP":
      w.u32(f.subscriptionId);
      w.u64(f.dropped);
      break;
    case "AUTH":
      w.str16(f.authScheme);
      w.bytes16(f.credentials);
      break;
    case "AUTH_OK":
      w.u64(f.credentialsValidMs);
      break;
  }
  w.view.setUint32(0, w.pos - 4);
  return w.buf.slice(0, w.pos);
}
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
function readAlternates(r, frame) {
  const n = r.u16("alternates count");
  if (n === 0 || n > MAX_ALTERNATES) {
    throw new ProtocolError(`${frame} names ${n} alternates; with ALTERNATES it names 1 to ${MAX_ALTERNATES}`);
  }
  r.need(2 * n, "alternates");
  const list = [];
  for (let i = 0; i < n; i++) {
    list.push(r.str16("alternate endpoint"));
  }
  return list;
}
var Reader = class {
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
  u8(what) {
    this.need(1, what);
    return this.view.getUint8(this.pos++);
  }
  /** @param {string} what */
  u16(what) {
    this.need(2, what);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  /** @param {string} what */
  u32(what) {
    this.need(4, what);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  /** @param {string} what */
  u64(what) {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }
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
    if (limit !== void 0 && n > limit) {
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
    const subject = this.str16("subject", this.limits.maxSubject, 422);
    const replyTo = this.str16("reply to", this.limits.maxSubject, 422);
    const headerBytes = this.u32("header block length");
    if (headerBytes > this.limits.maxHeader) {
      throw new ProtocolError(`header block of ${headerBytes} bytes exceeds the maximum of ${this.limits.maxHeader}`, 431);
    }
    this.need(headerBytes, "header block");
    const headers = [];
    if (headerBytes > 0) {
      const blockEnd = this.pos + headerBytes;
      const outerEnd = this.end;
      this.end = blockEnd;
      const count = this.u16("header count");
      if (count === 0) {
        throw new ProtocolError("a non-empty header block with count 0");
      }
      for (let i = 0; i < count; i++) {
        headers.push([this.str16("header name"), this.str16("header value")]);
      }
      if (this.pos !== blockEnd) {
        throw new ProtocolError("bytes left over in the header block");
      }
      this.end = outerEnd;
    }
    const payloadBytes = this.u32("payload length");
    if (payloadBytes > this.limits.maxPayload) {
      throw new ProtocolError(`payload of ${payloadBytes} bytes exceeds the maximum of ${this.limits.maxPayload}`, 414);
    }
    this.need(payloadBytes, "payload");
    const payload = this.buf.slice(this.pos, this.pos + payloadBytes);
    this.pos += payloadBytes;
    return { subject, replyTo, headers, payload };
  }
};
function decodeFrame(bytes, limits = DEFAULT_LIMITS) {
  if (bytes.length < 6) {
    throw new ProtocolError("a frame is at least 6 bytes");
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (length + 4 !== bytes.length) {
    throw new ProtocolError(`the length field says ${length} bytes follow but ${bytes.length - 4} do`);
  }
  return decodeAt(bytes, 0, length, limits);
}
function decodeAt(buf, start, length, limits) {
  if (length < 2) {
    throw new ProtocolError(`frame length ${length} is below 2`);
  }
  const r = new Reader(buf, start + 4, start + 4 + length, limits);
  const code = r.u8("type");
  const name = TYPE_NAMES[code];
  if (name === void 0) {
    throw new ProtocolError(`unknown frame type 0x${code.toString(16)}`);
  }
  const flags = r.u8("flags");
  const defined = (
    /** @type {Record<number, number>} */
    DEFINED_FLAGS[code]
  );
  if ((flags & ~defined) !== 0) {
    throw new ProtocolError(`undefined flag bits 0x${flags.toString(16)} on ${name}`);
  }
  let f;
  switch (code) {
    case 1:
      f = {
        type: "HELLO",
        minVersion: r.u16("min version"),
        maxVersion: r.u16("max version"),
        clientName: r.str16("client name"),
        authScheme: r.str16("auth scheme"),
        credentials: r.bytes16("credentials").slice(),
        resumeToken: r.bytes16("resume token").slice(),
        resumeLastReceived: r.count("resume last received")
      };
      break;
    case 2: {
      const version = r.u16("version");
      const serverId = r.str16("server id");
      const sessionId = r.str16("session id");
      const epoch = r.u64("epoch");
      const lastReceived = r.count("last received");
      const maxPayload = r.u32("max payload");
      const maxHeader = r.u32("max header");
      const maxSubject = r.u16("max subject");
      const heartbeatMs = r.u32("heartbeat ms");
      const heartbeatMisses = r.u16("heartbeat misses");
      const resumeToken = r.bytes16("resume token").slice();
      const inboxPrefix = r.str16("inbox prefix");
      if (maxPayload > 64 * 1024 * 1024 || maxHeader > 1024 * 1024 || maxSubject === 0 || heartbeatMs > 2147483647) {
        throw new ProtocolError("WELCOME announces impossible limits");
      }
      let credentialsValidMs = 0;
      if ((flags & FLAG_EXPIRES) !== 0) {
        credentialsValidMs = r.millis("credentials valid ms");
        if (credentialsValidMs === 0) {
          throw new ProtocolError("WELCOME with EXPIRES must announce a positive credentials valid ms");
        }
      }
      const alternates = (flags & FLAG_WELCOME_ALTERNATES) !== 0 ? readAlternates(r, "WELCOME") : [];
      f = {
        type: "WELCOME",
        resumed: (flags & FLAG_RESUMED) !== 0,
        version,
        serverId,
        sessionId,
        epoch,
        lastReceived,
        maxPayload,
        maxHeader,
        maxSubject,
        heartbeatMs,
        heartbeatMisses,
        resumeToken,
        inboxPrefix,
        credentialsValidMs,
        alternates
      };
      break;
    }
    case 3: {
      const sequence = r.count("sequence");
      f = { type: "PUBLISH", request: (flags & 1) !== 0, sequence, ...r.body() };
      break;
    }
    case 4: {
      const sequence = r.count("sequence");
      const subscriptionId = r.u32("subscription id");
      f = { type: "MESSAGE", sequence, subscriptionId, ...r.body() };
      break;
    }
    case 5: {
      if (flags === 3) {
        throw new ProtocolError("SUBSCRIBE cannot be both DISCONNECT_WHEN_SLOW and CREDIT");
      }
      f = {
        type: "SUBSCRIBE",
        subscriptionId: r.u32("subscription id"),
        pattern: r.str16("pattern", limits.maxSubject, 422),
        queueGroup: r.str16("queue group", limits.maxSubject, 422),
        disconnectWhenSlow: (flags & 1) !== 0,
        creditMessages: 0,
        creditBytes: 0
      };
      if ((flags & 2) !== 0) {
        f.creditMessages = r.u32("credit messages");
        f.creditBytes = r.u32("credit bytes");
        if (f.creditMessages === 0 || f.creditBytes === 0) {
          throw new ProtocolError("SUBSCRIBE with CREDIT needs credit > 0");
        }
      }
      break;
    }
    case 6:
      f = { type: "UNSUBSCRIBE", subscriptionId: r.u32("subscription id"), afterMessages: r.u32("after messages") };
      break;
    case 7:
      f = { type: "NO_RESPONDERS", replySubject: r.str16("reply subject", limits.maxSubject, 422) };
      break;
    case 8:
      f = { type: "PING", token: r.u64("token") };
      break;
    case 9:
      f = { type: "PONG", token: r.u64("token") };
      break;
    case 10:
      f = { type: "ERROR", code: r.u16("code"), fatal: (flags & 1) !== 0, message: r.str16("message") };
      break;
    case 11: {
      const goCode = r.u16("code");
      const drainMillis = r.u32("drain millis");
      if (drainMillis > 2147483647) {
        throw new ProtocolError("GOAWAY drain millis has bit 31 set");
      }
      const reason = r.str16("reason");
      const alternates = (flags & 1) !== 0 ? readAlternates(r, "GOAWAY") : [];
      f = { type: "GOAWAY", code: goCode, drainMillis, reason, alternates };
      break;
    }
    case 12:
      f = { type: "ACK", sequence: r.count("sequence") };
      break;
    case 13:
      f = { type: "GAP", subscriptionId: r.u32("subscription id"), dropped: r.count("dropped"), ended: (flags & 1) !== 0 };
      if (!f.ended && f.dropped < 1) {
        throw new ProtocolError("GAP must report at least one dropped message");
      }
      break;
    case 16:
      f = {
        type: "CREDIT",
        subscriptionId: r.u32("subscription id"),
        consumedMessages: r.count("consumed messages"),
        consumedBytes: r.count("consumed bytes")
      };
      break;
    case 14:
      f = { type: "AUTH", authScheme: r.str16("auth scheme"), credentials: r.bytes16("credentials").slice() };
      break;
    default:
      f = { type: "AUTH_OK", credentialsValidMs: r.millis("credentials valid ms") };
      break;
  }
  if (r.pos !== r.end) {
    throw new ProtocolError(`${r.end - r.pos} bytes left over after ${name}`);
  }
  return f;
}
var FrameReader = class {
  /** @param {Limits} [limits] */
  constructor(limits = DEFAULT_LIMITS) {
    this.limits = limits;
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
};
function toBytes(data) {
  if (data === void 0) {
    return new Uint8Array(0);
  }
  if (typeof data === "string") {
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

// src/subjects.js
function isForbiddenSubjectChar(c) {
  return c <= 32 || c === 127 || c === 5760 || c >= 8192 && c <= 8198 || c >= 8200 && c <= 8202 || c === 8232 || c === 8233 || c === 8287 || c === 12288;
}
function subjectProblem(s, wildcards, maxBytes) {
  if (typeof s !== "string" || s.length === 0) {
    return "is empty";
  }
  if (utf8Length(s) > maxBytes) {
    return `is longer than ${maxBytes} bytes`;
  }
  const tokens = s.split(".");
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.length === 0) {
      return "has an empty token";
    }
    for (const ch of t) {
      const c = (
        /** @type {number} */
        ch.codePointAt(0)
      );
      if (c >= 55296 && c <= 57343) {
        return "holds a lone surrogate";
      }
      if (isForbiddenSubjectChar(c)) {
        return "holds whitespace or a control character";
      }
    }
    if (t === "*" || t === ">") {
      if (!wildcards) {
        return `holds the wildcard '${t}'`;
      }
      if (t === ">" && i !== tokens.length - 1) {
        return "has '>' before its last token";
      }
    } else if (t.includes("*") || t.includes(">")) {
      return "has '*' or '>' inside a token";
    }
  }
  return null;
}
function queueGroupProblem(q, maxBytes) {
  if (typeof q !== "string" || q.length === 0) {
    return "is empty";
  }
  if (utf8Length(q) > maxBytes) {
    return `is longer than ${maxBytes} bytes`;
  }
  for (const ch of q) {
    const c = (
      /** @type {number} */
      ch.codePointAt(0)
    );
    if (c <= 32 || c === 127 || c === 46 || c === 42 || c === 62 || c >= 55296 && c <= 57343) {
      return "holds a control character, a space, '.', '*' or '>'";
    }
  }
  return null;
}
function subjectMatches(pattern, subject) {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") {
      return s.length > i;
    }
    if (i >= s.length || p[i] !== "*" && p[i] !== s[i]) {
      return false;
    }
  }
  return p.length === s.length;
}
function utf8Length(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) {
      n += 1;
    } else if (c < 2048) {
      n += 2;
    } else if (c >= 55296 && c <= 56319 && i + 1 < s.length && (s.charCodeAt(i + 1) & 64512) === 56320) {
      n += 4;
      i++;
    } else {
      n += 3;
    }
  }
  return n;
}
function toHeaderList(h) {
  if (h == null) {
    return [];
  }
  const list = [];
  const entries = Array.isArray(h) ? h : h instanceof Map ? [...h.entries()] : Object.entries(h);
  for (const e of entries) {
    if (!Array.isArray(e) || e.length !== 2) {
      throw new InvalidArgumentError("a header must be a [name, value] pair");
    }
    const [name, value] = e;
    if (typeof name !== "string" || name.length < 1 || name.length > 255 || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
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

// src/tracing.js
function openTelemetryTracing(api, options = {}) {
  const tracer = api.trace.getTracer(options.tracerName || "conduit-client-js");
  const fail = (span, error) => {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: api.SpanStatusCode.ERROR });
  };
  return {
    inject(carrier, { subject, operation }) {
      const reply = operation === "reply";
      const attributes = {
        "messaging.system": "conduit",
        "messaging.destination.name": subject,
        "messaging.operation.name": operation === "request" ? "request" : "publish",
        "messaging.operation.type": "send"
      };
      if (reply) {
        attributes["messaging.destination.temporary"] = true;
      }
      const span = tracer.startSpan(
        reply ? "(temporary) publish" : `${subject} publish`,
        { kind: operation === "request" ? api.SpanKind.CLIENT : api.SpanKind.PRODUCER, attributes }
      );
      api.propagation.inject(api.trace.setSpan(api.context.active(), span), carrier);
      return (error) => {
        if (error !== void 0) {
          fail(span, error);
        }
        span.end();
      };
    },
    extract(carrier, { subject, pattern }, handle) {
      const parent = api.propagation.extract(api.context.active(), carrier);
      const span = tracer.startSpan(`${subject} process`, { kind: api.SpanKind.CONSUMER, attributes: {
        "messaging.system": "conduit",
        "messaging.destination.name": subject,
        "messaging.destination.subscription.name": pattern,
        "messaging.operation.name": "process",
        "messaging.operation.type": "process"
      } }, parent);
      return api.context.with(api.trace.setSpan(parent, span), () => {
        let result;
        try {
          result = handle();
        } catch (e) {
          fail(span, e);
          span.end();
          throw e;
        }
        if (result !== null && typeof result === "object" && typeof /** @type {any} */
        result.then === "function") {
          result.then(() => span.end(), (e) => {
            fail(span, e);
            span.end();
          });
        } else {
          span.end();
        }
        return result;
      });
    }
  };
}
function traceSend(tracing, list, info) {
  const carrier = {};
  const end = tracing.inject(carrier, info);
  const done = typeof end === "function" ? end : () => {
  };
  if (list.some(([k]) => k.toLowerCase() === "traceparent")) {
    return { headers: list, end: done };
  }
  const added = Object.entries(carrier).filter(([k]) => !list.some(([n]) => n.toLowerCase() === k.toLowerCase()));
  return { headers: added.length === 0 ? list : [...list, ...added], end: done };
}
function carrierOf(list) {
  const carrier = {};
  for (const [k, v] of list) {
    const n = k.toLowerCase();
    if (!(n in carrier)) {
      carrier[n] = v;
    }
  }
  return carrier;
}

// src/subscription.js
var Msg = class {
  /**
   * @param {Client} client @param {MessageBody} body @param {Subscription | null} subscription
   */
  constructor(client, body, subscription) {
    this._client = client;
    this.subject = body.subject;
    this.replyTo = body.replyTo === "" ? void 0 : body.replyTo;
    this.headers = body.headers;
    this.data = body.payload;
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
    return h ? h[1] : void 0;
  }
  /**
   * Publishes a reply to `replyTo`.
   * @param {Data} data @param {{ headers?: HeadersInit }} [options]
   */
  respond(data, options = {}) {
    if (!this.replyTo) {
      throw new InvalidArgumentError(`the message on '${this.subject}' has no reply subject`);
    }
    this._client._send(this.replyTo, data, options.headers, void 0, "reply");
  }
};
var Subscription = class {
  /**
   * @param {Client} client @param {number} id @param {string} pattern @param {string | undefined} queue
   * @param {((msg: Msg) => void) | null} handler null: iterate @param {boolean} disconnectWhenSlow
   * @param {number} [bufferSize] without a handler, the messages that may wait for the loop
   * @param {{ messages: number, bytes: number } | null} [credit] the window of a reliable subscription; null: lossy
   */
  constructor(client, id, pattern, queue, handler, disconnectWhenSlow, bufferSize = 1024, credit = null) {
    this._client = client;
    this.id = id;
    this.pattern = pattern;
    this.queue = queue;
    this._handler = handler;
    this.disconnectWhenSlow = disconnectWhenSlow;
    this.received = 0;
    this.delivered = 0;
    this.dropped = 0;
    this.limit = Infinity;
    this.active = true;
    this.error = null;
    this.bufferSize = bufferSize;
    this._queue = [];
    this._waiters = [];
    this._errorThrown = false;
    this.reliable = credit !== null && !disconnectWhenSlow;
    this._fullWindow = credit === null ? { messages: 0, bytes: 0 } : { messages: handler === null ? Math.min(credit.messages, bufferSize) : credit.messages, bytes: credit.bytes };
    this._window = { ...this._fullWindow };
    this._consumed = 0;
    this._consumedBytes = 0;
    this._reported = 0;
    this._reportedBytes = 0;
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
        return { value: void 0, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      }
    };
  }
  /** @private @returns {Promise<IteratorResult<Msg, undefined>>} */
  _next() {
    const entry = this._queue.shift();
    if (entry) {
      this.delivered++;
      this._queuedBytes -= entry.msg.data.length;
      if (this._queue.length >= this.bufferSize) {
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
      return e ? Promise.reject(e) : Promise.resolve({ value: void 0, done: true });
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
        w.resolve({ value: void 0, done: true });
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
          this._taken(body.payload.length, false);
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
      this._client._emit("error", new ConduitError(`handler of subscription ${this.id} '${this.pattern}' failed: ${e instanceof Error ? e.message : String(e)}`));
    }
    if (this.reliable) {
      this._taken(body.payload.length, false);
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
    if (idle || this._consumed - this._reported >= Math.max(1, this._window.messages / 2) || this._consumedBytes - this._reportedBytes >= this._window.bytes / 2) {
      this._reportCredit();
    }
  }
  /** @internal Sends CREDIT if anything taken is unreported (and a connection is ready). */
  _reportCredit() {
    if (this.reliable && this.active && (this._consumed > this._reported || this._consumedBytes > this._reportedBytes) && this._client._sendCredit(this._creditFrame())) {
      this._reported = this._consumed;
      this._reportedBytes = this._consumedBytes;
    }
  }
  /** @internal @returns {CreditFrame} the consumed totals of this session */
  _creditFrame() {
    return { type: "CREDIT", subscriptionId: this.id, consumedMessages: this._consumed, consumedBytes: this._consumedBytes };
  }
  /** @internal */
  _subscribeFrame() {
    return (
      /** @type {SubscribeFrame} */
      {
        type: "SUBSCRIBE",
        subscriptionId: this.id,
        pattern: this.pattern,
        queueGroup: this.queue || "",
        disconnectWhenSlow: this.disconnectWhenSlow,
        creditMessages: this.reliable ? this._window.messages : 0,
        creditBytes: this.reliable ? this._window.bytes : 0
      }
    );
  }
  /** @internal The frames that make it again in a new session, whose server counts from 0. @returns {Frame[]} */
  _resubscribeFrames() {
    const got = this.received;
    this.received = 0;
    if (this.reliable) {
      this._window = {
        messages: Math.max(1, this._fullWindow.messages - this._queue.length),
        bytes: Math.max(1, this._fullWindow.bytes - this._queuedBytes)
      };
      this._consumed = 0;
      this._consumedBytes = 0;
      this._reported = 0;
      this._reportedBytes = 0;
    }
    if (this.limit === Infinity) {
      return [this._subscribeFrame()];
    }
    this.limit -= got;
    return [this._subscribeFrame(), { type: "UNSUBSCRIBE", subscriptionId: this.id, afterMessages: this.limit }];
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
      this._client._enqueue({ type: "UNSUBSCRIBE", subscriptionId: this.id, afterMessages: 0 }, false);
    }
  }
  /**
   * Ends the subscription after `n` more messages (counted the same way by the server).
   * @param {number} n
   */
  unsubscribeAfter(n) {
    if (!Number.isInteger(n) || n < 1 || n > 4294967295) {
      throw new InvalidArgumentError(`messages must be between 1 and 4294967295: ${n}`);
    }
    if (!this.active) {
      return;
    }
    const total = this.received + n;
    if (total > 4294967295) {
      throw new InvalidArgumentError(`subscription has already received ${this.received} messages; ${n} more exceeds the protocol's 32-bit count`);
    }
    this.limit = total;
    this._client._enqueue({ type: "UNSUBSCRIBE", subscriptionId: this.id, afterMessages: total }, false);
  }
};

// src/options.js
var realTimers = {
  now: () => typeof performance !== "undefined" ? performance.now() : Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(
    /** @type {any} */
    h
  )
};
function backoffDelay(backoff, attempt, random) {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** Math.min(attempt, 40));
  return ceiling * (1 - backoff.jitter * random());
}
var MAX_TIMER_MS = 2147483647;
function retryable(code) {
  return code === 429 || code === 500 || code === 503 || code === 433 || code === 434 || code === 419;
}
function positive(v, dflt, name, zeroOk = false) {
  if (v === void 0) {
    return dflt;
  }
  if (typeof v !== "number" || Number.isNaN(v) || v < 0 || !zeroOk && v === 0) {
    throw new InvalidArgumentError(`${name} must be a number ${zeroOk ? ">= 0" : "> 0"}: ${v}`);
  }
  return v;
}

// src/sequenced.js
var FULL = 0;
function isCount(n) {
  return Number.isSafeInteger(n) && n >= 0;
}
var SequencedStream = class {
  /**
   * @param {number} maxHeldBytes the bound `offer` keeps to; Infinity for none
   * @param {(item: T) => number} sizeOf the bytes a held item counts for; the same every time
   */
  constructor(maxHeldBytes, sizeOf) {
    if (!(maxHeldBytes >= 0)) {
      throw new RangeError(`maxHeldBytes must be >= 0: ${maxHeldBytes}`);
    }
    this._max = maxHeldBytes;
    this._sizeOf = sizeOf;
    this._held = [];
    this._sent = 0;
    this._heldBytes = 0;
  }
  /** The number of the last frame sent; 0 before the first. */
  get sent() {
    return this._sent;
  }
  /** The highest number confirmed so far (by an ACK or a resume); everything after it is held. */
  get acknowledged() {
    return this._sent - this._held.length;
  }
  /** How many frames are held: sent and not yet confirmed. */
  get held() {
    return this._held.length;
  }
  /** The bytes of the frames held. */
  get heldBytes() {
    return this._heldBytes;
  }
  get maxHeldBytes() {
    return this._max;
  }
  /** The frames held, oldest first (a copy). @returns {T[]} */
  heldItems() {
    return this._held.slice();
  }
  /**
   * Whether a frame of `bytes` stays within the bound. Always, when nothing is held.
   * @param {number} bytes
   */
  fits(bytes) {
    return this._heldBytes === 0 || this._heldBytes + bytes <= this._max;
  }
  /**
   * Numbers and holds `item` if it fits. @param {T} item
   * @returns {number} its number, or FULL (nothing held, nothing numbered)
   */
  offer(item) {
    return this.fits(this._sizeOf(item)) ? this.send(item) : FULL;
  }
  /** Numbers and holds `item` whatever the bound says. @param {T} item @returns {number} its number */
  send(item) {
    this._held.push(item);
    this._heldBytes += this._sizeOf(item);
    return ++this._sent;
  }
  /**
   * A cumulative ACK: confirms and forgets every frame up to `n`, handing each to `confirmed` in
   * order. An invalid or stale ACK changes nothing.
   * @param {number} n @param {(item: T) => void} [confirmed] @returns {AckOutcome}
   */
  acknowledge(n, confirmed) {
    if (!isCount(n)) {
      return "INVALID";
    }
    if (n > this._sent) {
      return "BEYOND_SENT";
    }
    if (n <= this.acknowledged) {
      return "STALE";
    }
    this._confirm(n, confirmed);
    return "CONFIRMED";
  }
  /**
   * A resume: the peer has every frame up to `lastReceived`. If every frame after it is still held,
   * confirms what it has and hands the rest to `resend`, in order, keeping them held. Otherwise
   * changes nothing. What it confirms goes to `confirmed` first, as with `acknowledge`.
   * @param {number} lastReceived @param {(item: T) => void} resend @param {(item: T) => void} [confirmed]
   * @returns {ReplayOutcome}
   */
  replayAfter(lastReceived, resend, confirmed) {
    if (!isCount(lastReceived) || lastReceived > this._sent) {
      return "BEYOND_SENT";
    }
    if (lastReceived < this.acknowledged) {
      return "NO_LONGER_HELD";
    }
    this._confirm(lastReceived, confirmed);
    for (const item of this._held) {
      resend(item);
    }
    return "REPLAYED";
  }
  /**
   * The session is over: hands every held frame, oldest first, to `unconfirmed`, forgets them,
   * and starts numbering again from 1.
   * @param {(item: T) => void} [unconfirmed]
   */
  reset(unconfirmed) {
    if (unconfirmed) {
      for (const item of this._held) {
        unconfirmed(item);
      }
    }
    this._held = [];
    this._heldBytes = 0;
    this._sent = 0;
  }
  /** @private @param {number} n @param {(item: T) => void} [confirmed] */
  _confirm(n, confirmed) {
    const done = this._held.splice(0, n - this.acknowledged);
    for (const item of done) {
      this._heldBytes -= this._sizeOf(item);
      confirmed?.(item);
    }
  }
};
var SequenceReceiver = class {
  constructor() {
    this._last = 0;
    this._acked = 0;
  }
  /** The number of the last frame received in order; 0 before the first. */
  get lastReceived() {
    return this._last;
  }
  /**
   * Checks a frame's number and counts it if it is the next one due.
   * @param {number} stated the number the frame carries, or 0 if none @returns {ReceivedOutcome}
   */
  receive(stated) {
    if (stated === 0 || stated === this._last + 1) {
      this._last++;
      return "IN_ORDER";
    }
    return isCount(stated) && stated <= this._last ? "DUPLICATE" : "GAP";
  }
  /**
   * At the end of a read: the number to acknowledge if frames arrived since the last ACK (which is
   * then counted as sent), else 0 (send nothing). @returns {number}
   */
  ackDue() {
    if (this._last <= this._acked) {
      return 0;
    }
    this._acked = this._last;
    return this._last;
  }
  /** A new session: nothing received, nothing acknowledged. */
  reset() {
    this._last = 0;
    this._acked = 0;
  }
};

// src/session.js
function frameSize(f) {
  if (f.type === "PUBLISH") {
    let n = 6 + 8 + 4 + utf8Length(f.subject) + utf8Length(f.replyTo) + 4 + 4 + f.payload.length;
    if (f.headers.length > 0) {
      n += 2;
      for (const [k, v] of f.headers) {
        n += 4 + k.length + utf8Length(v);
      }
    }
    return n;
  }
  if (f.type === "SUBSCRIBE") {
    return 6 + 8 + utf8Length(f.pattern) + utf8Length(f.queueGroup) + (f.creditMessages > 0 ? 8 : 0);
  }
  return 14;
}
function isPublish(o) {
  return o.frame.type === "PUBLISH";
}
function unconfirmedOf(list) {
  const out = [];
  for (const o of list) {
    if (isPublish(o) && !o.frame.request) {
      const f = o.frame;
      out.push({ subject: f.subject, replyTo: f.replyTo || void 0, headers: f.headers, data: f.payload });
    }
  }
  return out;
}
var Session = class {
  /** @param {number} maxBufferedBytes the bound of unconfirmed and waiting publishes */
  constructor(maxBufferedBytes) {
    this.maxBufferedBytes = maxBufferedBytes;
    this.id = null;
    this.epoch = 0n;
    this._out = new SequencedStream(Infinity, (o) => o.bytes);
    this.pending = [];
    this._pendingBytes = 0;
    this._in = new SequenceReceiver();
    this.inAcked = 0;
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
    if (o.frame.type === "PUBLISH") {
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
    return outcome === "BEYOND_SENT" || outcome === "INVALID" ? `server acknowledged frame ${seq} but this client sent only up to ${this._out.sent}` : null;
  }
  /**
   * A RESUMED WELCOME: confirms what the server's `lastReceived` covers and hands every frame
   * after it, in order, to `resend` (they stay held). Returns why that is impossible, changing
   * nothing, or null.
   * @param {number} lastReceived @param {(f: Frame) => void} resend
   */
  resume(lastReceived, resend) {
    const outcome = this._out.replayAfter(lastReceived, (o) => resend(o.frame));
    return outcome === "REPLAYED" ? null : `server resumed at frame ${lastReceived} but this client holds ${this.confirmed + 1}..${this._out.sent}`;
  }
  /** Whether the WELCOME resumes this session. @param {{ resumed: boolean, sessionId: string, epoch: bigint }} w */
  resumes(w) {
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
      if (o.frame.type === "SUBSCRIBE" && o.frame.subscriptionId === id) {
        o.frame = { ...o.frame, pattern };
        const size = frameSize(o.frame);
        this._pendingBytes += size - o.bytes;
        o.bytes = size;
      }
    }
  }
  /** Whether a SUBSCRIBE for subscription `id` waits to be sent. @param {number} id */
  subscribeWaiting(id) {
    return this.pending.some((o) => o.frame.type === "SUBSCRIBE" && o.frame.subscriptionId === id);
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
    return outcome === "IN_ORDER" ? "next" : outcome === "DUPLICATE" ? "duplicate" : "missing";
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
};

// src/link.js
var Link = class {
  /** @param {Client} client @param {string} url */
  constructor(client, url) {
    this.client = client;
    this.url = url;
    this.reader = new FrameReader(DEFAULT_LIMITS);
    this.isWelcomed = false;
    this.closed = false;
    this.failure = null;
    this.out = [];
    this.flushQueued = false;
    const t = client._time;
    this.heartbeatTimer = null;
    this.lastReceived = t.now();
    this.heartbeatMs = 0;
    this.deadAfterMs = 0;
    this.renewTimer = null;
    this.expiresAt = Infinity;
    this.ws = new client._socketClass(url);
    this.ws.binaryType = "arraybuffer";
    this.opened = false;
    this.ws.onopen = () => {
      this.opened = true;
      if (this.closed) {
        return;
      }
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
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
    if (bytes === null) {
      this.abort(new ProtocolError("a text WebSocket message; Conduit frames travel in binary messages"));
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
        case "WELCOME":
          this.client._time.clearTimeout(this.welcomeTimer);
          c._welcomed(this, f);
          return;
        case "ERROR":
          if (f.code === 410 && !f.fatal) {
            c._refused(f.message);
          } else {
            this.failure = new ServerError(f.code, f.fatal, f.message);
            this.close();
          }
          return;
        case "GOAWAY":
          c._goAway(this, f.alternates);
          return;
        case "PING":
          this.send({ type: "PONG", token: f.token });
          return;
        default:
          this.abort(new ProtocolError(`a ${f.type} frame before WELCOME`));
          return;
      }
    }
    switch (f.type) {
      case "MESSAGE":
      case "NO_RESPONDERS":
      case "GAP":
        c._sequenced(this, f);
        return;
      case "ACK":
        c._acknowledged(this, f);
        return;
      case "PING":
        c._count("pingsReceived");
        this.send({ type: "PONG", token: f.token });
        return;
      case "PONG":
        c._count("pongsReceived");
        return;
      case "ERROR": {
        const e = new ServerError(f.code, f.fatal, f.message);
        if (f.fatal) {
          this.failure = e;
          this.close();
        } else if (f.code === 403) {
          c._denied(e);
        }
        c._emit("error", e);
        return;
      }
      case "AUTH_OK":
        this.scheduleRenewal(f.credentialsValidMs);
        c._renewed(this, f.credentialsValidMs);
        return;
      case "GOAWAY":
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
      this.sendNow({ type: "PING", token: 0n });
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
      this.ws.close(1e3);
    } catch {
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
      this.ws.close(1e3);
    } catch {
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
      this.failure = new ConduitError(`connection to ${this.url} closed${ev && ev.code ? ` (${ev.code}${ev.reason ? ` ${ev.reason}` : ""})` : ""}`);
    }
    this.finish();
  }
};
function socketError(url, ev, opened) {
  const detail = ev && ev.message ? String(ev.message) : "";
  if (!opened && /\b403\b/.test(detail)) {
    return new OriginNotAllowedError(`${url} refused the WebSocket upgrade (HTTP 403): origin not allowed; the server's allowedOrigins must list this page's origin`);
  }
  if (!opened && detail === "") {
    const page = (
      /** @type {any} */
      globalThis.location?.origin
    );
    const server = url.replace(/^ws/i, "http").replace(/^(https?:\/\/[^/?#]+).*$/i, "$1").toLowerCase();
    if (typeof page === "string" && page !== "null" && page.toLowerCase() !== server) {
      return new ConduitError(`WebSocket error on ${url} before it opened (browsers give no reason): the server may be unreachable, or may refuse this page's origin ${page} (origin not allowed: the server's allowedOrigins must list it)`);
    }
  }
  return new ConduitError(`WebSocket error on ${url}${detail ? `: ${detail}` : ""}`);
}

// src/requests.js
function abortError(signal, subject) {
  return new AbortError(`the request to '${subject}' was aborted`, signal.reason);
}
var Requests = class {
  /** @param {Timers} timers @param {string} prefix the inbox prefix, ending with '.' */
  constructor(timers, prefix) {
    this._timers = timers;
    this.prefix = prefix;
    this._pending = /* @__PURE__ */ new Map();
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
    const promise = new Promise((resolve, reject) => {
      const timer = this._timers.setTimeout(() => {
        if (this._remove(id)) {
          withdraw();
          reject(new TimeoutError(`no reply to the request to '${subject}' within ${timeoutMs} ms`));
        }
      }, timeoutMs);
      const p2 = { subject, frame, resolve, reject, timer, signal, onAbort: null, settled: Promise.resolve() };
      if (signal) {
        p2.onAbort = () => {
          if (this._remove(id)) {
            withdraw();
            reject(abortError(signal, subject));
          }
        };
        signal.addEventListener("abort", p2.onAbort, { once: true });
      }
      this._pending.set(id, p2);
    });
    const p = this._pending.get(id);
    if (p) {
      p.settled = promise.then(() => {
      }, () => {
      });
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
      p.signal.removeEventListener("abort", p.onAbort);
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
};

// src/credentials.js
var utf8Encoder2 = new TextEncoder();
var NO_CREDENTIALS = Object.freeze({ scheme: "", credentials: "" });
function credentialsSupplier(options) {
  const given = (
    /** @type {const} */
    ["token", "jwt", "credentials"].filter((k) => options[k] !== void 0)
  );
  if (given.length > 1) {
    throw new InvalidArgumentError(`options ${given.join(" and ")} exclude each other: give one way to authenticate`);
  }
  if (options.token !== void 0) {
    const c2 = { scheme: options.authScheme || "token", credentials: options.token };
    encodeCredentials(c2, "options.token");
    return () => c2;
  }
  if (options.jwt !== void 0) {
    const c2 = { scheme: "jwt", credentials: options.jwt };
    encodeCredentials(c2, "options.jwt");
    return () => c2;
  }
  const c = options.credentials;
  if (c === void 0) {
    return () => NO_CREDENTIALS;
  }
  if (typeof c === "function") {
    return c;
  }
  encodeCredentials(c, "options.credentials");
  return () => c;
}
function encodeCredentials(c, what = "the credentials supplier") {
  if (c === null || typeof c !== "object") {
    throw new InvalidArgumentError(`${what} must give { scheme, credentials }, not ${c === null ? "null" : typeof c}`);
  }
  const { scheme, credentials } = (
    /** @type {{ scheme?: unknown, credentials?: unknown }} */
    c
  );
  if (typeof scheme !== "string") {
    throw new InvalidArgumentError(`${what}: the scheme must be a string ('token', 'jwt', ...), not ${typeof scheme}`);
  }
  const bytes = typeof credentials === "string" ? utf8Encoder2.encode(credentials) : credentials instanceof Uint8Array ? credentials : null;
  if (bytes === null) {
    throw new InvalidArgumentError(`${what}: the credentials must be a string or a Uint8Array, not ${typeof credentials}`);
  }
  if (bytes.length > 65535 || utf8Length(scheme) > 65535) {
    throw new InvalidArgumentError(`${what}: a scheme or credentials of more than 65535 bytes do not fit HELLO or AUTH`);
  }
  return { scheme, bytes };
}

// src/client.js
async function connect(options) {
  const client = new Client(options);
  await client._start();
  return client;
}
function randomToken(n) {
  const bytes = new Uint8Array(n);
  globalThis.crypto.getRandomValues(bytes);
  let s = "";
  for (const b of bytes) {
    s += String.fromCharCode(b);
  }
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
var Client = class {
  /** @param {ConnectOptions} options */
  constructor(options) {
    if (!options || !options.url) {
      throw new InvalidArgumentError("options.url is required");
    }
    const WS = options.WebSocket || /** @type {any} */
    globalThis.WebSocket;
    if (typeof WS !== "function") {
      throw new InvalidArgumentError('no WebSocket class: pass options.WebSocket (in Node, the "ws" package)');
    }
    this._WS = /** @type {WebSocketConstructor} */
    WS;
    this._endpoints = Array.isArray(options.url) ? [...options.url] : [options.url];
    if (this._endpoints.length === 0) {
      throw new InvalidArgumentError("options.url names no endpoint");
    }
    for (const u of this._endpoints) {
      if (typeof u !== "string" || !/^wss?:\/\/[^/]/i.test(u)) {
        throw new InvalidArgumentError(`options.url: '${u}' is not a ws:// or wss:// URL (e.g. ws://127.0.0.1:7480/conduit)`);
      }
    }
    this._endpoints = this._endpoints.map(withDefaultPath);
    this._ownEndpoints = this._endpoints.length;
    this._endpointIndex = 0;
    this._name = options.name || "";
    this._supplier = credentialsSupplier(options);
    const r = options.reconnect || {};
    this._backoff = {
      initialDelayMs: positive(r.initialDelayMs, 100, "reconnect.initialDelayMs", true),
      maxDelayMs: positive(r.maxDelayMs, 5e3, "reconnect.maxDelayMs", true),
      jitter: positive(r.jitter, 0.2, "reconnect.jitter", true)
    };
    if (this._backoff.jitter > 1) {
      throw new InvalidArgumentError(`reconnect.jitter must be between 0 and 1: ${this._backoff.jitter}`);
    }
    this._maxAttempts = r.maxAttempts === void 0 ? Infinity : positive(r.maxAttempts, 0, "reconnect.maxAttempts", true);
    this._requestTimeoutMs = positive(options.requestTimeoutMs, 2e3, "requestTimeoutMs");
    this._connectTimeoutMs = positive(options.connectTimeoutMs, 1e4, "connectTimeoutMs");
    this._flushTimeoutMs = positive(options.flushTimeoutMs, 1e4, "flushTimeoutMs");
    this._closeTimeoutMs = positive(options.closeTimeoutMs, 5e3, "closeTimeoutMs", true);
    this._retryInitialConnect = !!options.retryInitialConnect;
    this._disconnectWhenSlow = !!options.disconnectWhenSlow;
    this._credit = {
      messages: positive(options.creditMessages, 65536, "creditMessages"),
      bytes: positive(options.creditBytes, 8 * 1024 * 1024, "creditBytes")
    };
    if (!Number.isInteger(this._credit.messages) || !Number.isInteger(this._credit.bytes) || this._credit.messages > 4294967295 || this._credit.bytes > 4294967295) {
      throw new InvalidArgumentError("creditMessages and creditBytes must be integers that fit in 32 bits");
    }
    this._timers = options.timers || realTimers;
    this._random = options.random || Math.random;
    this._networkEvents = options.networkEvents !== void 0 ? options.networkEvents : typeof /** @type {any} */
    globalThis.addEventListener === "function" ? (
      /** @type {EventTarget} */
      /** @type {unknown} */
      globalThis
    ) : null;
    if (options.tracing != null && typeof options.tracing.inject !== "function") {
      throw new InvalidArgumentError("tracing must have an inject function (see openTelemetryTracing)");
    }
    this._tracing = options.tracing || null;
    this._onOnline = () => this._networkBack();
    this._networkEvents?.addEventListener("online", this._onOnline);
    this.state = "connecting";
    this.info = null;
    this._listeners = /* @__PURE__ */ new Map();
    for (const [event, handler] of Object.entries(options.on || {})) {
      if (typeof handler === "function") {
        this.on(
          /** @type {EventName} */
          event,
          handler
        );
      }
    }
    this._subs = /* @__PURE__ */ new Map();
    this._nextSubId = 0;
    this._iterated = /* @__PURE__ */ new Set();
    this._link = null;
    this._ready = false;
    this._session = new Session(positive(options.maxBufferedBytes, 8 * 1024 * 1024, "maxBufferedBytes"));
    this._limits = DEFAULT_LIMITS;
    this._failures = 0;
    this._retryTimer = null;
    this._refusal = null;
    this._moveOn = false;
    this._flushes = [];
    this._inbox = null;
    this._lastSubject = null;
    this._lastSubjectMax = 0;
    this._requests = new Requests(this._timers, `_INBOX.${randomToken(12)}.`);
    this._firstOpen = null;
    this._lastFailure = null;
    this._stats = {
      inMsgs: 0,
      outMsgs: 0,
      inBytes: 0,
      outBytes: 0,
      reconnects: 0,
      resumes: 0,
      sessionsLost: 0,
      duplicatesDropped: 0,
      gaps: 0,
      droppedByServer: 0,
      pingsReceived: 0,
      pongsReceived: 0
    };
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
      set = /* @__PURE__ */ new Set();
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
      if (event === "error") {
        console.warn("conduit:", arg instanceof Error ? arg.message : arg);
      }
      return;
    }
    for (const h of [...set]) {
      try {
        h(arg);
      } catch (e) {
        if (event !== "error") {
          this._emit("error", e instanceof Error ? e : new Error(String(e)));
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
    this._send(subject, data, options.headers, options.replyTo, "publish");
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
    if (handler !== null && typeof handler === "object" && !Array.isArray(handler)) {
      options = handler;
      handler = null;
    }
    if (handler !== void 0 && handler !== null && typeof handler !== "function") {
      throw new InvalidArgumentError("the handler of subscribe must be a function (or none, to iterate)");
    }
    const bufferSize = options.bufferSize === void 0 ? 1024 : options.bufferSize;
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      throw new InvalidArgumentError(`bufferSize must be an integer >= 1: ${bufferSize}`);
    }
    const problem = subjectProblem(pattern, true, this._limits.maxSubject);
    if (problem) {
      throw new InvalidArgumentError(`invalid pattern '${pattern}': ${problem}`, 422);
    }
    if (options.queue !== void 0) {
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
      const timeoutMs = positive(options.timeoutMs, this._requestTimeoutMs, "timeoutMs");
      if (options.signal?.aborted) {
        throw abortError(options.signal, subject);
      }
      if (!this._inbox) {
        this._inbox = this._subscribe(`${this._requests.prefix}*`, void 0, (m) => this._onReply(m), false, false);
      }
      const { id, replyTo } = this._requests.next();
      const t = this._tracing === null ? null : traceSend(this._tracing, toHeaderList(options.headers), { subject, operation: "request" });
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
    if (this.state === "closed") {
      return Promise.reject(new ClosedError("flush: client is closed"));
    }
    const target = this._session.lastHeld;
    if (target === this._session.confirmed) {
      return Promise.resolve();
    }
    const timeoutMs = positive(options.timeoutMs, this._flushTimeoutMs, "timeoutMs");
    return new Promise((resolve, reject) => {
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
    if (this.state === "closed" || this.state === "closing") {
      return;
    }
    this.state = "closing";
    for (const s of [...this._subs.values()]) {
      if (s !== this._inbox) {
        s.unsubscribe();
      }
    }
    if (this._closeTimeoutMs > 0 && this._session.id !== null) {
      const deadline = this._timers.now() + this._closeTimeoutMs;
      const requests = this._requests.settled();
      if (requests.length > 0) {
        let timer = null;
        await Promise.race([
          Promise.all(requests),
          new Promise((resolve) => {
            timer = this._timers.setTimeout(() => resolve(void 0), this._closeTimeoutMs);
          })
        ]);
        this._timers.clearTimeout(timer);
      }
      const left = deadline - this._timers.now();
      if (left > 0) {
        try {
          await this.flush({ timeoutMs: left });
        } catch {
        }
      }
    }
    const link = this._ready ? this._link : null;
    if (link) {
      link.sendNow({ type: "GOAWAY", code: 200, drainMillis: 0, reason: "client closing", alternates: [] });
    }
    this._shutdown(new ClosedError("client closed"), "closed by the application");
  }
  /** Counters since the client was made. */
  stats() {
    const s = this._session;
    return {
      ...this._stats,
      state: this.state,
      bufferedBytes: s.bufferedBytes,
      unacked: s.unconfirmedCount,
      waiting: s.pending.length,
      subscriptions: this._subs.size,
      requestsInFlight: this._requests.size
    };
  }
  // ---------------------------------------------------------------------------------------------
  // Internals
  /** @private */
  _requireOpen() {
    if (this.state === "closing" || this.state === "closed") {
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
    if (subject !== this._lastSubject || l.maxSubject !== this._lastSubjectMax) {
      const problem = subjectProblem(subject, false, l.maxSubject);
      if (problem) {
        throw new InvalidArgumentError(`invalid subject '${subject}': ${problem}`, 422);
      }
      this._lastSubject = subject;
      this._lastSubjectMax = l.maxSubject;
    }
    if (replyTo !== void 0 && replyTo !== "") {
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
    return { type: "PUBLISH", request, sequence: 0, subject, replyTo: replyTo || "", headers: list, payload };
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
    if (this.state === "closed") {
      throw new ClosedError("client is closed");
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
    if (frame.type === "PUBLISH") {
      this._stats.outMsgs++;
    }
    this._link.send(frame);
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
      this._firstOpen = (e) => e ? reject(e) : resolve();
      this._attempt();
    });
  }
  /** @private */
  _attempt() {
    this._retryTimer = null;
    if (this.state === "closed" || this._link) {
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
    if (this.state === "closed") {
      return;
    }
    this._failures++;
    this._endpointIndex++;
    this._lastFailure = cause;
    const neverOpened = this._session.id === null;
    const fatal = cause instanceof ServerError && !retryable(cause.code || 0) || cause instanceof OriginNotAllowedError;
    if (neverOpened && (fatal || !this._retryInitialConnect && this._failures >= this._endpoints.length)) {
      const message = `cannot connect to ${url}: ${cause.message}`;
      const e = cause instanceof OriginNotAllowedError ? new OriginNotAllowedError(message) : new ConduitError(message, cause instanceof ConduitError ? cause.code : void 0);
      this._shutdown(e, e.message);
    } else if (this._failures > this._maxAttempts) {
      this._shutdown(
        new ClosedError(`gave up after ${this._failures} failed connection attempts; last: ${cause.message}`),
        `gave up reconnecting: ${cause.message}`
      );
    } else {
      this._scheduleAttempt(backoffDelay(this._backoff, this._failures - 1, this._random));
    }
  }
  /**
   * The browser says the network is back ('online'): a client waiting out its backoff tries now.
   * @private
   */
  _networkBack() {
    if (this.state === "closed" || this.state === "closing" || this._link !== null || this._retryTimer === null) {
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
    if (this._link !== link || this.state === "closed") {
      return;
    }
    if (w.version !== PROTOCOL_VERSION) {
      link.abort(new ProtocolError(`server chose version ${w.version}, outside 1..1`));
      return;
    }
    this._limits = { maxPayload: w.maxPayload, maxHeader: w.maxHeader, maxSubject: w.maxSubject };
    link.reader.limits = this._limits;
    const info = {
      serverId: w.serverId,
      sessionId: w.sessionId,
      version: w.version,
      maxPayload: w.maxPayload,
      maxHeader: w.maxHeader,
      maxSubject: w.maxSubject,
      heartbeatMs: w.heartbeatMs,
      heartbeatMisses: w.heartbeatMisses,
      credentialsValidMs: w.credentialsValidMs
    };
    this.info = info;
    this._learn(w.alternates || []);
    const session = this._session;
    const first = session.id === null;
    const resumed = !first && session.resumes(w);
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
          link.send(s._creditFrame());
        }
      }
      this._stats.resumes++;
      notices.push(() => this._emit("resumed", info));
    } else {
      if (w.inboxPrefix && w.inboxPrefix !== this._requests.prefix) {
        this._requests.prefix = w.inboxPrefix;
        if (this._inbox) {
          this._inbox.pattern = `${w.inboxPrefix}*`;
          session.repatternWaiting(this._inbox.id, this._inbox.pattern);
        }
      }
      if (!first) {
        const lost = this._loseSession(this._refusal || "the server started a new session");
        this._stats.sessionsLost++;
        notices.push(() => this._emit("sessionLost", lost));
      }
      session.begin(w.sessionId, w.epoch);
      for (const s of this._iterated) {
        s._newSession();
      }
    }
    session.resumeWith(w.resumeToken);
    this._refusal = null;
    this._failures = 0;
    this._moveOn = false;
    this._ready = true;
    link.welcomed(w);
    while (session.pending.length > 0 && this._ready) {
      this._transmit(
        /** @type {Outgoing} */
        session.nextPending()
      );
    }
    if (this.state === "connecting" || this.state === "reconnecting") {
      this.state = "open";
    }
    if (first) {
      this._emit("connected", info);
      const settle = this._firstOpen;
      this._firstOpen = null;
      settle?.();
    } else {
      this._stats.reconnects++;
      this._emit("reconnected", info);
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
    if (this.state === "closed") {
      return;
    }
    if (!wasReady) {
      this._attemptFailed(link.url, cause || new ClosedError("connection closed during the handshake"));
      return;
    }
    if (this.state === "open") {
      this.state = "reconnecting";
    }
    this._emit("disconnected", { reason: cause ? cause.message : "connection closed" });
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
    const verdict = this._session.receive(f.type === "MESSAGE" ? f.sequence : 0);
    if (verdict === "duplicate") {
      this._stats.duplicatesDropped++;
      return;
    }
    if (verdict === "missing") {
      link.abort(new ProtocolError(`MESSAGE ${f.type === "MESSAGE" ? f.sequence : 0} after ${before}: frames are missing`));
      return;
    }
    if (f.type === "MESSAGE") {
      this._stats.inMsgs++;
      this._stats.inBytes += f.payload.length;
      const s = this._subs.get(f.subscriptionId);
      if (s) {
        s._onMessage(f, this._session.inSeq);
      }
    } else if (f.type === "NO_RESPONDERS") {
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
          s._endedByServer();
        }
        this._emit("slowConsumer", { subscription: s, dropped: f.dropped, ended: f.ended });
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
        link.send({ type: "ACK", sequence: seq });
      }
    }
  }
  /** @internal @param {EncodedCredentials} c the credentials to present */
  _helloFrame(c) {
    const hello = {
      type: "HELLO",
      minVersion: PROTOCOL_VERSION,
      maxVersion: PROTOCOL_VERSION,
      clientName: this._name,
      authScheme: c.scheme,
      credentials: c.bytes,
      resumeToken: new Uint8Array(0),
      resumeLastReceived: 0
    };
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
    const fail = (e) => failed(e instanceof InvalidArgumentError ? e : new ConduitError(`the credentials supplier failed: ${e instanceof Error ? e.message : String(e)}`));
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
    if (supplied !== null && typeof supplied === "object" && typeof /** @type {any} */
    supplied.then === "function") {
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
        link.sendNow({ type: "AUTH", authScheme: c.scheme, credentials: c.bytes });
      }
    }, (e) => {
      if (this._link === link && !link.closed) {
        this._emit("error", new ConduitError(`cannot renew the credentials: ${e.message}`, e instanceof ConduitError ? e.code : void 0));
        link.retryRenewal();
      }
    });
  }
  /** @internal AUTH_OK: the renewed credentials are valid for `validMs` (0: no expiry). @param {Link} link @param {number} validMs */
  _renewed(link, validMs) {
    if (this._link === link) {
      this._emit("renewed", { credentialsValidMs: validMs });
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
    if (this.state === "closed") {
      return;
    }
    this.state = "closed";
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
    this._networkEvents?.removeEventListener("online", this._onOnline);
    this._subs.clear();
    if (link) {
      link.close();
    }
    const settle = this._firstOpen;
    this._firstOpen = null;
    if (settle) {
      settle(cause);
    } else {
      this._emit("closed", { reason, unconfirmed });
    }
  }
};
function quoted(message, after) {
  const i = message.indexOf(after);
  if (i < 0) {
    return null;
  }
  const start = i + after.length;
  const end = message.indexOf("' (", start);
  return end < 0 ? null : message.substring(start, end);
}
function withDefaultPath(url) {
  const m = /^(wss?:\/\/[^/?#]+)\/?$/i.exec(url);
  return m ? `${m[1]}/conduit` : url;
}
export {
  AbortError,
  BufferFullError,
  Client,
  ClosedError,
  ConduitError,
  DEFAULT_LIMITS,
  FrameReader,
  FrameType,
  InvalidArgumentError,
  Msg,
  NoRespondersError,
  OriginNotAllowedError,
  PROTOCOL_VERSION,
  ProtocolError,
  ServerError,
  SessionLostError,
  Subscription,
  TimeoutError,
  backoffDelay,
  connect,
  decodeFrame,
  encodeFrame,
  maxFrameSize,
  openTelemetryTracing,
  queueGroupProblem,
  subjectMatches,
  subjectProblem,
  toBytes
};

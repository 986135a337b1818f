// The codec against protocol.md section 12: each worked example, read from the document itself,
// must be exactly what encodeFrame writes, and decode back to the same frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeFrame, decodeFrame, FrameReader, ProtocolError, subjectProblem, queueGroupProblem, subjectMatches, maxFrameSize, DEFAULT_LIMITS } from '../src/index.js';

const enc = new TextEncoder();
const doc = readFileSync(fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url)), 'utf8');

/** The hex of every code block in section 12, in order. */
function workedExamples() {
    const section = doc.slice(doc.indexOf('## 12. Worked examples'), doc.indexOf('## 13.'));
    const blocks = [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]);
    return blocks.map((b) => Uint8Array.from(b.split('\n').filter((l) => l.trim()).flatMap((line) => {
        const hex = line.slice(0, 44).trim();
        return hex.split(/\s+/).map((h) => parseInt(h, 16));
    })));
}

const none = new Uint8Array(0);
const expected = [
    { type: 'HELLO', minVersion: 1, maxVersion: 1, clientName: 'demo', authScheme: '', credentials: none, resumeToken: none, resumeLastReceived: 0 },
    { type: 'WELCOME', resumed: false, version: 1, serverId: 'CDT1', sessionId: 's1', epoch: 1n, lastReceived: 0, maxPayload: 1048576, maxHeader: 65536, maxSubject: 512, heartbeatMs: 0, heartbeatMisses: 0,
        resumeToken: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, ...new Array(32).fill(0xab), 0x73, 0x31]), inboxPrefix: '_INBOX.q.', credentialsValidMs: 0, alternates: [] },
    { type: 'WELCOME', resumed: false, version: 1, serverId: 'n1', sessionId: 's2', epoch: 1n, lastReceived: 0, maxPayload: 1048576, maxHeader: 65536, maxSubject: 512, heartbeatMs: 0, heartbeatMisses: 0,
        resumeToken: none, inboxPrefix: '', credentialsValidMs: 60000, alternates: ['tcp://n2:7440', 'tcp://n3:7440'] },
    { type: 'SUBSCRIBE', subscriptionId: 1, pattern: 'demo.>', queueGroup: '', disconnectWhenSlow: false, creditMessages: 0, creditBytes: 0 },
    { type: 'SUBSCRIBE', subscriptionId: 2, pattern: 'jobs.*', queueGroup: 'workers', disconnectWhenSlow: false, creditMessages: 0, creditBytes: 0 },
    { type: 'SUBSCRIBE', subscriptionId: 3, pattern: 'seq.>', queueGroup: '', disconnectWhenSlow: false, creditMessages: 1024, creditBytes: 1048576 },
    { type: 'UNSUBSCRIBE', subscriptionId: 2, afterMessages: 5 },
    { type: 'PUBLISH', request: false, sequence: 0, subject: 'demo.x', replyTo: '', headers: [], payload: enc.encode('hi') },
    { type: 'PUBLISH', request: true, sequence: 0, subject: 'svc.echo', replyTo: '_INBOX.ab.1', headers: [['k', 'v']], payload: enc.encode('ping') },
    { type: 'MESSAGE', sequence: 1, subscriptionId: 1, subject: 'demo.x', replyTo: '', headers: [], payload: enc.encode('hi') },
    { type: 'MESSAGE', sequence: 2, subscriptionId: 3, subject: 'temp.zürich', replyTo: '', headers: [['unit', '°C']], payload: enc.encode('21.5') },
    { type: 'NO_RESPONDERS', replySubject: '_INBOX.ab.1' },
    { type: 'PING', token: 7n },
    { type: 'PONG', token: 7n },
    { type: 'ERROR', code: 414, fatal: true, message: 'too big' },
    { type: 'ERROR', code: 422, fatal: false, message: 'bad subject' },
    { type: 'GOAWAY', code: 503, drainMillis: 5000, reason: 'bye', alternates: [] },
    { type: 'GOAWAY', code: 200, drainMillis: 0, reason: '', alternates: [] },
    { type: 'GOAWAY', code: 503, drainMillis: 5000, reason: '', alternates: ['tcp://n2:7440'] },
    { type: 'ACK', sequence: 42 },
    { type: 'GAP', subscriptionId: 3, dropped: 17, ended: false },
    { type: 'GAP', subscriptionId: 3, dropped: 250, ended: true },
    { type: 'AUTH', authScheme: 'token', credentials: enc.encode('s3cret') },
    { type: 'AUTH_OK', credentialsValidMs: 60000 },
    { type: 'CREDIT', subscriptionId: 3, consumedMessages: 512, consumedBytes: 8192 },
];

test('protocol.md section 12 has one worked example per expected frame', () => {
    assert.equal(workedExamples().length, expected.length);
});

for (const [i, frame] of expected.entries()) {
    test(`worked example ${i + 1} (${frame.type}) encodes byte for byte and decodes back`, () => {
        const bytes = workedExamples()[i];
        assert.deepEqual(Buffer.from(encodeFrame(/** @type {any} */ (frame))).toString('hex'), Buffer.from(bytes).toString('hex'));
        assert.deepEqual(decodeFrame(bytes), frame);
    });
}

test('round trips: resumed WELCOME, sequenced PUBLISH with repeated headers, GOAWAY with alternates, big u64', () => {
    const frames = [
        { type: 'WELCOME', resumed: true, version: 1, serverId: 'x', sessionId: 'abc', epoch: 0xfedcba9876543210n, lastReceived: 2 ** 40, maxPayload: 10, maxHeader: 0, maxSubject: 65535, heartbeatMs: 5000, heartbeatMisses: 3, resumeToken: none, inboxPrefix: '', credentialsValidMs: 0, alternates: ['ws://n2:7480/conduit'] },
        { type: 'PUBLISH', request: false, sequence: 123456789, subject: 'a.b', replyTo: 'r', headers: [['A', '1'], ['a', '2'], ['A', '']], payload: new Uint8Array([0, 255, 1]) },
        { type: 'GOAWAY', code: 503, drainMillis: 10, reason: 'moving', alternates: ['tcp://h1:1', 'ws://h2:2/conduit'] },
        { type: 'HELLO', minVersion: 1, maxVersion: 1, clientName: '日本', authScheme: 'token', credentials: enc.encode('s3cret'), resumeToken: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 115]), resumeLastReceived: 16 },
    ];
    for (const f of frames) {
        assert.deepEqual(decodeFrame(encodeFrame(/** @type {any} */ (f)), { maxPayload: 100, maxHeader: 1000, maxSubject: 100 }), f);
    }
});

test('FrameReader splits a stream at any byte boundary and checks the length before waiting for the frame', () => {
    const all = Buffer.concat(workedExamples().map((b) => Buffer.from(b)));
    for (const step of [1, 3, 7, 64, all.length]) {
        const r = new FrameReader();
        const got = [];
        for (let i = 0; i < all.length; i += step) {
            got.push(...r.push(new Uint8Array(all.subarray(i, i + step))));
        }
        assert.equal(got.length, expected.length, `step ${step}`);
        assert.deepEqual(got.map((f) => f.type), expected.map((f) => f.type));
    }
    const huge = new Uint8Array([0xff, 0xff, 0xff, 0xf0]);
    assert.throws(() => new FrameReader().push(huge), (e) => e instanceof ProtocolError && e.code === 413);
    assert.equal(maxFrameSize(DEFAULT_LIMITS), 1115200);
});

test('the decoder rejects what section 2 and 3 forbid', () => {
    const ping = workedExamples()[expected.findIndex((f) => f.type === 'PING')];
    const bad = (mutate, code = 400) => {
        const b = Uint8Array.from(ping);
        const m = mutate(b) || b;
        assert.throws(() => decodeFrame(m), (e) => e instanceof ProtocolError && e.code === code, Buffer.from(m).toString('hex'));
    };
    bad((b) => { b[4] = 0x7f; });                                  // unknown type
    bad((b) => { b[5] = 0x01; });                                  // undefined flag
    bad((b) => { const c = new Uint8Array(15); c.set(b); c[3] = 11; return c; }); // byte left over
    bad((b) => { const c = b.slice(0, 13); c[3] = 9; return c; });  // token runs past the end
    bad(() => new Uint8Array([0, 0, 0, 1, 8]));                    // length below 2
    // malformed UTF-8 in a NO_RESPONDERS subject: an overlong '/' and a lone surrogate
    bad(() => new Uint8Array([0, 0, 0, 6, 7, 0, 0, 2, 0xc0, 0xaf]));
    bad(() => new Uint8Array([0, 0, 0, 7, 7, 0, 0, 3, 0xed, 0xa0, 0x80]));
    // header block with count 0
    const msg = encodeFrame({ type: 'MESSAGE', sequence: 1, subscriptionId: 1, subject: 'a', replyTo: '', headers: [['k', 'v']], payload: new Uint8Array(0) });
    const zero = Uint8Array.from(msg);
    zero[4 + 2 + 8 + 4 + 3 + 2 + 4 + 1] = 0; // count low byte
    assert.throws(() => decodeFrame(zero), ProtocolError);
    // a payload over the limit is 414 before it is read
    assert.throws(() => decodeFrame(encodeFrame({ type: 'MESSAGE', sequence: 1, subscriptionId: 1, subject: 'a', replyTo: '', headers: [], payload: new Uint8Array(11) }),
        { maxPayload: 10, maxHeader: 10, maxSubject: 10 }), (e) => e instanceof ProtocolError && e.code === 414);
    // an impossible WELCOME
    const w = encodeFrame({ type: 'WELCOME', resumed: false, version: 1, serverId: 'x', sessionId: 'y', epoch: 1n, lastReceived: 0, maxPayload: 64 * 1024 * 1024 + 1, maxHeader: 0, maxSubject: 1, heartbeatMs: 0, heartbeatMisses: 0 });
    assert.throws(() => decodeFrame(w), ProtocolError);
});

test('subjects, patterns and queue groups follow section 8', () => {
    for (const s of ['a', 'orders.eu.created', 'temp.zürich', 'a\u00a0b']) {
        assert.equal(subjectProblem(s, false, 512), null, s);
    }
    for (const s of ['', '.a', 'a.', 'a..b', 'a b', 'a\tb', 'a.*', 'a.>', 'a*', 'a\u2003b', 'a\u3000']) {
        assert.notEqual(subjectProblem(s, false, 512), null, s);
    }
    for (const s of ['a.*', '*.b', 'a.>', '>', '*.*.>']) {
        assert.equal(subjectProblem(s, true, 512), null, s);
    }
    for (const s of ['a.>.b', 'a*', 'a.b>', '>.a']) {
        assert.notEqual(subjectProblem(s, true, 512), null, s);
    }
    assert.notEqual(subjectProblem('ü'.repeat(3), false, 5), null);
    assert.equal(subjectProblem('ü'.repeat(2), false, 4), null);
    assert.equal(queueGroupProblem('workers', 512), null);
    for (const q of ['', 'a.b', 'a*', 'a>', 'a b']) {
        assert.notEqual(queueGroupProblem(q, 512), null, q);
    }
    const table = [['a.b', 'a.b', true], ['a.b', 'a.b.c', false], ['a.*', 'a.x', true], ['a.*', 'a.b.c', false], ['*.b', 'x.b', true],
        ['a.>', 'a.b.c', true], ['a.>', 'a', false], ['>', 'x', true], ['*.*.>', 'a.b', false], ['*.*.>', 'a.b.c.d', true]];
    for (const [p, s, m] of table) {
        assert.equal(subjectMatches(p, s), m, `${p} ~ ${s}`);
    }
});

// Bytes written by the Java codec (FrameCodec.encode) for frames section 12 does not show.
const javaBytes = [
    ['0000003a020300010004434454310002733100000000000000010000000000000005001000000001000002000000138800030000000000000000000927c0',
        { type: 'WELCOME', resumed: true, version: 1, serverId: 'CDT1', sessionId: 's1', epoch: 1n, lastReceived: 5, maxPayload: 1048576, maxHeader: 65536, maxSubject: 512, heartbeatMs: 5000, heartbeatMisses: 3, resumeToken: none, inboxPrefix: '', credentialsValidMs: 600000, alternates: [] }],
    ['0000003a02020001000443445431000273310000000000000001000000000000000000100000000100000200000000000000000000000000000000000001',
        { type: 'WELCOME', resumed: false, version: 1, serverId: 'CDT1', sessionId: 's1', epoch: 1n, lastReceived: 0, maxPayload: 1048576, maxHeader: 65536, maxSubject: 512, heartbeatMs: 0, heartbeatMisses: 0, resumeToken: none, inboxPrefix: '', credentialsValidMs: 1, alternates: [] }],
    ['0000000a0f000000000000000000', { type: 'AUTH_OK', credentialsValidMs: 0 }],
    ['000000140e0000036a7774000b65794a2e6533302e736967', { type: 'AUTH', authScheme: 'jwt', credentials: enc.encode('eyJ.e30.sig') }],
    ['000000060e0000000000', { type: 'AUTH', authScheme: '', credentials: none }],
];

test('WELCOME with EXPIRES, AUTH and AUTH_OK match the Java codec byte for byte', () => {
    for (const [hex, frame] of javaBytes) {
        assert.equal(Buffer.from(encodeFrame(/** @type {any} */ (frame))).toString('hex'), hex);
        assert.deepEqual(decodeFrame(new Uint8Array(Buffer.from(hex, 'hex'))), frame);
    }
});

test('the decoder rejects a bad EXPIRES validity, AUTH or AUTH_OK as the Java codec does', () => {
    const bytes = (hex) => new Uint8Array(Buffer.from(hex.replace(/\s/g, ''), 'hex'));
    const bad = (hex, why) => assert.throws(() => decodeFrame(bytes(hex)), (e) => e instanceof ProtocolError && e.code === 400, why);
    const welcomeHead = '0002 0004 43445431 0002 7331 0000000000000001 0000000000000000 00100000 00010000 0200 00000000 0000 0000 0000';
    const welcome = (flags, tail) => {
        const body = `${welcomeHead}${tail}`.replace(/\s/g, '');
        return `${(body.length / 2 + 2).toString(16).padStart(8, '0')}02${flags}${body}`;
    };
    assert.equal(decodeFrame(bytes(welcome('02', '00000000000927c0'))).credentialsValidMs, 600000);
    bad(welcome('02', '0000000000000000'), 'EXPIRES with a validity of 0');
    bad(welcome('02', '8000000000000001'), 'EXPIRES with bit 63 set');
    bad(welcome('02', ''), 'EXPIRES without its field');
    bad(welcome('02', '000000000927c0'), 'EXPIRES with a truncated field');
    bad(welcome('00', '00000000000927c0'), 'the field without EXPIRES: bytes left over');
    bad(welcome('08', ''), 'an undefined WELCOME flag');
    // ALTERNATES (0x04): a count from 1 to 64, then each URL, after the validity when EXPIRES is set too.
    const url = (u) => `${Buffer.byteLength(u).toString(16).padStart(4, '0')}${Buffer.from(u).toString('hex')}`;
    assert.deepEqual(decodeFrame(bytes(welcome('04', `0002${url('tcp://a:1')}${url('ws://b:2/c')}`))).alternates, ['tcp://a:1', 'ws://b:2/c']);
    const both = decodeFrame(bytes(welcome('06', `00000000000927c0 0001${url('tcp://a:1')}`)));
    assert.equal(both.credentialsValidMs, 600000);
    assert.deepEqual(both.alternates, ['tcp://a:1']);
    assert.equal(decodeFrame(bytes(welcome('04', `0040${url('tcp://a:1').repeat(64)}`))).alternates.length, 64);
    bad(welcome('04', '0000'), 'ALTERNATES naming none');
    bad(welcome('04', `0041${url('').repeat(65)}`), 'ALTERNATES naming 65');
    bad(welcome('04', `0003${url('tcp://a:1')}`), 'a count the frame cannot hold');
    bad(welcome('04', '00010002c328'), 'a URL that is not UTF-8');
    bad(welcome('04', ''), 'ALTERNATES without its list');
    bad(welcome('00', `0001${url('tcp://a:1')}`), 'the list without ALTERNATES: bytes left over');
    bad('0000000c0b0101f70000000000000000', 'GOAWAY with ALTERNATES naming none');
    assert.equal(decodeFrame(bytes('0000000a0f007fffffffffffffff')).credentialsValidMs, 2 ** 63 - 1);
    bad('0000000a0f008000000000000000', 'AUTH_OK with bit 63 set');
    bad('0000000a0f010000000000000001', 'AUTH_OK with a flag');
    bad('000000090f0000000000000001', 'AUTH_OK cut short');
    bad('0000000b0f00000000000000000100', 'AUTH_OK with a byte left over');
    bad('000000060e0100000000', 'AUTH with a flag');
    bad('000000070e0000000001', 'AUTH whose credentials run past the end');
    bad('000000090e000002c0af0000', 'AUTH with an overlong UTF-8 scheme');
    bad('000000070e000000000000', 'AUTH with a byte left over');
});

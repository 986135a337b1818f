// The client's session logic against an in-memory WebSocket and a manual clock: no network, no waiting.
// Long (~700 lines) because each test drives the whole client through its fake socket; for await,
// AbortSignal and the other jspkg features are in features.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, backoffDelay, TimeoutError, NoRespondersError, SessionLostError, BufferFullError, InvalidArgumentError, ClosedError, ServerError } from '../src/index.js';
import { FakeNet, ManualTimers, tick, welcome, message } from './fakes.js';

const text = (b) => new TextDecoder().decode(b);

async function start(options = {}, welcomeOverrides = {}) {
    const net = new FakeNet();
    const timers = new ManualTimers();
    const events = [];
    const promise = connect({ url: 'ws://test/conduit', name: 'unit', WebSocket: net.WebSocket, timers, random: () => 0, ...options });
    const sock = net.last();
    sock.open();
    const [hello] = sock.take();
    sock.deliver(welcome(welcomeOverrides));
    const client = await promise;
    for (const e of ['connected', 'disconnected', 'reconnected', 'resumed', 'sessionLost', 'error', 'slowConsumer', 'renewed', 'closed']) {
        client.on(/** @type {any} */ (e), (arg) => events.push([e, arg]));
    }
    return { net, timers, client, sock, hello, events };
}

/** Drops the connection, lets the backoff pass, opens the next socket and takes its HELLO. */
async function reconnect(ctx) {
    ctx.sock.drop();
    ctx.timers.advance(ctx.timers.pending()[0] ?? 0);
    const next = ctx.net.last();
    assert.notEqual(next, ctx.sock, 'a new connection attempt');
    ctx.sock = next;
    next.open();
    const [hello] = next.take();
    return hello;
}

test('HELLO carries the name and the static token; WELCOME opens the client', async () => {
    const { client, hello } = await start({ token: 's3cret' });
    assert.equal(hello.type, 'HELLO');
    assert.equal(hello.clientName, 'unit');
    assert.equal(hello.authScheme, 'token');
    assert.equal(text(hello.credentials), 's3cret');
    assert.equal(hello.resumeToken.length, 0);
    assert.equal(client.state, 'open');
    assert.equal(client.info?.sessionId, 'sess1');
    const anon = await start();
    assert.equal(anon.hello.authScheme, '');
    assert.equal(anon.hello.credentials.length, 0);
});

test('publishes are numbered from 1 and batched into one WebSocket message per turn', async () => {
    const { client, sock } = await start();
    client.publish('a.b', 'x');
    client.publish('a.b', new Uint8Array([1, 2]), { headers: { k: 'v' }, replyTo: 'r.1' });
    client.publish('a.b', { n: 1 });
    await tick();
    const frames = sock.take();
    assert.deepEqual(frames.map((f) => f.sequence), [1, 2, 3]);
    assert.equal(sock.messages, 2, 'HELLO, then the three publishes in one message');
    assert.deepEqual(frames[1].headers, [['k', 'v']]);
    assert.equal(frames[1].replyTo, 'r.1');
    assert.equal(text(frames[2].payload), '{"n":1}');
    assert.throws(() => client.publish('a.*', 'x'), InvalidArgumentError);
    assert.throws(() => client.publish('a', 'x', { headers: { 'bad:name': 'v' } }), InvalidArgumentError);
    assert.throws(() => client.publish('a', new Uint8Array(1048577)), (e) => e instanceof InvalidArgumentError && e.code === 414);
});

test('messages reach their subscription, one ACK per batch, replayed duplicates are dropped', async () => {
    const { client, sock } = await start();
    const got = [];
    const sub = client.subscribe('chat.>', (m) => got.push([m.subject, m.text(), m.header('UNIT'), m.subscription?.id]));
    await tick();
    assert.deepEqual(sock.take().map((f) => [f.type, f.pattern]), [['SUBSCRIBE', 'chat.>']]);
    sock.deliver(message(1, sub.id, 'chat.a', 'one', { headers: [['unit', '°C']] }), message(2, sub.id, 'chat.b', 'two'), message(3, 999, 'x', 'for nobody'));
    await tick();
    // A reliable subscription (the default) reports what its handler took, with the batch's ACK.
    assert.deepEqual(sock.take(), [{ type: 'CREDIT', subscriptionId: sub.id, consumedMessages: 2, consumedBytes: 6 },
        { type: 'ACK', sequence: 3 }]);
    sock.deliver(message(2, sub.id, 'chat.b', 'two'), message(4, sub.id, 'chat.c', 'three'));
    await tick();
    assert.deepEqual(sock.take(), [{ type: 'CREDIT', subscriptionId: sub.id, consumedMessages: 3, consumedBytes: 11 },
        { type: 'ACK', sequence: 4 }]);
    assert.deepEqual(got, [['chat.a', 'one', '°C', sub.id], ['chat.b', 'two', undefined, sub.id], ['chat.c', 'three', undefined, sub.id]]);
    assert.equal(client.stats().duplicatesDropped, 1);
});

test('unsubscribeAfter sends the total since SUBSCRIBE and ends the subscription at that message', async () => {
    const { client, sock } = await start();
    const got = [];
    const sub = client.subscribe('a', (m) => got.push(m.text()));
    sock.deliver(message(1, sub.id, 'a', '1'), message(2, sub.id, 'a', '2'));
    sub.unsubscribeAfter(2);
    await tick();
    const sent = sock.take().filter((f) => f.type === 'UNSUBSCRIBE');
    assert.deepEqual(sent, [{ type: 'UNSUBSCRIBE', subscriptionId: sub.id, afterMessages: 4 }]);
    sock.deliver(message(3, sub.id, 'a', '3'), message(4, sub.id, 'a', '4'), message(5, sub.id, 'a', '5'));
    assert.deepEqual(got, ['1', '2', '3', '4']);
    assert.equal(sub.active, false);
    const other = client.subscribe('b', () => {});
    other.unsubscribe();
    await tick();
    assert.deepEqual(sock.take().filter((f) => f.type === 'UNSUBSCRIBE'), [{ type: 'UNSUBSCRIBE', subscriptionId: other.id, afterMessages: 0 }]);
});

test('request/reply: one inbox subscription, reply subjects numbered, replies, no responders and timeouts', async () => {
    const { client, sock, timers } = await start({ requestTimeoutMs: 500 });
    const r1 = client.request('svc.echo', 'ping', { headers: [['a', '1']] });
    const r2 = client.request('svc.none', 'x');
    const r3 = client.request('svc.slow', 'x', { timeoutMs: 1000 });
    await tick();
    const frames = sock.take();
    const inbox = frames[0];
    assert.equal(inbox.type, 'SUBSCRIBE');
    assert.equal(inbox.pattern, '_INBOX.sess1.*', 'under the prefix the server assigned in WELCOME');
    const prefix = inbox.pattern.slice(0, -1);
    assert.deepEqual(frames.slice(1).map((f) => [f.type, f.request, f.subject, f.replyTo]),
        [['PUBLISH', true, 'svc.echo', `${prefix}1`], ['PUBLISH', true, 'svc.none', `${prefix}2`], ['PUBLISH', true, 'svc.slow', `${prefix}3`]]);
    sock.deliver(message(1, inbox.subscriptionId, `${prefix}1`, 'pong'), { type: 'NO_RESPONDERS', replySubject: `${prefix}2` });
    assert.equal((await r1).text(), 'pong');
    await assert.rejects(r2, NoRespondersError);
    timers.advance(999);
    let settled = false;
    r3.catch(() => {}).finally(() => { settled = true; });
    await tick();
    assert.equal(settled, false, 'not before its timeout');
    timers.advance(1);
    await assert.rejects(r3, TimeoutError);
    // a reply after the timeout is ignored
    sock.deliver(message(3, inbox.subscriptionId, `${prefix}3`, 'late'));
    const r4 = client.request('svc.default', 'x');
    timers.advance(500);
    await assert.rejects(r4, TimeoutError);
});

test('msg.respond publishes to the reply subject', async () => {
    const { client, sock } = await start();
    const sub = client.subscribe('svc.echo', (m) => m.respond(`echo ${m.text()}`, { headers: { via: 'js' } }));
    await tick();
    sock.take();
    sock.deliver(message(1, sub.id, 'svc.echo', 'hi', { replyTo: '_INBOX.x.1' }));
    await tick();
    const reply = sock.take().find((f) => f.type === 'PUBLISH');
    assert.equal(reply.subject, '_INBOX.x.1');
    assert.equal(text(reply.payload), 'echo hi');
    assert.deepEqual(reply.headers, [['via', 'js']]);
});

test('resume: HELLO names the session and what was received; only unconfirmed frames go again, then what waited', async () => {
    const ctx = await start();
    const { client } = ctx;
    const sub = client.subscribe('a', () => {});
    client.publish('a', '1');
    client.publish('a', '2');
    await tick();
    ctx.sock.take();
    ctx.sock.deliver({ type: 'ACK', sequence: 2 }, message(1, sub.id, 'a', 'm1'), message(2, sub.id, 'a', 'm2'));
    await tick();
    ctx.sock.take();
    ctx.sock.drop();
    assert.equal(client.state, 'reconnecting');
    client.publish('a', '3 while disconnected');
    const flushed = client.flush();
    ctx.timers.advance(ctx.timers.pending()[0]);
    const next = ctx.net.last();
    ctx.sock = next;
    next.open();
    const [hello] = next.take();
    assert.equal(hello.resumeLastReceived, 2);
    assert.equal(text(hello.resumeToken), 'token-of-sess1', 'the token of the last WELCOME, as it came');
    // The server had received frame 2 (the SUBSCRIBE and the first publish... up to 2) and replays message 2 again.
    next.deliver(welcome({ resumed: true, lastReceived: 2 }), message(2, sub.id, 'a', 'm2 again'), message(3, sub.id, 'a', 'm3'));
    await tick();
    const all = next.take();
    // After the resume the reliable subscription's consumed totals go again (the server may have missed them).
    assert.deepEqual(all.filter((f) => f.type === 'CREDIT')[0], { type: 'CREDIT', subscriptionId: sub.id, consumedMessages: 2, consumedBytes: 4 });
    const frames = all.filter((f) => f.type !== 'CREDIT');
    assert.deepEqual(frames.map((f) => [f.type, f.sequence]), [['PUBLISH', 3], ['PUBLISH', 4], ['ACK', 3]]);
    assert.equal(text(frames[0].payload), '2');
    assert.equal(text(frames[1].payload), '3 while disconnected');
    assert.deepEqual(ctx.events.map((e) => e[0]), ['disconnected', 'reconnected', 'resumed']);
    assert.equal(client.stats().duplicatesDropped, 1);
    next.deliver({ type: 'ACK', sequence: 4 });
    await flushed;
    assert.equal(client.stats().bufferedBytes, 0);
});

test('a resume whose last received lies outside what the client holds is refused', async () => {
    const ctx = await start();
    ctx.client.publish('a', '1');
    await tick();
    ctx.sock.take();
    await reconnect(ctx);
    ctx.sock.deliver(welcome({ resumed: true, lastReceived: 5 }));
    assert.equal(ctx.sock.closedByClient, true);
});

test('session lost: sessionLost reports unconfirmed publishes, requests fail, subscriptions are made again with what is left', async () => {
    const ctx = await start();
    const { client } = ctx;
    const sub = client.subscribe('a', () => {});
    const q = client.subscribe('jobs', () => {}, { queue: 'workers' });
    client.publish('a', 'confirmed');
    client.publish('a', 'unconfirmed', { headers: { h: '1' } });
    const req = client.request('svc', 'x', { timeoutMs: 60000 });
    const flush = client.flush();
    req.catch(() => {});
    flush.catch(() => {});
    await tick();
    ctx.sock.deliver({ type: 'ACK', sequence: 3 }, message(1, sub.id, 'a', 'x'), message(2, sub.id, 'a', 'y'));
    sub.unsubscribeAfter(5); // 2 received + 5 = 7 in total
    await tick();
    ctx.sock.take();
    const hello = await reconnect(ctx);
    assert.equal(hello.resumeLastReceived, 2);
    client.publish('a', 'new');
    ctx.sock.deliver({ type: 'ERROR', code: 410, fatal: false, message: 'session expired' }, welcome({ sessionId: 'sess2' }));
    await tick();
    const lost = ctx.events.find((e) => e[0] === 'sessionLost')[1];
    assert.equal(lost.reason, 'session expired');
    assert.deepEqual(lost.unconfirmed.map((u) => [u.subject, text(u.data), u.headers]), [['a', 'unconfirmed', [['h', '1']]]]);
    assert.equal(lost.failedRequests, 1);
    await Promise.all([assert.rejects(req, SessionLostError), assert.rejects(flush, SessionLostError)]);
    const frames = ctx.sock.take();
    const summary = frames.map((f) => [f.type, f.subscriptionId ?? f.subject, f.afterMessages ?? f.queueGroup ?? f.sequence]);
    assert.deepEqual(summary.filter((s) => s[0] !== 'PUBLISH' || s[1] === 'a'), [
        ['SUBSCRIBE', sub.id, ''], ['UNSUBSCRIBE', sub.id, 5], ['SUBSCRIBE', q.id, 'workers'],
        ['SUBSCRIBE', frames.find((f) => f.type === 'SUBSCRIBE' && f.pattern.startsWith('_INBOX.')).subscriptionId, ''],
        ['PUBLISH', 'a', 5],
    ]);
    assert.equal(client.info?.sessionId, 'sess2');
    // Numbering restarted in both directions: the new session's message 1 is not a duplicate.
    const got = [];
    client.subscribe('b', (m) => got.push(m.text()));
    ctx.sock.deliver(message(1, sub.id, 'a', 'first of new session'));
    assert.equal(client.stats().duplicatesDropped, 0);
});

test('heartbeat: PING after an interval of silence, the connection is dropped after interval x misses', async () => {
    const ctx = await start({}, { heartbeatMs: 1000, heartbeatMisses: 3 });
    const { timers, sock } = ctx;
    timers.advance(999);
    await tick();
    assert.deepEqual(sock.take(), []);
    timers.advance(1);
    await tick();
    assert.deepEqual(sock.take(), [{ type: 'PING', token: 0n }]);
    sock.deliver({ type: 'PONG', token: 0n }); // a sign of life at t=1000
    timers.advance(1000);
    await tick();
    assert.deepEqual(sock.take(), [{ type: 'PING', token: 0n }]);
    sock.deliver({ type: 'PING', token: 9n });
    await tick();
    assert.deepEqual(sock.take(), [{ type: 'PONG', token: 9n }]);
    timers.advance(2999);
    assert.equal(sock.closedByClient, false);
    timers.advance(1);
    assert.equal(sock.closedByClient, true, 'dead after 3000 ms of silence');
    assert.equal(ctx.client.state, 'reconnecting');
    assert.match(ctx.events[0][1].reason, /no sign of life/);
});

test('reconnect backoff grows exponentially to its cap, with jitter; a WELCOME resets it', async () => {
    assert.equal(backoffDelay({ initialDelayMs: 100, maxDelayMs: 5000, jitter: 0.2 }, 0, () => 0), 100);
    assert.equal(backoffDelay({ initialDelayMs: 100, maxDelayMs: 5000, jitter: 0.2 }, 3, () => 0.5), 720);
    assert.equal(backoffDelay({ initialDelayMs: 100, maxDelayMs: 5000, jitter: 1 }, 10, () => 0.75), 1250);
    const ctx = await start({ reconnect: { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 } });
    ctx.sock.drop();
    const delays = [];
    for (let i = 0; i < 6; i++) {
        const d = ctx.timers.pending()[0];
        delays.push(d);
        const before = ctx.net.sockets.length;
        ctx.timers.advance(d);
        assert.equal(ctx.net.sockets.length, before + 1);
        ctx.net.last().drop(); // refused
    }
    assert.deepEqual(delays, [100, 100, 200, 400, 800, 1000]);
    ctx.timers.advance(ctx.timers.pending()[0]);
    ctx.net.last().open();
    ctx.net.last().deliver(welcome({ resumed: true }));
    ctx.net.last().drop();
    assert.deepEqual(ctx.timers.pending(), [100]);
});

test('while disconnected, publishes are buffered up to maxBufferedBytes, then refused', async () => {
    const ctx = await start({ maxBufferedBytes: 200 });
    ctx.sock.drop();
    ctx.client.publish('a', new Uint8Array(100));
    assert.throws(() => ctx.client.publish('a', new Uint8Array(100)), BufferFullError);
    assert.equal(ctx.client.stats().waiting, 1);
});

test('GOAWAY: nothing new goes on that connection, the next endpoint is tried at once', async () => {
    const ctx = await start({ url: ['ws://one/conduit', 'ws://two/conduit'] });
    ctx.sock.deliver({ type: 'GOAWAY', code: 503, drainMillis: 1000, reason: 'stopping', alternates: ['tcp://x:1', 'ws://three/conduit'] });
    ctx.client.publish('a', 'after goaway');
    await tick();
    assert.deepEqual(ctx.sock.take(), []);
    ctx.sock.drop();
    assert.deepEqual(ctx.timers.pending()[0], 0);
    ctx.timers.advance(0);
    assert.equal(ctx.net.last().url, 'ws://two/conduit');
});

test('GAP is reported as slowConsumer; a server ERROR as error; a fatal one ends the connection', async () => {
    const ctx = await start();
    const sub = ctx.client.subscribe('a', () => {});
    ctx.sock.deliver({ type: 'GAP', subscriptionId: sub.id, dropped: 17 }, { type: 'ERROR', code: 422, fatal: false, message: 'bad subject' });
    await tick();
    assert.deepEqual(ctx.sock.take().filter((f) => f.type === 'ACK'), [{ type: 'ACK', sequence: 1 }]);
    assert.deepEqual(ctx.events.map((e) => e[0]), ['slowConsumer', 'error']);
    assert.equal(ctx.events[0][1].dropped, 17);
    assert.equal(ctx.events[0][1].subscription, sub);
    assert.equal(ctx.events[1][1].code, 422);
    assert.equal(ctx.sock.closedByClient, false);
    ctx.sock.deliver({ type: 'ERROR', code: 429, fatal: true, message: 'slow' });
    assert.equal(ctx.sock.closedByClient, true);
});

test('a frame servers do not send, or undecodable bytes, end the connection', async () => {
    const ctx = await start();
    ctx.sock.deliver({ type: 'SUBSCRIBE', subscriptionId: 1, pattern: 'a', queueGroup: '', disconnectWhenSlow: false });
    assert.equal(ctx.sock.closedByClient, true);
    const ctx2 = await start();
    ctx2.sock.onmessage({ data: new Uint8Array([0, 0, 0, 2, 0x7f, 0]).buffer });
    assert.equal(ctx2.sock.closedByClient, true);
    assert.match(ctx2.events[0][1].reason, /unknown frame type/);
});

test('connect rejects when the server refuses the handshake', async () => {
    const net = new FakeNet();
    const timers = new ManualTimers();
    const p = connect({ url: 'ws://test/conduit', WebSocket: net.WebSocket, timers, token: 'wrong' });
    net.last().open();
    net.last().deliver({ type: 'ERROR', code: 401, fatal: true, message: 'bad credentials' });
    net.last().drop();
    await assert.rejects(p, /401/);
    const net2 = new FakeNet();
    const p2 = connect({ url: 'ws://test/conduit', WebSocket: net2.WebSocket, timers, connectTimeoutMs: 50 });
    net2.last().open();
    timers.advance(50);
    await assert.rejects(p2, /no WELCOME/);
});

test('close lets requests in flight be answered, waits for confirmation, says GOAWAY 200', async () => {
    const ctx = await start();
    ctx.client.subscribe('a', () => {});
    ctx.client.publish('a', 'x');
    const req = ctx.client.request('svc', 'x', { timeoutMs: 60000 });
    const closing = ctx.client.close();
    await tick();
    assert.throws(() => ctx.client.publish('a', 'y'), ClosedError);
    const sent = ctx.sock.take();
    assert.deepEqual(sent.map((f) => f.type), ['SUBSCRIBE', 'PUBLISH', 'SUBSCRIBE', 'PUBLISH', 'UNSUBSCRIBE']);
    ctx.sock.deliver(message(1, sent[2].subscriptionId, sent[3].replyTo, 'answer'));
    assert.equal((await req).text(), 'answer');
    await tick();
    assert.deepEqual(ctx.sock.take().map((f) => f.type).filter((t) => t !== 'CREDIT'), ['ACK'], 'no GOAWAY before the server confirmed');
    ctx.sock.deliver({ type: 'ACK', sequence: 5 });
    await closing;
    assert.deepEqual(ctx.sock.take().map((f) => [f.type, f.code]), [['GOAWAY', 200]]);
    assert.equal(ctx.sock.closedByClient, true);
    assert.equal(ctx.client.state, 'closed');
    assert.deepEqual(ctx.events.map((e) => e[0]), ['closed']);
    assert.deepEqual(ctx.timers.pending(), [], 'no timer left behind');
});

test('close gives up after closeTimeoutMs: what is unanswered or unconfirmed fails', async () => {
    const ctx = await start({ closeTimeoutMs: 1000 });
    ctx.client.publish('a', 'x');
    const req = ctx.client.request('svc', 'x', { timeoutMs: 60000 });
    req.catch(() => {});
    const closing = ctx.client.close();
    await tick();
    ctx.timers.advance(1000);
    await tick();
    ctx.timers.advance(0);
    await closing;
    await assert.rejects(req, ClosedError);
    assert.deepEqual(ctx.events.find((e) => e[0] === 'closed')[1].unconfirmed.map((u) => [u.subject, text(u.data)]), [['a', 'x']]);
    assert.deepEqual(ctx.timers.pending(), []);
});

test('listeners given to connect hear the first connected', async () => {
    const heard = [];
    await start({ on: { connected: (info) => heard.push(info.sessionId) } });
    assert.deepEqual(heard, ['sess1']);
});

test('options are validated', async () => {
    const net = new FakeNet();
    await assert.rejects(connect({ url: 'ws://x', WebSocket: net.WebSocket, reconnect: { jitter: 2 } }), /jitter/);
    await assert.rejects(connect({ url: 'ws://x', WebSocket: net.WebSocket, requestTimeoutMs: -1 }), InvalidArgumentError);
    await assert.rejects(connect(/** @type {any} */ ({ url: 'ws://x' })), /no WebSocket class/);
    await assert.rejects(connect({ url: 'tcp://127.0.0.1:7440', WebSocket: net.WebSocket }), /not a ws:\/\/ or wss:\/\/ URL/);
    assert.equal(net.sockets.length, 0);
});

test('a MESSAGE that skips sequence numbers ends the connection (the resume then sorts it out)', async () => {
    const ctx = await start();
    const sub = ctx.client.subscribe('a', () => {});
    ctx.sock.deliver(message(1, sub.id, 'a', 'x'), message(3, sub.id, 'a', 'y'));
    assert.equal(ctx.sock.closedByClient, true);
    assert.match(ctx.events[0][1].reason, /frames are missing/);
});

test('the limits announced in WELCOME are kept before sending', async () => {
    const { client, sock } = await start({}, { maxPayload: 10, maxHeader: 8, maxSubject: 4 });
    client.publish('abcd', new Uint8Array(10), { headers: { k: 'v' } });
    assert.throws(() => client.publish('abcd', new Uint8Array(11)), (e) => e instanceof InvalidArgumentError && e.code === 414);
    assert.throws(() => client.publish('abcde', 'x'), (e) => e instanceof InvalidArgumentError && e.code === 422);
    assert.throws(() => client.publish('abcd', 'x', { headers: { kk: 'v' } }), (e) => e instanceof InvalidArgumentError && e.code === 431);
    assert.throws(() => client.subscribe('a.>>', () => {}), InvalidArgumentError);
    assert.throws(() => client.subscribe('abcde', () => {}), InvalidArgumentError);
    await tick();
    assert.deepEqual(sock.take().map((f) => f.type), ['PUBLISH']);
});

// -------------------------------------------------------------------------------------------------
// Credentials: renewal (AUTH, AUTH_OK) and the server's authentication and permission errors

/** A supplier of JWTs 'jwt-1', 'jwt-2', ... that records each call. */
function jwtSupplier() {
    const supplier = () => ({ scheme: 'jwt', credentials: `jwt-${++supplier.calls}` });
    supplier.calls = 0;
    return supplier;
}

const auths = (frames) => frames.filter((f) => f.type === 'AUTH').map((f) => [f.authScheme, text(f.credentials)]);

test('expiring credentials are renewed with AUTH at four fifths of their validity; AUTH_OK plans the next renewal', async () => {
    const credentials = jwtSupplier();
    const ctx = await start({ credentials }, { credentialsValidMs: 60000 });
    const { client, sock, timers } = ctx;
    assert.deepEqual([ctx.hello.authScheme, text(ctx.hello.credentials)], ['jwt', 'jwt-1']);
    assert.equal(client.info?.credentialsValidMs, 60000);
    assert.deepEqual(timers.pending(), [48000]);
    timers.advance(47999);
    await tick();
    assert.deepEqual(sock.take(), [], 'nothing before four fifths');
    timers.advance(1);
    await tick();
    assert.deepEqual(auths(sock.take()), [['jwt', 'jwt-2']]);
    assert.deepEqual(timers.pending(), [], 'one AUTH per renewal: the next waits for AUTH_OK');
    sock.deliver({ type: 'AUTH_OK', credentialsValidMs: 10000 });
    assert.deepEqual(ctx.events, [['renewed', { credentialsValidMs: 10000 }]]);
    assert.deepEqual(timers.pending(), [8000]);
    timers.advance(8000);
    await tick();
    assert.deepEqual(auths(sock.take()), [['jwt', 'jwt-3']]);
    sock.deliver({ type: 'AUTH_OK', credentialsValidMs: 0 });
    assert.deepEqual(timers.pending(), [], 'credentials that no longer expire are not renewed');
    assert.equal(credentials.calls, 3);
    assert.equal(sock.closedByClient, false);
});

test('credentials that do not expire are not renewed; closing leaves no renewal timer behind', async () => {
    const plain = await start({ token: 's3cret' });
    assert.equal(plain.client.info?.credentialsValidMs, 0);
    assert.deepEqual(plain.timers.pending(), []);
    const expiring = await start({ jwt: 'a.b.c' }, { credentialsValidMs: 1000 });
    assert.equal(expiring.hello.authScheme, 'jwt');
    assert.deepEqual(expiring.timers.pending(), [800]);
    await expiring.client.close();
    assert.deepEqual(expiring.timers.pending(), []);
});

test('a supplier that returns a promise: HELLO and AUTH wait for it', async () => {
    const net = new FakeNet();
    const timers = new ManualTimers();
    let calls = 0;
    const credentials = async () => ({ scheme: 'jwt', credentials: new TextEncoder().encode(`async-${++calls}`) });
    const promise = connect({ url: 'ws://test/conduit', WebSocket: net.WebSocket, timers, credentials });
    const sock = net.last();
    sock.open();
    assert.deepEqual(sock.take(), [], 'no HELLO before the supplier answered');
    await tick();
    const [hello] = sock.take();
    assert.deepEqual([hello.type, hello.authScheme, text(hello.credentials)], ['HELLO', 'jwt', 'async-1']);
    sock.deliver(welcome({ credentialsValidMs: 1000 }));
    const client = await promise;
    timers.advance(800);
    await tick();
    assert.deepEqual(auths(sock.take()), [['jwt', 'async-2']]);
    await client.close();
});

test('a supplier that fails: connect rejects; a failed renewal is reported and tried again when half of the time left has passed', async () => {
    const net = new FakeNet();
    const timers = new ManualTimers();
    const p = connect({ url: 'ws://test/conduit', WebSocket: net.WebSocket, timers, credentials: () => Promise.reject(new Error('identity provider down')) });
    net.last().open();
    await assert.rejects(p, /credentials supplier failed: identity provider down/);
    const junk = connect({ url: 'ws://test/conduit', WebSocket: net.WebSocket, timers, credentials: () => /** @type {any} */ ({ scheme: 'jwt' }) });
    net.last().open();
    await assert.rejects(junk, /the credentials supplier: the credentials must be a string or a Uint8Array/);

    let failing = true;
    let calls = 0;
    const ctx = await start({ credentials: () => {
        calls++;
        if (calls > 1 && failing) {
            throw new Error('identity provider down');
        }
        return { scheme: 'jwt', credentials: `jwt-${calls}` };
    } }, { credentialsValidMs: 10000 });
    ctx.timers.advance(8000);
    await tick();
    assert.deepEqual(ctx.sock.take(), []);
    assert.equal(ctx.events.length, 1);
    assert.equal(ctx.events[0][0], 'error');
    assert.match(ctx.events[0][1].message, /cannot renew the credentials: the credentials supplier failed: identity provider down/);
    assert.deepEqual(ctx.timers.pending(), [1000], 'half of the 2000 ms left');
    ctx.timers.advance(1000);
    await tick();
    assert.deepEqual(ctx.timers.pending(), [500]);
    failing = false;
    ctx.timers.advance(500);
    await tick();
    assert.deepEqual(auths(ctx.sock.take()), [['jwt', 'jwt-4']]);
    assert.equal(ctx.sock.closedByClient, false);
});

test('a validity longer than a timer can wait is waited in pieces', async () => {
    const validMs = 5_000_000_000; // 58 days; renewal after 4e9 ms, beyond a timer's 2^31 - 1
    const { sock, timers } = await start({ credentials: jwtSupplier() }, { credentialsValidMs: validMs });
    assert.deepEqual(timers.pending(), [2 ** 31 - 1]);
    timers.advance(2 ** 31 - 1);
    await tick();
    assert.deepEqual(sock.take(), []);
    assert.deepEqual(timers.pending(), [4_000_000_000 - (2 ** 31 - 1)]);
    timers.advance(timers.pending()[0]);
    await tick();
    assert.deepEqual(auths(sock.take()), [['jwt', 'jwt-2']]);
});

test('on reconnect the HELLO carries the current credentials, and the renewal follows the new WELCOME', async () => {
    const credentials = jwtSupplier();
    const ctx = await start({ credentials }, { credentialsValidMs: 60000 });
    const first = ctx.sock;
    ctx.timers.advance(30000);
    const hello = await reconnect(ctx);
    assert.deepEqual([hello.authScheme, text(hello.credentials), text(hello.resumeToken)], ['jwt', 'jwt-2', 'token-of-sess1']);
    ctx.sock.deliver(welcome({ resumed: true, credentialsValidMs: 5000 }));
    assert.equal(ctx.client.info?.credentialsValidMs, 5000);
    assert.deepEqual(ctx.timers.pending(), [4000], 'the dropped connection renews nothing');
    ctx.timers.advance(4000);
    await tick();
    assert.deepEqual(auths(ctx.sock.take()), [['jwt', 'jwt-3']]);
    assert.deepEqual(first.take(), []);
});

for (const [code, message] of [[419, 'the credentials of alice expired at 2026-01-01T00:00:00Z'], [401, 'authentication failed']]) {
    test(`ERROR ${code} after WELCOME ends the connection; the client reconnects with fresh credentials, in a new session`, async () => {
        const credentials = jwtSupplier();
        const ctx = await start({ credentials }, { credentialsValidMs: 1000 });
        ctx.sock.deliver({ type: 'ERROR', code, fatal: true, message });
        assert.equal(ctx.sock.closedByClient, true);
        assert.equal(ctx.client.state, 'reconnecting');
        assert.deepEqual(ctx.events.map((e) => e[0]), ['disconnected', 'error']);
        assert.match(ctx.events[0][1].reason, new RegExp(`server error ${code} \\(fatal\\)`));
        assert.ok(ctx.events[1][1] instanceof ServerError && ctx.events[1][1].code === code);
        ctx.timers.advance(ctx.timers.pending()[0]);
        const next = ctx.net.last();
        next.open();
        const [hello] = next.take();
        assert.equal(text(hello.credentials), 'jwt-2');
        next.deliver({ type: 'ERROR', code: 410, fatal: false, message: 'session ended' }, welcome({ sessionId: 'sess2', credentialsValidMs: 1000 }));
        assert.deepEqual(ctx.events.map((e) => e[0]), ['disconnected', 'error', 'reconnected', 'sessionLost']);
        assert.deepEqual(ctx.timers.pending(), [800]);
    });
}

test('ERROR 403: a denied subscribe ends the subscription, a denied request fails at once, a denied publish is reported', async () => {
    const ctx = await start({ token: 'alice-token' });
    const { client, sock } = ctx;
    const secret = client.subscribe('secret.>', () => {});
    const allowed = client.subscribe('public.>', () => {});
    const denied = client.request('svc.secret', 'x', { timeoutMs: 60000 });
    const other = client.request('svc.open', 'x', { timeoutMs: 60000 });
    let otherSettled = false;
    other.then(() => { otherSettled = true; }, () => { otherSettled = true; });
    await tick();
    const inbox = sock.take().find((f) => f.type === 'SUBSCRIBE' && f.pattern.startsWith('_INBOX.'));
    sock.deliver({ type: 'ERROR', code: 403, fatal: false, message: "permission denied: subscribe to 'secret.>' (principal alice)" },
        { type: 'ERROR', code: 403, fatal: false, message: "permission denied: publish to 'svc.secret' (principal alice)" },
        { type: 'ERROR', code: 403, fatal: false, message: "permission denied: publish to 'news' (principal alice)" });
    assert.equal(secret.active, false);
    assert.equal(secret.error?.code, 403);
    assert.equal(allowed.active, true);
    assert.equal(allowed.error, null);
    await assert.rejects(denied, (e) => e instanceof ServerError && e.code === 403 && /svc\.secret/.test(e.message));
    await tick();
    assert.equal(otherSettled, false, 'only the denied request fails');
    assert.deepEqual(ctx.events.map((e) => [e[0], e[1].code]), [['error', 403], ['error', 403], ['error', 403]]);
    assert.equal(sock.closedByClient, false, '403 is not fatal');
    // Messages for the ended subscription are dropped; nothing is sent for it.
    sock.deliver(message(1, secret.id, 'secret.x', 'late'));
    await tick();
    assert.deepEqual(sock.take(), [{ type: 'ACK', sequence: 1 }]);
    // A denied inbox fails the requests waiting for a reply.
    sock.deliver({ type: 'ERROR', code: 403, fatal: false, message: `permission denied: subscribe to '${inbox.pattern}' (principal alice)` });
    await assert.rejects(other, (e) => e instanceof ServerError && e.code === 403);
});

test('credential options: token, jwt and credentials exclude each other and are checked', async () => {
    const net = new FakeNet();
    await assert.rejects(connect({ url: 'ws://x', WebSocket: net.WebSocket, token: 't', jwt: 'a.b.c' }), /token and jwt exclude each other/);
    await assert.rejects(connect({ url: 'ws://x', WebSocket: net.WebSocket, jwt: 'a.b.c', credentials: () => ({ scheme: 'jwt', credentials: 'x' }) }), InvalidArgumentError);
    await assert.rejects(connect({ url: 'ws://x', WebSocket: net.WebSocket, credentials: /** @type {any} */ ('secret') }), /must give \{ scheme, credentials \}/);
    await assert.rejects(connect({ url: 'ws://x', WebSocket: net.WebSocket, token: 'x'.repeat(65536) }), /65535 bytes/);
    assert.equal(net.sockets.length, 0);
    const fixed = await start({ credentials: { scheme: 'custom', credentials: new Uint8Array([1, 2, 3]) } });
    assert.deepEqual([fixed.hello.authScheme, [...fixed.hello.credentials]], ['custom', [1, 2, 3]]);
    const custom = await start({ token: 'k', authScheme: 'apikey' });
    assert.deepEqual([custom.hello.authScheme, text(custom.hello.credentials)], ['apikey', 'k']);
});

test('AUTH_OK before WELCOME is a protocol violation', async () => {
    const net = new FakeNet();
    const timers = new ManualTimers();
    const p = connect({ url: 'ws://test/conduit', WebSocket: net.WebSocket, timers, token: 't' });
    net.last().open();
    net.last().deliver({ type: 'AUTH_OK', credentialsValidMs: 1000 });
    assert.equal(net.last().closedByClient, true);
    await assert.rejects(p, /AUTH_OK frame before WELCOME/);
});

test('a reliable subscription asks for its credit and reports it; a lossy one does not; GAP ENDED ends it', async () => {
    const { client, sock } = await start();
    const reliable = client.subscribe('r', () => {});
    const lossy = client.subscribe('l', () => {}, { lossy: true });
    await tick();
    const subs = sock.take().filter((f) => f.type === 'SUBSCRIBE');
    assert.deepEqual(subs.map((f) => [f.pattern, f.creditMessages, f.creditBytes]), [['r', 65536, 8388608], ['l', 0, 0]]);
    sock.deliver(message(1, lossy.id, 'l', 'x'), message(2, reliable.id, 'r', 'abcd'));
    await tick();
    assert.deepEqual(sock.take().filter((f) => f.type === 'CREDIT'),
        [{ type: 'CREDIT', subscriptionId: reliable.id, consumedMessages: 1, consumedBytes: 4 }]);
    const events = [];
    client.on('slowConsumer', (e) => events.push(e));
    sock.deliver({ type: 'GAP', subscriptionId: reliable.id, dropped: 7, ended: true });
    await tick();
    assert.equal(reliable.active, false);
    assert.equal(reliable.error?.code, 429);
    assert.deepEqual(events.map((e) => [e.subscription, e.dropped, e.ended]), [[reliable, 7, true]]);
});

test('an ACK at or below one already received is ignored; an ACK of a frame never sent drops the connection', async () => {
    const { client, sock } = await start();
    client.publish('a', '1');
    client.publish('a', '2');
    await tick();
    sock.take();
    sock.deliver({ type: 'ACK', sequence: 2 });
    assert.equal(client.stats().unacked, 0);
    assert.equal(client.stats().bufferedBytes, 0);
    sock.deliver({ type: 'ACK', sequence: 1 }, { type: 'ACK', sequence: 2 });
    assert.equal(sock.closedByClient, false, 'stale: confirms nothing new (protocol.md 7a)');
    client.publish('a', '3');
    await tick();
    assert.equal(client.stats().unacked, 1);
    sock.deliver({ type: 'ACK', sequence: 4 });
    assert.equal(sock.closedByClient, true, 'frame 4 was never sent');
});

test('a new session moves the request inbox to its prefix, also when the inbox SUBSCRIBE has not been sent yet', async () => {
    const ctx = await start();
    const { client } = ctx;
    ctx.sock.drop();
    const r = client.request('svc', 'x', { timeoutMs: 60000 });
    ctx.timers.advance(ctx.timers.pending()[0]);
    const next = ctx.net.last();
    next.open();
    next.take();
    next.deliver({ type: 'ERROR', code: 410, fatal: false, message: 'session expired' },
        welcome({ sessionId: 'sess2', inboxPrefix: '_INBOX.sess2.', resumeToken: new TextEncoder().encode('token-of-sess2') }));
    await assert.rejects(r, SessionLostError);
    await tick();
    const inboxes = next.take().filter((f) => f.type === 'SUBSCRIBE');
    assert.deepEqual(inboxes.map((f) => f.pattern), ['_INBOX.sess2.*']);
    const r2 = client.request('svc', 'y', { timeoutMs: 60000 });
    await tick();
    const [publish] = next.take();
    assert.equal(publish.replyTo, '_INBOX.sess2.2');
    next.deliver(message(1, inboxes[0].subscriptionId, '_INBOX.sess2.2', 'reply'));
    assert.equal((await r2).text(), 'reply');
    next.drop();
    ctx.timers.advance(ctx.timers.pending()[0]);
    ctx.net.last().open();
    const [hello] = ctx.net.last().take();
    assert.equal(text(hello.resumeToken), 'token-of-sess2', 'the latest WELCOME\'s token');
});

test('WELCOME alternates join the rotation after the own endpoints (ws only, once, bounded); a GOAWAY then moves to one', async () => {
    const ctx = await start({ url: ['ws://one/conduit'] },
        { alternates: ['tcp://n2:7440', 'ws://n2:7480', 'ws://n2:7480/conduit', 'ws://one/conduit'] });
    ctx.sock.deliver({ type: 'GOAWAY', code: 503, drainMillis: 1000, reason: 'stopping', alternates: [] });
    ctx.sock.drop();
    ctx.timers.advance(0);
    assert.equal(ctx.net.last().url, 'ws://n2:7480/conduit');

    for (let i = 0; i < 100; i++) {
        ctx.client._learn([`ws://m${i}/conduit`]);
    }
    const endpoints = ctx.client._endpoints;
    assert.equal(endpoints.length, 1 + 64);
    assert.equal(endpoints[0], 'ws://one/conduit');
    assert.equal(endpoints[endpoints.length - 1], 'ws://m99/conduit');
    assert.ok(!endpoints.includes('ws://n2:7480/conduit'), 'the oldest learned is forgotten');
});

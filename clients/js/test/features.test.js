// for await over a subscription (a reliable one's credit bounded by its buffer; a lossy one's
// acknowledgements held back past its buffer), AbortSignal for
// requests, reconnect on 'online', the default path, and the error for a refused origin: against an
// in-memory WebSocket and a manual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, AbortError, OriginNotAllowedError, ConduitError, InvalidArgumentError } from '../src/index.js';
import { socketError } from '../src/link.js';
import { FakeNet, ManualTimers, tick, welcome, message } from './fakes.js';

async function start(options = {}) {
    const net = new FakeNet();
    const timers = new ManualTimers();
    const promise = connect({ url: 'ws://test/conduit', WebSocket: net.WebSocket, timers, random: () => 0, closeTimeoutMs: 0, ...options });
    const sock = net.last();
    sock.open();
    sock.take();
    sock.deliver(welcome());
    const client = await promise;
    return { net, timers, client, sock };
}

const acks = (frames) => frames.filter((f) => f.type === 'ACK').map((f) => f.sequence);

test('for await takes the messages in order and ends when the subscription does', async () => {
    const { client, sock } = await start();
    const sub = client.subscribe('a.>');
    assert.equal(sub.iterable, true);
    await tick();
    sock.take();
    sock.deliver(message(1, sub.id, 'a.1', 'one'), message(2, sub.id, 'a.2', 'two'));
    sub.unsubscribeAfter(1);
    const got = [];
    const loop = (async () => {
        for await (const m of sub) {
            got.push(m.text());
        }
    })();
    await tick();
    assert.deepEqual(got, ['one', 'two'], 'buffered messages first');
    sock.deliver(message(3, sub.id, 'a.3', 'three'));
    await loop;
    assert.deepEqual(got, ['one', 'two', 'three'], 'the loop ended after the limit (3 = 2 received + 1)');
    assert.equal(sub.active, false);
    assert.throws(() => client.subscribe('b', () => {})[Symbol.asyncIterator](), InvalidArgumentError);
});

test('a reliable loop grants its buffer as credit, reports what the loop takes, and acknowledges at once', async () => {
    const { net, timers, client, sock } = await start();
    const sub = client.subscribe('a', { bufferSize: 4 });
    await tick();
    const [subscribe] = sock.take();
    assert.deepEqual([subscribe.creditMessages, subscribe.creditBytes], [4, 8 * 1024 * 1024], 'the window is the buffer');
    sock.deliver(message(1, sub.id, 'a', '1'), message(2, sub.id, 'a', '22'), message(3, sub.id, 'a', '3'), message(4, sub.id, 'a', '4'));
    await tick();
    assert.deepEqual(sock.take(), [{ type: 'ACK', sequence: 4 }], 'buffered is not taken: no credit yet, but all acknowledged');
    const it = sub[Symbol.asyncIterator]();
    const credits = () => sock.take().filter((f) => f.type === 'CREDIT').map((f) => [f.consumedMessages, f.consumedBytes]);
    assert.equal((await it.next()).value?.text(), '1');
    await tick();
    assert.deepEqual(credits(), [], 'less than half the window taken');
    assert.equal((await it.next()).value?.text(), '22');
    await tick();
    assert.deepEqual(credits(), [[2, 3]], 'half the window taken');
    await it.next();
    await it.next();
    await tick();
    assert.deepEqual(credits(), [[4, 5]], 'the buffer ran empty');
    // A loop waiting when a message arrives takes it at once; reported with the read's ACK.
    const waiting = it.next();
    sock.deliver(message(5, sub.id, 'a', '5'));
    assert.equal((await waiting).value?.text(), '5');
    await tick();
    assert.deepEqual(sock.take(), [{ type: 'CREDIT', subscriptionId: sub.id, consumedMessages: 5, consumedBytes: 6 }, { type: 'ACK', sequence: 5 }]);
    // A new session: what the buffer still holds from the old one is taken from the window.
    sock.deliver(message(6, sub.id, 'a', '6'), message(7, sub.id, 'a', '77'), message(8, sub.id, 'a', '8'));
    sock.drop();
    timers.advance(timers.pending()[0]);
    const next = net.last();
    next.open();
    next.take();
    next.deliver({ type: 'ERROR', code: 410, fatal: false, message: 'session expired' }, welcome({ sessionId: 'sess2' }));
    await tick();
    const again = next.take().find((f) => f.type === 'SUBSCRIBE');
    assert.deepEqual([again.subscriptionId, again.creditMessages, again.creditBytes], [sub.id, 1, 8 * 1024 * 1024 - 4]);
    assert.equal((await it.next()).value?.text(), '6');
    await tick();
    assert.deepEqual(next.take(), [{ type: 'CREDIT', subscriptionId: sub.id, consumedMessages: 1, consumedBytes: 1 }],
        'counted from 0 in the new session');
    assert.equal(sub.buffered, 2, 'nothing dropped');
});

test('creditMessages and creditBytes set the window; disconnectWhenSlow makes a subscription lossy', async () => {
    const { client, sock } = await start({ creditMessages: 10, creditBytes: 1000 });
    client.subscribe('a', () => {});
    client.subscribe('b', () => {}, { disconnectWhenSlow: true });
    client.subscribe('c', { bufferSize: 50 });
    await tick();
    assert.deepEqual(sock.take().map((f) => [f.pattern, f.disconnectWhenSlow, f.creditMessages, f.creditBytes]),
        [['a', false, 10, 1000], ['b', true, 0, 0], ['c', false, 10, 1000]]);
    const options = { url: 'ws://test/conduit', WebSocket: new FakeNet().WebSocket, timers: new ManualTimers() };
    await assert.rejects(connect({ ...options, creditMessages: 0 }), InvalidArgumentError);
    await assert.rejects(connect({ ...options, creditBytes: 2 ** 32 }), InvalidArgumentError);
});

test('past bufferSize, a lossy loop keeps messages but does not acknowledge them until the loop takes them', async () => {
    const { client, sock } = await start();
    const sub = client.subscribe('a', { bufferSize: 2, lossy: true });
    await tick();
    sock.take();
    sock.deliver(message(1, sub.id, 'a', '1'), message(2, sub.id, 'a', '2'), message(3, sub.id, 'a', '3'), message(4, sub.id, 'a', '4'));
    await tick();
    assert.deepEqual(acks(sock.take()), [2], 'two fit the buffer; 3 and 4 are held back');
    assert.equal(sub.buffered, 4, 'nothing dropped');
    const it = sub[Symbol.asyncIterator]();
    assert.equal((await it.next()).value?.text(), '1');
    await tick();
    assert.deepEqual(acks(sock.take()), [3], 'one taken: one more fits');
    assert.equal((await it.next()).value?.text(), '2');
    await tick();
    assert.deepEqual(acks(sock.take()), [4]);
    assert.equal((await it.next()).value?.text(), '3');
    await tick();
    assert.deepEqual(acks(sock.take()), [], 'nothing more to acknowledge');
    // A handler subscription beside it is acknowledged only up to what the loop holds back.
    const other = client.subscribe('b', () => {}, { lossy: true });
    await tick();
    sock.take();
    sock.deliver(message(5, sub.id, 'a', '5'), message(6, sub.id, 'a', '6'), message(7, other.id, 'b', 'x'));
    await tick();
    assert.deepEqual(acks(sock.take()), [5], '4 and 5 fill the buffer; 6 is held back and 7 behind it');
    await it.return?.();
    await tick();
    assert.deepEqual(acks(sock.take()), [7], 'leaving the loop unsubscribes and releases what it held');
    assert.equal(sub.active, false);
});

test('a loop waiting on a subscription the server refused throws its error; close ends loops', async () => {
    const { client, sock } = await start();
    const denied = client.subscribe('secret.>');
    const kept = client.subscribe('ok');
    const deniedLoop = (async () => { for await (const m of denied) { void m; } })();
    const keptLoop = (async () => { const got = []; for await (const m of kept) { got.push(m.text()); } return got; })();
    await tick();
    sock.deliver({ type: 'ERROR', code: 403, fatal: false, message: "permission denied: subscribe to 'secret.>' (principal p)" });
    await assert.rejects(deniedLoop, (e) => e instanceof ConduitError && e.code === 403);
    assert.equal(denied.error?.code, 403, 'the subscription still says why it ended');
    assert.deepEqual(await denied[Symbol.asyncIterator]().next(), { value: undefined, done: true }, 'thrown once');
    sock.deliver(message(1, kept.id, 'ok', 'last'));
    client.on('error', () => {});
    const closing = client.close();
    sock.drop();
    await closing;
    assert.deepEqual(await keptLoop, ['last']);
});

test('request with an AbortSignal: aborted before sending is never sent, after sending the reply is ignored', async () => {
    const { client, sock } = await start();
    const already = new AbortController();
    already.abort('no longer needed');
    await assert.rejects(client.request('svc', 'x', { signal: already.signal }),
        (e) => e instanceof AbortError && e.name === 'AbortError' && e.cause === 'no longer needed');
    const sent = new AbortController();
    const r1 = client.request('svc', 'one', { signal: sent.signal, timeoutMs: 60000 });
    await tick();
    const frames = sock.take();
    const inbox = frames.find((f) => f.type === 'SUBSCRIBE');
    const publish = frames.find((f) => f.type === 'PUBLISH');
    sent.abort();
    await assert.rejects(r1, AbortError);
    sock.deliver(message(1, inbox.subscriptionId, publish.replyTo, 'late'));
    assert.equal(client.stats().requestsInFlight, 0);
    // While disconnected the request waits; aborting withdraws it, so it is never sent.
    sock.drop();
    const before = client.stats().bufferedBytes;
    const waiting = new AbortController();
    const r2 = client.request('svc', 'two', { signal: waiting.signal, timeoutMs: 60000 });
    assert.equal(client.stats().waiting, 1);
    waiting.abort();
    await assert.rejects(r2, AbortError);
    assert.equal(client.stats().waiting, 0, 'withdrawn');
    assert.equal(client.stats().bufferedBytes, before, 'its bytes no longer count against the bound');
});

test("'online' makes a client waiting out its backoff reconnect at once", async () => {
    const network = new EventTarget();
    const { net, timers, sock, client } = await start({ networkEvents: network, reconnect: { initialDelayMs: 60000, maxDelayMs: 60000, jitter: 0 } });
    sock.drop();
    assert.equal(net.sockets.length, 1, 'waiting 60 s before trying again');
    assert.deepEqual(timers.pending(), [60000]);
    network.dispatchEvent(new Event('online'));
    assert.equal(net.sockets.length, 2, 'tried at once');
    assert.deepEqual(timers.pending().filter((t) => t === 60000), [], 'the backoff timer is gone');
    network.dispatchEvent(new Event('online'));
    assert.equal(net.sockets.length, 2, 'not while an attempt is under way');
    client.on('closed', () => {});
    await client.close();
    network.dispatchEvent(new Event('online'));
    assert.equal(net.sockets.length, 2, 'not after close');
});

test('ws://host:port without a path means /conduit', async () => {
    const net = new FakeNet();
    const p = connect({ url: ['ws://127.0.0.1:7480', 'wss://h.example/', 'ws://h:1/custom'], WebSocket: net.WebSocket,
        timers: new ManualTimers(), retryInitialConnect: true, closeTimeoutMs: 0 });
    assert.equal(net.last().url, 'ws://127.0.0.1:7480/conduit');
    net.last().open();
    net.last().deliver(welcome());
    const client = await p;
    assert.deepEqual(client._endpoints, ['ws://127.0.0.1:7480/conduit', 'wss://h.example/conduit', 'ws://h:1/custom']);
    await client.close();
});

test('a 403 refusal of the upgrade is OriginNotAllowedError; a browser gets a message naming the origin', async () => {
    const net = new FakeNet();
    const p = connect({ url: 'ws://test:7480', WebSocket: net.WebSocket, timers: new ManualTimers() });
    net.last().onerror?.({ message: 'Unexpected server response: 403' });
    net.last().drop();
    await assert.rejects(p, (e) => e instanceof OriginNotAllowedError && e.code === 403
        && /cannot connect to ws:\/\/test:7480\/conduit: .*origin not allowed/.test(e.message));
    const g = /** @type {any} */ (globalThis);
    const saved = Object.getOwnPropertyDescriptor(g, 'location');
    Object.defineProperty(g, 'location', { value: { origin: 'http://app.example:3000' }, configurable: true });
    try {
        assert.match(socketError('ws://test:7480/conduit', {}, false).message, /refuse this page's origin http:\/\/app\.example:3000 \(origin not allowed/);
        assert.doesNotMatch(socketError('ws://app.example:3000/conduit', {}, false).message, /origin/, 'the page\'s own server');
        assert.doesNotMatch(socketError('ws://test:7480/conduit', {}, true).message, /origin/, 'after it opened');
    } finally {
        if (saved) {
            Object.defineProperty(g, 'location', saved);
        } else {
            delete g.location;
        }
    }
});

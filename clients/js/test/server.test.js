// The client against a real server started by the test (./conduit server, port 0, loopback).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { connect, NoRespondersError, TimeoutError, ServerError } from '../src/index.js';
import { startServer, startProxy, conduit, exited, until } from './harness.js';

/** @type {import('../src/index.js').Client[]} */
const clients = [];

/** @param {string | string[]} url @param {object} [extra] */
async function client(url, extra = {}) {
    const c = await connect({ url, name: 'js-test', WebSocket: /** @type {any} */ (WebSocket), reconnect: { initialDelayMs: 20, maxDelayMs: 200, jitter: 0.5 }, ...extra });
    clients.push(c);
    return c;
}

after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
});

describe('against one server', () => {
    /** @type {import('./harness.js').TestServer} */
    let server;
    before(async () => {
        server = await startServer({ CONDUIT_HEARTBEAT_INTERVAL: '200ms', CONDUIT_HEARTBEAT_MISSES: '3' });
    });
    after(async () => {
        await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
        await server?.stop();
    });

    test('publish and subscribe with wildcards and headers', async () => {
        const sub = await client(server.wsUrl);
        const pub = await client(server.wsUrl);
        /** @type {Record<string, string[]>} */
        const got = { exact: [], star: [], tail: [] };
        sub.subscribe('chat.room1', (m) => got.exact.push(`${m.subject}:${m.text()}:${m.header('K')}`));
        sub.subscribe('chat.*', (m) => got.star.push(m.subject));
        sub.subscribe('chat.>', (m) => got.tail.push(m.subject));
        await sub.flush();
        pub.publish('chat.room1', 'hello', { headers: { k: 'v' } });
        pub.publish('chat.room1.thread', new Uint8Array([1]));
        pub.publish('other', 'x');
        pub.publish('chat.room2', { json: true });
        await pub.flush();
        // chat.> is matched before chat.* (the trie yields '>' first), so wait for the last of both.
        await until(() => got.tail.length === 3 && got.star.length === 2, 'three messages on chat.>, two on chat.*');
        assert.deepEqual(got.exact, ['chat.room1:hello:v']);
        assert.deepEqual(got.star, ['chat.room1', 'chat.room2']);
        assert.deepEqual(got.tail, ['chat.room1', 'chat.room1.thread', 'chat.room2']);
    });

    test('a reliable for await loop: the server sends no more than its buffer, and every message arrives in order', async () => {
        const sub = await client(server.wsUrl);
        const orders = sub.subscribe('orders.*', { bufferSize: 8 });
        await sub.flush();
        const pub = await client(server.wsUrl);
        for (let i = 0; i < 300; i++) {
            pub.publish(`orders.${i % 3}`, String(i));
        }
        await pub.flush();
        const got = [];
        let most = 0;
        for await (const m of orders) {
            most = Math.max(most, orders.buffered + 1);
            got.push(Number(m.text()));
            // A slow loop: let the network in before taking the next one.
            await new Promise((resolve) => setImmediate(resolve));
            if (got.length === 300) {
                break;
            }
        }
        assert.deepEqual(got, Array.from({ length: 300 }, (_, i) => i));
        assert.ok(most <= 8, `the buffer held at most its credit of 8, held ${most}`);
        assert.equal(sub.stats().gaps, 0);
    });

    test('a queue group spreads the work; a plain subscriber still gets every message', async () => {
        const workers = await Promise.all([0, 1, 2].map(() => client(server.wsUrl)));
        const counts = [0, 0, 0];
        let all = 0;
        workers.forEach((w, i) => w.subscribe('jobs.*', () => { counts[i]++; }, { queue: 'workers' }));
        const watcher = await client(server.wsUrl);
        watcher.subscribe('jobs.>', () => { all++; });
        await Promise.all([...workers, watcher].map((w) => w.flush()));
        const pub = await client(server.wsUrl);
        for (let i = 0; i < 30; i++) {
            pub.publish(`jobs.${i}`, String(i));
        }
        await pub.flush();
        await until(() => counts[0] + counts[1] + counts[2] === 30 && all === 30, '30 jobs handled');
        for (const c of counts) {
            assert.ok(c > 0, `every worker got work: ${counts}`);
        }
    });

    test('request/reply: a reply, a timeout, no responders', async () => {
        const responder = await client(server.wsUrl);
        responder.subscribe('svc.echo', (m) => m.respond(`echo ${m.text()}`, { headers: { from: m.header('who') ?? '' } }));
        responder.subscribe('svc.silent', () => {});
        await responder.flush();
        const requester = await client(server.wsUrl, { requestTimeoutMs: 300 });
        const reply = await requester.request('svc.echo', 'ping', { headers: { who: 'js' }, timeoutMs: 5000 });
        assert.equal(reply.text(), 'echo ping');
        assert.equal(reply.header('from'), 'js');
        await assert.rejects(requester.request('svc.silent', 'x'), TimeoutError);
        await assert.rejects(requester.request('svc.nobody', 'x', { timeoutMs: 5000 }), NoRespondersError);
        const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => requester.request('svc.echo', String(i), { timeoutMs: 5000 })));
        assert.deepEqual(replies.map((r) => r.text()), Array.from({ length: 50 }, (_, i) => `echo ${i}`));
    });

    test('interop with the Java command line: ./conduit pub reaches JS, JS reaches ./conduit sub', async () => {
        const js = await client(server.wsUrl);
        const got = [];
        js.subscribe('interop.java', (m) => got.push([m.text(), m.header('lang')]));
        await js.flush();
        const pub = conduit(['pub', '--server', server.tcpUrl, '--header', 'lang=java', '--seq', '--count', '3', 'interop.java', 'hi']);
        assert.equal(await exited(pub, 60000), 0);
        await until(() => got.length === 3, 'three messages from ./conduit pub');
        assert.deepEqual(got, [['1 hi', 'java'], ['2 hi', 'java'], ['3 hi', 'java']]);

        const sub = conduit(['sub', '--server', server.tcpUrl, '--count', '1', 'interop.js']);
        let printed = '';
        sub.stdout?.on('data', (d) => { printed += d; });
        let ready = '';
        sub.stderr?.on('data', (d) => { ready += d; });
        await until(() => ready.includes('subscribed to interop.js'), './conduit sub to subscribe', 60000);
        js.publish('interop.js', 'from javascript ü');
        assert.equal(await exited(sub, 30000), 0);
        assert.equal(printed.trim(), 'from javascript ü');
    });

    test('heartbeats keep an idle connection alive', async () => {
        const idle = await client(server.wsUrl);
        let drops = 0;
        idle.on('disconnected', () => { drops++; });
        assert.equal(idle.info?.heartbeatMs, 200);
        // Six heartbeat intervals pass with no application traffic; each side pings the silent other.
        await until(() => idle.stats().pingsReceived + idle.stats().pongsReceived >= 6, 'six heartbeat exchanges');
        assert.equal(drops, 0);
        assert.equal(idle.state, 'open');
        assert.equal(idle.stats().reconnects, 0);
    });
});

describe('resumption', () => {
    test('through a connection cut mid-stream several times, nothing is lost or duplicated, both ways', async () => {
        const server = await startServer();
        const proxy = await startProxy(server.httpPort); // in front of the HTTP (WebSocket) port
        try {
            const far = await client(proxy.url, { maxBufferedBytes: 64 * 1024 * 1024 });
            const near = await client(server.wsUrl);
            const events = [];
            for (const e of /** @type {const} */ (['resumed', 'sessionLost', 'disconnected'])) {
                far.on(e, () => events.push(e));
            }
            const N = 3000;
            /** @type {number[]} */
            const up = [];
            /** @type {number[]} */
            const down = [];
            near.subscribe('flow.up', (m) => up.push(Number(m.text())));
            near.subscribe('svc.double', (m) => m.respond(String(2 * Number(m.text()))));
            far.subscribe('flow.down', (m) => down.push(Number(m.text())));
            await Promise.all([near.flush(), far.flush()]);
            const replies = [];
            const cutsAt = new Set([300, 900, 1500, 2100, 2700]);
            /** @type {number[]} */
            const inFlightAtCut = [];
            for (let i = 1; i <= N; i++) {
                far.publish('flow.up', String(i));
                near.publish('flow.down', String(i));
                if (i % 30 === 0) {
                    replies.push(far.request('svc.double', String(i), { timeoutMs: 60000 }).then((r) => Number(r.text())));
                }
                if (cutsAt.has(i)) {
                    // Cut only a live, resumed connection, with publishes still unconfirmed in it.
                    await until(() => far.state === 'open', 'the far client to be connected again');
                    far.publish('flow.up', String(++i));
                    near.publish('flow.down', String(i));
                    inFlightAtCut.push(far.stats().unacked);
                    proxy.cut();
                }
                if (i % 50 === 0) {
                    await new Promise((r) => setImmediate(r)); // let frames flow between the cuts
                }
            }
            await far.flush({ timeoutMs: 60000 });
            await near.flush({ timeoutMs: 60000 });
            await until(() => up.length >= N && down.length >= N, 'every message both ways', 60000);
            const doubled = await Promise.all(replies);
            assert.deepEqual(up, Array.from({ length: N }, (_, i) => i + 1), 'far to near: all, once, in order');
            assert.deepEqual(down, Array.from({ length: N }, (_, i) => i + 1), 'near to far: all, once, in order');
            assert.deepEqual(doubled, Array.from({ length: N / 30 }, (_, i) => 60 * (i + 1)));
            assert.equal(proxy.cuts, cutsAt.size);
            assert.equal(events.filter((e) => e === 'sessionLost').length, 0, `events: ${events}`);
            await until(() => far.state === 'open', 'the far client to be connected again');
            assert.equal(events.filter((e) => e === 'resumed').length, cutsAt.size, `events: ${events}`);
            assert.ok(inFlightAtCut.every((n) => n > 0), `unconfirmed frames at each cut: ${inFlightAtCut}`);
            assert.equal(far.stats().sessionsLost, 0);
        } finally {
            await proxy.close();
            await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
            await server.stop();
        }
    });

    test('a restarted server cannot resume: sessionLost, and the subscriptions live on in the new session', async () => {
        const first = await startServer();
        const proxy = await startProxy(first.httpPort);
        let second;
        try {
            const c = await client(proxy.url);
            const got = [];
            c.subscribe('after.restart', (m) => got.push(m.text()));
            await c.flush();
            /** @type {any[]} */
            const lost = [];
            c.on('sessionLost', (l) => lost.push(l));
            await first.stop();
            second = await startServer();
            proxy.retarget(second.httpPort);
            c.publish('after.restart', 'sent while the server was away');
            await until(() => lost.length === 1, 'sessionLost', 30000);
            assert.match(lost[0].reason, /./);
            await c.flush();
            const other = await client(second.wsUrl);
            other.publish('after.restart', 'to the new session');
            await other.flush();
            await until(() => got.length === 2, 'both messages on the remade subscription');
            assert.deepEqual(got.sort(), ['sent while the server was away', 'to the new session'].sort());
        } finally {
            await proxy.close();
            await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
            await first.stop();
            await second?.stop();
        }
    });

    test('a resume window of 0: a cut connection loses the session, and the client carries on in a new one', async () => {
        const server = await startServer({ CONDUIT_RESUME_WINDOW: '0s' });
        const proxy = await startProxy(server.httpPort);
        try {
            const c = await client(proxy.url);
            /** @type {any[]} */
            const lost = [];
            c.on('sessionLost', (l) => lost.push(l));
            c.subscribe('w0', () => {});
            await c.flush();
            proxy.cut();
            await until(() => lost.length === 1, 'sessionLost', 30000);
            assert.equal(c.state, 'open');
            assert.match(lost[0].reason, /resum|session|not/i);
        } finally {
            await proxy.close();
            await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
            await server.stop();
        }
    });
});

describe('authentication', () => {
    const SECRET = 'a shared HS256 secret of at least 32 bytes';
    /** @param {string} token */
    const sha256 = (token) => `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
    /**
     * An HS256 JWT for `sub` that expires in `seconds`.
     * @param {string} sub @param {number} seconds
     */
    const jwt = (sub, seconds) => {
        const part = (/** @type {object} */ o) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, exp: Math.floor(Date.now() / 1000) + seconds })}`;
        return `${signed}.${createHmac('sha256', SECRET).update(signed).digest('base64url')}`;
    };
    /** @type {import('./harness.js').TestServer} */
    let server;
    /** @type {string} */
    let dir;
    before(async () => {
        dir = mkdtempSync(path.join(os.tmpdir(), 'conduit-js-auth-'));
        const config = path.join(dir, 'conduit.yaml');
        // Static tokens are configured by their hash only; bob may use chat.> alone (and his inbox).
        writeFileSync(config, [
            'auth:',
            '  failedAuthDelay: 0s',
            '  tokens:',
            `    - { principal: alice, hash: "${sha256('alice-token')}" }`,
            `    - { principal: bob, hash: "${sha256('bob-token')}" }`,
            '  jwt:',
            '    algorithm: HS256',
            `    secret: "${SECRET}"`,
            'permissions:',
            '  bob:',
            '    publish: { allow: ["chat.>"] }',
            '    subscribe: { allow: ["chat.>"] }',
            '',
        ].join('\n'));
        server = await startServer({}, ['--config', config]);
    });
    after(async () => {
        await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
        await server?.stop();
        rmSync(dir, { recursive: true, force: true });
    });

    test('a client with a static token publishes and subscribes; a wrong token, or none, is refused with 401', async () => {
        const alice = await client(server.wsUrl, { token: 'alice-token' });
        const bob = await client(server.wsUrl, { credentials: () => ({ scheme: 'token', credentials: 'bob-token' }) });
        assert.equal(alice.info?.credentialsValidMs, 0, 'static tokens do not expire');
        const got = [];
        alice.subscribe('chat.>', (m) => got.push(`alice got ${m.text()}`));
        bob.subscribe('chat.room', (m) => got.push(`bob got ${m.text()}`));
        await Promise.all([alice.flush(), bob.flush()]);
        bob.publish('chat.room', 'hi from bob');
        await bob.flush();
        await until(() => got.length === 2, 'both subscribers to get the message');
        assert.deepEqual(got.sort(), ['alice got hi from bob', 'bob got hi from bob']);
        for (const options of [{ token: 'wrong-token' }, {}, { jwt: jwt('alice', -60) }]) {
            await assert.rejects(connect({ url: server.wsUrl, WebSocket: /** @type {any} */ (WebSocket), ...options }),
                (e) => e instanceof Error && /** @type {any} */ (e).code === 401 && /401/.test(e.message), JSON.stringify(options));
        }
    });

    test('permissions: a denied subscribe ends the subscription, a denied request fails with 403, the session goes on', async () => {
        const bob = await client(server.wsUrl, { token: 'bob-token' });
        /** @type {Error[]} */
        const errors = [];
        bob.on('error', (e) => errors.push(e));
        const secret = bob.subscribe('secret.>', () => {});
        await bob.flush();
        await until(() => !secret.active, 'the denied subscription to end');
        assert.equal(secret.error?.code, 403);
        assert.match(secret.error?.message ?? '', /subscribe to 'secret\.>'/);
        await assert.rejects(bob.request('svc.secret', 'x', { timeoutMs: 30000 }),
            (e) => e instanceof ServerError && e.code === 403 && /publish to 'svc\.secret'/.test(e.message));
        const got = [];
        bob.subscribe('chat.ok', (m) => got.push(m.text()));
        await bob.flush();
        bob.publish('chat.ok', 'still here');
        await until(() => got.length === 1, 'a message on an allowed subject');
        assert.equal(bob.state, 'open');
        assert.deepEqual(errors.map((e) => /** @type {any} */ (e).code), [403, 403]);
    });

    test('JWT: expiring credentials are renewed with AUTH and accepted with AUTH_OK; a renewal for another principal is refused', async () => {
        // The renewal timer (four fifths of an hour) is held here and fired by the test: no waiting.
        /** @type {Array<() => void>} */
        const renewals = [];
        const timers = {
            now: () => performance.now(),
            /** @param {() => void} fn @param {number} ms */
            setTimeout: (fn, ms) => (ms >= 600000 ? renewals.push(fn) && null : setTimeout(fn, ms)),
            /** @param {any} h */
            clearTimeout: (h) => clearTimeout(h),
        };
        let subject = 'alice';
        let calls = 0;
        const c = await client(server.wsUrl, { timers, credentials: async () => {
            calls++;
            return { scheme: 'jwt', credentials: jwt(subject, 3600) };
        } });
        /** @type {any[]} */
        const events = [];
        for (const e of /** @type {const} */ (['renewed', 'error', 'disconnected', 'sessionLost'])) {
            c.on(e, (arg) => events.push([e, arg]));
        }
        const validMs = c.info?.credentialsValidMs ?? 0;
        assert.ok(validMs > 3500000 && validMs <= 3600000, `WELCOME announces about an hour: ${validMs}`);
        assert.equal(renewals.length, 1);
        renewals.shift()?.();
        await until(() => events.length > 0, 'AUTH_OK');
        assert.equal(events[0][0], 'renewed', JSON.stringify(events));
        assert.ok(events[0][1].credentialsValidMs > 3500000);
        assert.equal(calls, 2);
        assert.equal(renewals.length, 1, 'the next renewal is planned');
        const got = [];
        c.subscribe('renewed.ok', (m) => got.push(m.text()));
        await c.flush();
        c.publish('renewed.ok', 'after renewal');
        await until(() => got.length === 1, 'a message after the renewal');

        subject = 'mallory';
        renewals.shift()?.();
        await until(() => events.some((e) => e[0] === 'error'), 'the refusal');
        const refusal = events.find((e) => e[0] === 'error')[1];
        assert.ok(refusal instanceof ServerError && refusal.code === 401 && refusal.fatal, String(refusal));
        assert.ok(events.some((e) => e[0] === 'disconnected'));
    });
});

describe('TLS: wss:// with a certificate from ./conduit certs', () => {
    /** @type {import('./harness.js').TestServer} */
    let server;
    /** @type {string} */
    let dir;
    /** @type {Buffer} */
    let ca;
    /**
     * The `ws` class with the test's CA trusted: the client builds its sockets with `new
     * WebSocket(url)`, so the TLS options go in through a subclass (ws's third argument).
     */
    /** @type {any} */
    let TrustingWebSocket;
    before(async () => {
        dir = mkdtempSync(path.join(os.tmpdir(), 'conduit-js-tls-'));
        const certs = conduit(['certs', '--out', dir]);
        let certsOutput = '';
        certs.stdout?.on('data', (d) => { certsOutput += d; });
        certs.stderr?.on('data', (d) => { certsOutput += d; });
        assert.equal(await exited(certs, 120000), 0, `./conduit certs failed: ${certsOutput}`);
        ca = readFileSync(path.join(dir, 'ca.pem'));
        const trusted = ca;
        TrustingWebSocket = class extends WebSocket {
            /** @param {string} url */
            constructor(url) {
                super(url, [], { ca: trusted });
            }
        };
        const config = path.join(dir, 'conduit.yaml');
        writeFileSync(config, ['tls:', '  cert: server.pem', '  key: server-key.pem', ''].join('\n'));
        server = await startServer({}, ['--config', config]);
    });
    after(async () => {
        await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
        await server?.stop();
        rmSync(dir, { recursive: true, force: true });
    });

    test('the server prints tls:// and https:// addresses, and the harness turns them into wss://localhost', () => {
        assert.ok(server.tls);
        assert.match(server.tcpUrl, /^tls:\/\/\S+:\d+$/);
        assert.equal(server.wsUrl, `wss://localhost:${server.httpPort}/conduit`);
    });

    test('a client trusting the CA publishes, subscribes and makes requests over wss://', async () => {
        const sub = await client(server.wsUrl, { WebSocket: TrustingWebSocket });
        const pub = await client(server.wsUrl, { WebSocket: TrustingWebSocket });
        /** @type {string[]} */
        const got = [];
        sub.subscribe('secure.>', (m) => got.push(`${m.subject}:${m.text()}`));
        sub.subscribe('svc.secure-echo', (m) => m.respond(`echo ${m.text()}`));
        await sub.flush();
        pub.publish('secure.a', 'one');
        pub.publish('secure.b.c', 'two');
        await pub.flush();
        await until(() => got.length === 2, 'two messages over wss://');
        assert.deepEqual(got, ['secure.a:one', 'secure.b.c:two']);
        const reply = await pub.request('svc.secure-echo', 'ping', { timeoutMs: 10000 });
        assert.equal(reply.text(), 'echo ping');
        assert.equal(pub.state, 'open');
    });

    test('a client that does not trust the CA cannot connect', async () => {
        const started = Date.now();
        await assert.rejects(
            connect({ url: server.wsUrl, WebSocket: /** @type {any} */ (WebSocket), connectTimeoutMs: 20000 }),
            (e) => e instanceof Error && /cannot connect to wss:\/\/localhost/.test(e.message)
                && /certificate/i.test(e.message),
        );
        assert.ok(Date.now() - started < 20000, 'refused in the handshake, not by the connect timeout');
    });
});

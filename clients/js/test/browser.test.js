// The module in a real browser (headless Chromium, when the machine has one): loaded with no build
// step, it connects to the server through the browser's own WebSocket, subscribes, publishes and
// makes a request; the page reports back to this test over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { connect } from '../src/index.js';
import { startServer, exited, until } from './harness.js';

function findChromium() {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
        try {
            return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
        } catch {
            // not this one
        }
    }
    return null;
}

const chromium = findChromium();
const moduleSource = readFileSync(new URL('../dist/conduit.js', import.meta.url));

const page = `<!doctype html><meta charset="utf-8"><script type="module">
import { connect } from '/client/conduit.js';
const report = (r) => fetch('/result', { method: 'POST', body: JSON.stringify(r) });
try {
  const ws = new URLSearchParams(location.search).get('ws');
  // Without its path: the client adds /conduit.
  const client = await connect({ url: ws.slice(0, ws.lastIndexOf('/conduit')), name: 'browser-test' });
  const inbound = client.subscribe('browser.in');
  await client.flush();
  const reply = await client.request('node.svc', 'from the browser', { timeoutMs: 5000 });
  const stop = new AbortController();
  const aborted = client.request('node.svc', 'never mind', { signal: stop.signal, timeoutMs: 5000 }).then(() => 'replied', (e) => e.name);
  stop.abort();
  let got = null;
  for await (const m of inbound) {
    got = m.json();
    break;
  }
  client.publish('browser.out', { hello: 'from chromium', typed: client.info.maxPayload > 0 });
  await client.flush();
  await report({ ok: true, reply: reply.text(), got, aborted: await aborted, iterating: inbound.active });
  await client.close();
} catch (e) {
  report({ ok: false, error: String(e && e.stack || e) });
}
</script>`;

test('conduit.js works in a browser', { skip: chromium ? false : 'no chromium on this machine', timeout: 120000 }, async () => {
    /** @type {any} */
    let result = null;
    const http = createServer((req, res) => {
        if (req.url === '/client/conduit.js') {
            res.writeHead(200, { 'content-type': 'text/javascript' }).end(moduleSource);
        } else if (req.url?.startsWith('/test.html')) {
            res.writeHead(200, { 'content-type': 'text/html' }).end(page);
        } else if (req.url === '/result') {
            let body = '';
            req.on('data', (d) => { body += d; });
            req.on('end', () => { result = JSON.parse(body); res.writeHead(204).end(); });
        } else {
            res.writeHead(404).end();
        }
    });
    await new Promise((resolve) => http.listen(0, '127.0.0.1', () => resolve(undefined)));
    const port = /** @type {import('node:net').AddressInfo} */ (http.address()).port;
    // The page comes from this test's origin, not the server's: the server must allow it.
    const server = await startServer({ CONDUIT_ALLOWED_ORIGINS: `http://127.0.0.1:${port}` });
    const node = await connect({ url: server.wsUrl, WebSocket: /** @type {any} */ (WebSocket) });
    const profile = mkdtempSync(path.join(tmpdir(), 'conduit-chromium-'));
    /** @type {import('node:child_process').ChildProcess | null} */
    let browser = null;
    try {
        node.subscribe('node.svc', (m) => m.respond(`node got: ${m.text()}`));
        /** @type {any[]} */
        const fromBrowser = [];
        node.subscribe('browser.out', (m) => {
            fromBrowser.push(m.json());
        });
        // Once the browser's subscription exists, this reaches it.
        node.subscribe('node.svc', () => node.publish('browser.in', { n: 42 }));
        await node.flush();
        const url = `http://127.0.0.1:${port}/test.html?ws=${encodeURIComponent(server.wsUrl)}`;
        browser = spawn(/** @type {string} */ (chromium), ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
            `--user-data-dir=${profile}`, url], { stdio: 'ignore', detached: true });
        await until(() => result !== null, 'the page to report', 60000);
        assert.equal(result.ok, true, result.error);
        assert.equal(result.reply, 'node got: from the browser');
        assert.deepEqual(result.got, { n: 42 });
        assert.equal(result.aborted, 'AbortError');
        assert.equal(result.iterating, false, 'leaving the for await loop unsubscribed');
        await until(() => fromBrowser.length === 1, 'the browser publish');
        assert.deepEqual(fromBrowser, [{ hello: 'from chromium', typed: true }]);
    } finally {
        if (browser && browser.pid !== undefined) {
            // Chromium's helpers (renderer, GPU, utility) share its process group: end them all, or
            // one still writing into the profile makes removing it fail with ENOTEMPTY.
            try {
                process.kill(-browser.pid, 'SIGKILL');
            } catch {
                // already gone
            }
            await exited(browser, 5000);
        }
        http.closeAllConnections();
        http.close();
        await node.close();
        await server.stop();
        // Last, so that a failure here cannot leave the server running (and the test file hanging).
        // A helper killed a moment ago may leave a file behind as it dies: a few quick retries.
        rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    }
});

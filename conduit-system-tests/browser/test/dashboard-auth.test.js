// The dashboard against a server that requires authentication (static tokens, JWT; docs/security.md):
// the page asks for a token, keeps it in sessionStorage only, and shows live figures once the
// principal may read $SYS.stats; a principal that may not gets a clear 403 message; a token in the
// URL fragment (#token=...) is taken once and removed from the address bar.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureTargetDir, startBrowser, startServer, STEP_MS } from './harness.js';

const OPS_TOKEN = 'ops-dashboard-token-7f3c9a1e';
const VIEWER_TOKEN = 'viewer-token-without-sys-42b8';
const sha256 = (token) => `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
const JWT_SECRET = 'a shared HS256 secret of at least 32 bytes, for the test';
/** An HS256 JWT for `sub`, valid for an hour. */
function jwt(sub) {
    const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const signed = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
    return `${signed}.${createHmac('sha256', JWT_SECRET).update(signed).digest('base64url')}`;
}

let dir;
let server;
let browser;

before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-dashboard-auth-'));
    const config = join(dir, 'conduit.yaml');
    // ops may read $SYS; viewer may not (no $SYS pattern among its subscribe patterns); anonymous
    // access is refused, as on every server with authentication configured.
    writeFileSync(config, [
        'auth:',
        '  failedAuthDelay: 0s',
        '  tokens:',
        `    - { principal: ops, hash: "${sha256(OPS_TOKEN)}" }`,
        `    - { principal: viewer, hash: "${sha256(VIEWER_TOKEN)}" }`,
        '  jwt:',
        '    algorithm: HS256',
        `    secret: "${JWT_SECRET}"`,
        'permissions:',
        '  ops:',
        '    subscribe: { allow: ["$SYS.>", ">"] }',
        '  viewer:',
        '    subscribe: { allow: ["public.>"] }',
        '',
    ].join('\n'));
    server = await startServer(['--config', config]);
    browser = await startBrowser();
});

after(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What the page shows and keeps. */
function readPage(page) {
    return page.evaluate(() => {
        const text = (id) => document.getElementById(id).textContent;
        return {
            href: location.href,
            hash: location.hash,
            formShown: !document.getElementById('auth').hidden,
            message: text('auth-message'),
            status: text('status'),
            serverId: text('server-id'),
            sessions: text('sessions-total'),
            snapshots: window.conduitDashboard.snapshots,
            latest: window.conduitDashboard.latest,
            inputType: document.getElementById('auth-token').type,
            session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
            localKeys: Object.keys(localStorage),
        };
    });
}

function problemsOf(page) {
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    return problems;
}

test('without a token the page asks for one; with it, it shows live figures', { timeout: 4 * STEP_MS }, async () => {
    const page = await browser.context.newPage();
    const problems = problemsOf(page);
    await page.goto(`${server.http}/`);
    await page.locator('#auth').waitFor({ state: 'visible', timeout: STEP_MS });
    const asked = await readPage(page);
    assert.match(asked.message, /requires authentication \(401\)/);
    assert.equal(asked.inputType, 'password');
    assert.equal(asked.snapshots, 0);
    assert.deepEqual(asked.session, {});

    await page.fill('#auth-token', OPS_TOKEN);
    await page.click('#auth-submit');
    await page.waitForFunction(() => window.conduitDashboard.snapshots >= 2, null, { timeout: STEP_MS });
    const live = await readPage(page);
    assert.equal(live.formShown, false);
    assert.equal(live.status, 'live');
    assert.equal(live.latest.sessions.total, 1, 'the dashboard itself');
    assert.equal(live.sessions, '1');
    assert.equal(live.serverId, live.latest.serverId);
    // Kept in this tab's sessionStorage only: not in the URL, not in localStorage.
    assert.deepEqual(Object.values(live.session), [OPS_TOKEN]);
    assert.deepEqual(live.localKeys, []);
    assert.ok(!live.href.includes(OPS_TOKEN), live.href);

    // A reload connects with the stored token without asking.
    await page.reload();
    await page.waitForFunction(() => window.conduitDashboard.snapshots >= 1, null, { timeout: STEP_MS });
    assert.equal((await readPage(page)).formShown, false);
    assert.deepEqual(problems, []);
    await page.close();
});

test('a principal that may not read $SYS.stats gets a 403 message; #token= is taken once and removed from the URL', { timeout: 4 * STEP_MS }, async () => {
    const page = await browser.context.newPage();
    const problems = problemsOf(page);
    await page.goto(`${server.http}/#token=${encodeURIComponent(VIEWER_TOKEN)}`);
    await page.waitForFunction(() => /403/.test(document.getElementById('auth-message').textContent), null, { timeout: STEP_MS });
    const denied = await readPage(page);
    assert.equal(denied.formShown, true);
    assert.match(denied.message, /this principal may not read \$SYS\.stats/);
    assert.equal(denied.status, 'forbidden');
    assert.equal(denied.hash, '');
    assert.equal(denied.href, `${server.http}/`);
    assert.equal(denied.snapshots, 0);
    assert.deepEqual(Object.values(denied.session), [VIEWER_TOKEN]);
    assert.deepEqual(denied.localKeys, []);
    await page.screenshot({ path: join(ensureTargetDir(), 'dashboard-auth.png') });

    // Another principal through the form: live.
    await page.fill('#auth-token', OPS_TOKEN);
    await page.click('#auth-submit');
    await page.waitForFunction(() => window.conduitDashboard.snapshots >= 1, null, { timeout: STEP_MS });
    const live = await readPage(page);
    assert.equal(live.formShown, false);
    assert.equal(live.status, 'live');
    assert.deepEqual(Object.values(live.session), [OPS_TOKEN]);
    assert.deepEqual(problems, []);
    await page.close();
});

test('a wrong token in the fragment is refused (401) and forgotten', { timeout: 4 * STEP_MS }, async () => {
    const page = await browser.context.newPage();
    const problems = problemsOf(page);
    await page.goto(`${server.http}/#token=not-a-valid-token`);
    await page.waitForFunction(() => /401/.test(document.getElementById('auth-message').textContent), null, { timeout: STEP_MS });
    const refused = await readPage(page);
    assert.equal(refused.formShown, true);
    assert.match(refused.message, /refused these credentials \(401\)/);
    assert.equal(refused.href, `${server.http}/`);
    assert.deepEqual(refused.session, {});
    assert.deepEqual(problems, []);
    await page.close();
});

test('a JWT typed into the form is sent as a JWT', { timeout: 4 * STEP_MS }, async () => {
    const page = await browser.context.newPage();
    const problems = problemsOf(page);
    await page.goto(`${server.http}/`);
    await page.locator('#auth').waitFor({ state: 'visible', timeout: STEP_MS });
    await page.fill('#auth-token', jwt('ops'));
    await page.click('#auth-submit');
    await page.waitForFunction(() => window.conduitDashboard.snapshots >= 1, null, { timeout: STEP_MS });
    const live = await readPage(page);
    assert.equal(live.formShown, false);
    assert.equal(live.status, 'live');
    assert.deepEqual(problems, []);
    await page.close();
});

// examples/chat.html as served by a real server: two pages in headless Chromium join the same room
// and one's message appears on the other.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startBrowser, startServer, STEP_MS } from './harness.js';

let server;
let browser;

before(async () => {
    server = await startServer();
    browser = await startBrowser();
});

after(async () => {
    await browser?.close();
    await server?.stop();
});

async function join(name, room) {
    const page = await browser.context.newPage();
    await page.goto(`${server.http}/examples/chat.html`);
    await page.fill('#name', name);
    await page.fill('#room', room);
    await page.click('#join button');
    await page.waitForSelector('#say:not([hidden])', { timeout: STEP_MS });
    await page.waitForFunction(() => document.getElementById('status').textContent === 'open', null, { timeout: STEP_MS });
    return page;
}

test('two chat pages exchange a message', { timeout: 3 * STEP_MS }, async () => {
    const alice = await join('alice', 'lobby');
    const bob = await join('bob', 'lobby');
    const text = `hello from alice ${Date.now()}`;
    await alice.fill('#text', text);
    await alice.click('#send');
    const line = bob.locator('.msg', { hasText: text });
    await line.waitFor({ timeout: STEP_MS });
    assert.equal(await line.locator('.from').textContent(), 'alice');
    // Alice sees her own message too, marked as hers.
    await alice.locator('.msg.mine', { hasText: text }).waitFor({ timeout: STEP_MS });
    await alice.close();
    await bob.close();
});

test('the room field validates its pattern (valid under the v flag)', { timeout: 2 * STEP_MS }, async () => {
    const page = await browser.context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
    await page.goto(`${server.http}/examples/chat.html`);
    const validity = async (value) => {
        await page.fill('#room', value);
        return page.evaluate(() => document.getElementById('room').validity.patternMismatch);
    };
    // An invalid pattern is ignored by the browser (every value passes) and logged to the console.
    assert.equal(await validity('room with spaces'), true);
    assert.equal(await validity('bad.room'), true);
    assert.equal(await validity('ok_room-1'), false);
    assert.deepEqual(problems.filter((p) => p.includes('pattern')), []);
    await page.close();
});

// The dashboard at / of a real server, in headless Chromium: it connects over the server's own
// WebSocket endpoint, shows the $SYS.stats snapshots, and its rates and session counts follow the
// traffic that a Java client (./conduit bench pubsub) makes.
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureTargetDir, repoRoot, runConduit, startBrowser, startServer, STEP_MS } from './harness.js';

const RATE = 2000; // messages a second
const COUNT = 40_000; // 20 s of traffic: time for the page to see it
const SUBJECT = 'bench.dashboard';

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

/** The page's numbers: what the last snapshot said, and what the cards show. */
function readPage(page) {
    return page.evaluate(() => {
        const d = window.conduitDashboard;
        const text = (id) => document.getElementById(id).textContent;
        return {
            snapshots: d.snapshots,
            latest: d.latest,
            shown: {
                inRate: text('msg-in-rate'), outRate: text('msg-out-rate'), sessions: text('sessions-total'),
                status: text('status'), subjects: [...document.querySelectorAll('#subjects td.subject')].map((td) => td.textContent),
                rows: document.querySelectorAll('#sessions tbody tr').length,
            },
        };
    });
}

test('the dashboard follows the traffic of a Java client', { timeout: 4 * STEP_MS }, async () => {
    const page = await browser.context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.http}/`);
    await page.waitForFunction(() => window.conduitDashboard?.snapshots >= 2, null, { timeout: STEP_MS });

    const idle = await readPage(page);
    assert.equal(idle.shown.status, 'live');
    assert.equal(idle.latest.sessions.total, 1, 'the dashboard itself');
    assert.equal(idle.latest.sessions.byTransport.ws, 1);
    assert.equal(idle.latest.connections.ws, 1);
    assert.equal(idle.shown.sessions, '1');
    assert.equal(idle.shown.inRate, '0/s');

    const bench = runConduit(['bench', 'pubsub', '--server', server.tcp, '--subject', SUBJECT,
        '--count', String(COUNT), '--rate', String(RATE), '--size', '64', '--progress', 'never', '--timeout', '120s']);
    try {
        // Under traffic: a publisher and a subscriber more, and the rates of the bench's pace.
        await page.waitForFunction((rate) => {
            const s = window.conduitDashboard.latest;
            return s.sessions.total === 3 && s.messages.inPerSecond >= rate / 4 && s.messages.outPerSecond >= rate / 4;
        }, RATE, { timeout: STEP_MS, polling: 200 });
        // One more snapshot, so that the chart has a few points of traffic and the cards are current.
        const seen = (await readPage(page)).snapshots;
        await page.waitForFunction((n) => window.conduitDashboard.snapshots >= n + 2, seen, { timeout: STEP_MS });
        const busy = await readPage(page);
        assert.equal(busy.latest.sessions.total, 3);
        assert.equal(busy.latest.sessions.byTransport.tcp, 2);
        assert.equal(busy.shown.sessions, '3');
        assert.equal(busy.shown.rows, 3);
        assert.ok(busy.latest.messages.inPerSecond <= RATE * 1.5, `paced at ${RATE}/s: ${busy.latest.messages.inPerSecond}`);
        assert.notEqual(busy.shown.inRate, '0/s');
        assert.notEqual(busy.shown.outRate, '0/s');
        assert.equal(busy.latest.topSubjects[0].subject, SUBJECT);
        assert.equal(busy.shown.subjects[0], SUBJECT);
        await page.screenshot({ path: join(ensureTargetDir(), 'dashboard.png'), fullPage: true });
        if (process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(join(ensureTargetDir(), 'dashboard.png'), join(repoRoot, 'docs', 'dashboard.png'));
        writeFileSync(join(ensureTargetDir(), 'dashboard-snapshot.json'), JSON.stringify(busy.latest, null, 2));

        const { code, out } = await bench.done;
        assert.equal(code, 0, out);
    } finally {
        bench.kill();
    }

    // After the run: the bench's sessions are gone and the rates fall back to zero.
    await page.waitForFunction(() => {
        const s = window.conduitDashboard.latest;
        return s.sessions.total === 1 && s.messages.inPerSecond === 0;
    }, null, { timeout: STEP_MS, polling: 200 });
    const after = await readPage(page);
    assert.equal(after.shown.inRate, '0/s');
    assert.ok(after.latest.messages.in >= COUNT, `all ${COUNT} counted: ${after.latest.messages.in}`);
    assert.deepEqual(problems, []);
    await page.close();
});

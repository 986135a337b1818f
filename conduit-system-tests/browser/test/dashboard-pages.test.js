// The dashboard's pages in headless Chromium against a real server: latencies shown as "-" until
// measured and as real percentiles after requests, the server's history on a freshly opened page,
// the session page with its close action, a phone-width layout with nothing overflowing, the chart's
// axis and gaps, and the figures greyed while the page reconnects. Screenshots go to target/ (and,
// with UPDATE_SCREENSHOTS=1, to docs/).
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureTargetDir, repoRoot, runConduit, startBrowser, startServer, STEP_MS } from './harness.js';

let server;
let browser;
let sub;

before(async () => {
    server = await startServer();
    browser = await startBrowser();
});

after(async () => {
    sub?.kill();
    await browser?.close();
    await server?.stop();
});

/** Saves a screenshot under target/ and, with UPDATE_SCREENSHOTS=1 and `docs`, as the one in docs/. */
async function screenshot(page, name, docs = true) {
    const path = join(ensureTargetDir(), name);
    await page.screenshot({ path, fullPage: true });
    if (docs && process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(path, join(repoRoot, 'docs', name));
}

async function reqreply(count) {
    const run = runConduit(['bench', 'reqreply', '--server', server.tcp, '--subject', 'svc.echo',
        '--count', String(count), '--progress', 'never', '--timeout', '120s']);
    try {
        const { code, out } = await run.done;
        assert.equal(code, 0, out);
    } finally {
        run.kill();
    }
}

async function openDashboard(path = '/', viewport) {
    const page = await browser.context.newPage();
    if (viewport) await page.setViewportSize(viewport);
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.http}${path}`);
    await page.waitForFunction(() => window.conduitDashboard?.snapshots >= 1, null, { timeout: STEP_MS });
    return { page, problems };
}

const text = (page, id) => page.evaluate((i) => document.getElementById(i).textContent, id);

test('the dashboard pages', { timeout: 8 * STEP_MS }, async (t) => {
    await t.test('no request yet: latency is "-", never 0.00 ms; the chart axis keeps 0.75', async () => {
        const { page, problems } = await openDashboard();
        const s = await page.evaluate(() => window.conduitDashboard.latest);
        assert.equal(s.latency.request.samples, 0);
        assert.equal(s.latency.request.p50Millis, null);
        assert.equal(await text(page, 'request-p50'), '-');
        assert.equal(await text(page, 'request-p99'), '-');
        assert.equal(await text(page, 'delivery-p50'), '-');
        // The dashboard's own $SYS.stats subscription and snapshots are not traffic.
        assert.equal(s.messages.out, 0);
        assert.equal(s.messages.in, 0);
        assert.equal(await text(page, 'subscriptions'), '0');
        assert.ok((await text(page, 'heap-used')).match(/iB$/), 'heap shown');

        const axis = await page.evaluate(async () => {
            const { niceScale, segments } = await import('/chart.js');
            return {
                three: niceScale(3).labels, quarter: niceScale(0.75, 3).labels, big: niceScale(45000).labels,
                runs: segments([{ t: 0 }, { t: 1000 }, { t: 2000 }, { t: 60000 }, { t: 61000 }], 2500).length,
            };
        });
        assert.deepEqual(axis.quarter, ['0.00', '0.25', '0.50', '0.75']);
        assert.deepEqual(axis.three, ['0', '1', '2', '3']);
        assert.deepEqual(axis.big, ['0', '20.0k', '40.0k', '60.0k']);
        assert.equal(axis.runs, 2, 'a minute without points is a gap, not a line');
        assert.deepEqual(problems, []);
        await page.close();
    });

    // Requests while a page is open: it shows real percentiles. The same traffic, counted by the
    // server's ticks by the time that page sees it all, must be in the history of a page opened next.
    const { page: watcher, problems: watcherProblems } = await openDashboard();
    await reqreply(500);
    let counted;
    await t.test('requests while the page is open: real request and delivery percentiles', async () => {
        await watcher.waitForFunction(() => {
            const s = window.conduitDashboard.latest;
            return s.messages.in >= 1000 && s.latency.request.samples > 0 && s.latency.delivery.samples > 0;
        }, null, { timeout: STEP_MS, polling: 200 });
        const s = await watcher.evaluate(() => window.conduitDashboard.latest);
        counted = s.time;
        assert.ok(s.latency.request.p50Millis > 0 && s.latency.request.p99Millis >= s.latency.request.p50Millis);
        assert.match(await text(watcher, 'request-p50'), /^\d+(\.\d+)? ms$/);
        assert.match(await text(watcher, 'request-p99'), /^\d+(\.\d+)? ms$/);
        assert.match(await text(watcher, 'delivery-p50'), /^\d+(\.\d+)? ms$/);
        assert.notEqual(await text(watcher, 'request-p50'), '0.000 ms');
        await screenshot(watcher, 'dashboard-latency.png', false); // docs/dashboard.png is dashboard.test.js's, under traffic
        assert.deepEqual(watcherProblems, []);
    });
    await watcher.close();

    await t.test('a freshly opened page shows the recent past from the server', async () => {
        const { page, problems } = await openDashboard();
        await page.waitForFunction(() => window.conduitDashboard.historyPoints > 0, null, { timeout: STEP_MS });
        const chart = await page.evaluate(() => window.conduitDashboard.chart.samples);
        // The traffic was counted at or before `counted`, a tick before this page's first snapshot.
        const past = chart.filter((p) => p.t <= counted && p.values[0] > 0);
        assert.ok(past.length > 0, `points with traffic up to ${counted}: ${JSON.stringify(chart.slice(-8))}`);
        assert.deepEqual(problems, []);
        await page.close();
    });

    await t.test('the session page shows one session and closes it', async () => {
        sub = runConduit(['sub', '--server', server.tcp, 'orders.>']);
        const { page: overview } = await openDashboard();
        await overview.waitForFunction(() => window.conduitDashboard.latest.sessionList.rows.some((r) => r.client === 'conduit-sub'),
            null, { timeout: STEP_MS, polling: 200 });
        const id = await overview.evaluate(() => window.conduitDashboard.latest.sessionList.rows.find((r) => r.client === 'conduit-sub').id);
        // The table links to the session page by the session's public id.
        const href = await overview.evaluate((i) => [...document.querySelectorAll('#sessions a')].find((a) => a.href.includes(encodeURIComponent(i)))?.getAttribute('href'), id);
        assert.equal(href, `/?session=${encodeURIComponent(id)}`);
        await overview.close();

        const { page, problems } = await openDashboard(href);
        await page.waitForFunction(() => window.conduitDashboard.session?.status === 200, null, { timeout: STEP_MS });
        assert.equal(await text(page, 's-id'), id);
        assert.equal(await text(page, 's-client'), 'conduit-sub');
        assert.equal(await text(page, 's-principal'), 'anonymous');
        assert.equal(await text(page, 's-state'), 'attached');
        const patterns = await page.evaluate(() => [...document.querySelectorAll('#s-subscriptions td.subject')].map((td) => td.textContent));
        assert.deepEqual(patterns, ['orders.>']);
        assert.equal(await page.isVisible('#s-close'), true, 'the anonymous loopback principal may close sessions');
        await screenshot(page, 'dashboard-session.png');

        await page.click('#s-close');
        assert.equal(await page.isVisible('#s-close-confirm'), true);
        await page.click('#s-close-confirm');
        await page.waitForFunction(() => document.getElementById('s-close-result').textContent === 'Closed.', null, { timeout: STEP_MS });
        await page.waitForFunction(() => window.conduitDashboard.session?.status === 404, null, { timeout: STEP_MS, polling: 200 });
        assert.equal(await text(page, 's-state'), 'ended');
        assert.equal(await page.isVisible('#s-close'), false);
        assert.deepEqual(problems, []);
        await page.close();
    });

    await t.test('at 390 px nothing overflows', async () => {
        const { page, problems } = await openDashboard('/', { width: 390, height: 844 });
        const overflow = await page.evaluate(() => ({
            page: document.documentElement.scrollWidth,
            cards: [...document.querySelectorAll('.card, .panel')].filter((c) => !c.closest('[hidden]'))
                .map((c) => ({ h: c.querySelector('h2')?.textContent, over: c.scrollWidth - c.clientWidth, right: c.getBoundingClientRect().right }))
                .filter((c) => c.over > 1 || c.right > 390.5),
        }));
        assert.ok(overflow.page <= 390, `page is ${overflow.page} px wide`);
        assert.deepEqual(overflow.cards, []);
        await screenshot(page, 'dashboard-phone.png');
        assert.deepEqual(problems, []);
        await page.close();
    });

    await t.test('while reconnecting the figures are greyed', async () => {
        const { page } = await openDashboard();
        await server.stop();
        await page.waitForFunction(() => document.getElementById('status').textContent === 'reconnecting', null, { timeout: STEP_MS });
        const look = await page.evaluate(() => ({
            stale: document.body.classList.contains('stale'),
            opacity: Number(getComputedStyle(document.querySelector('.card')).opacity),
        }));
        assert.equal(look.stale, true);
        assert.ok(look.opacity < 0.5, `greyed: opacity ${look.opacity}`);
        await screenshot(page, 'dashboard-reconnecting.png');
        await page.close();
    });
});

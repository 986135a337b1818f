// Shared by the browser tests: a real conduit server started through the ./conduit launcher, and
// headless Chromium (the Debian package; playwright-core never downloads a browser).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(process.env.BROWSER_TEST_REPO_ROOT || join(here, '..', '..', '..'));
export const launcher = join(repoRoot, 'conduit');
export const targetDir = join(repoRoot, 'conduit-system-tests', 'target');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** How long one step may take before the test fails (starting a JVM on a busy 2-core machine is slow). */
export const STEP_MS = 60_000;

/**
 * Starts `./conduit server --port 0 --http-port 0` and waits for the lines naming its addresses.
 * @param {string[]} [args] more arguments of `./conduit server`, e.g. `['--config', file]`
 * @returns {Promise<{ tcp: string, http: string, stop: () => Promise<void> }>}
 */
export function startServer(args = []) {
    const child = spawn(launcher, ['server', '--port', '0', '--http-port', '0', ...args], {
        cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
    const ready = new Promise((resolveReady, reject) => {
        const timer = setTimeout(() => reject(new Error(`server did not start in ${STEP_MS} ms:\n${out}\n${err}`)), STEP_MS);
        child.stdout.on('data', (chunk) => {
            out += chunk;
            const tcp = /listening on (tcp:\/\/\S+)/.exec(out);
            const http = /http on (http:\/\/\S+?)\/?\s/.exec(out);
            if (tcp && http) {
                clearTimeout(timer);
                resolveReady({ tcp: tcp[1], http: http[1] });
            }
        });
        child.stderr.on('data', (chunk) => { err += chunk; });
        exited.then(({ code, signal }) => {
            clearTimeout(timer);
            reject(new Error(`server exited (${code ?? signal}) before it was ready:\n${out}\n${err}`));
        });
    });
    return ready.then((addresses) => ({
        ...addresses,
        async stop() {
            if (child.exitCode === null && child.signalCode === null) {
                child.kill('SIGTERM'); // a graceful stop: the launcher execs the JVM, whose hook stops the server
                const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
                await exited;
                clearTimeout(killer);
            }
        },
    }), async (e) => {
        child.kill('SIGKILL');
        throw e;
    });
}

/**
 * Runs a conduit command (such as `bench pubsub`) to completion.
 * @param {string[]} args
 * @returns {Promise<{ code: number | null, out: string }>}
 */
export function runConduit(args) {
    const child = spawn(launcher, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    const done = new Promise((resolveDone) => child.once('exit', (code) => resolveDone({ code, out })));
    return { done, kill: () => child.kill('SIGKILL') };
}

/**
 * Headless Chromium with a fresh profile, closed (and its profile removed) by `close()`.
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, close: () => Promise<void> }>}
 */
export async function startBrowser() {
    if (!existsSync(chromiumPath)) {
        throw new Error(`no Chromium at ${chromiumPath}: install the Debian package (apt-get install chromium), `
            + 'or set CHROMIUM to another binary');
    }
    const profile = mkdtempSync(join(tmpdir(), 'conduit-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
        viewport: { width: 1360, height: 1000 },
        timeout: STEP_MS,
    });
    return {
        context,
        async close() {
            await context.close();
            rmSync(profile, { recursive: true, force: true });
        },
    };
}

export function ensureTargetDir() {
    mkdirSync(targetDir, { recursive: true });
    return targetDir;
}

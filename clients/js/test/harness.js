// Starts real Conduit servers (through the repo's ./conduit launcher) and a cuttable TCP proxy for
// the integration tests. Every process started here is killed when the test file ends, on failure too.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: JS_TEST_REPO_ROOT (set by the Maven build), else two levels above clients/js. */
export const repoRoot = process.env.JS_TEST_REPO_ROOT
    ? path.resolve(process.env.JS_TEST_REPO_ROOT)
    : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const launcher = path.join(repoRoot, 'conduit');

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
process.on('exit', () => {
    for (const c of children) {
        c.kill('SIGKILL');
    }
});

/**
 * Runs `./conduit args...` and returns the child, tracked for cleanup.
 * @param {string[]} args @param {Record<string, string>} [env]
 */
export function conduit(args, env = {}) {
    const child = spawn(launcher, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.on('exit', () => children.delete(child));
    return child;
}

/**
 * Waits for a child to exit, killing it (SIGTERM, then SIGKILL) if it has not after `ms`.
 * @param {import('node:child_process').ChildProcess} child @param {number} ms
 * @returns {Promise<number | null>}
 */
export function exited(child, ms) {
    if (child.exitCode !== null || child.signalCode !== null) {
        return Promise.resolve(child.exitCode);
    }
    return new Promise((resolve) => {
        const t1 = setTimeout(() => child.kill('SIGTERM'), ms);
        const t2 = setTimeout(() => child.kill('SIGKILL'), ms + 5000);
        child.once('exit', (code) => {
            clearTimeout(t1);
            clearTimeout(t2);
            resolve(code);
        });
    });
}

/**
 * A running server: `./conduit server --port 0 --http-port 0` on loopback. With TLS configured it
 * prints "listening on tls://..." and "http on https://...": then `tcpUrl` is the tls:// one, `tls`
 * is true and `wsUrl`/`httpUrl` are wss:// and https:// URLs naming `localhost` (the name a
 * `./conduit certs` server certificate carries).
 * @typedef {{ tcpUrl: string, httpPort: number, tls: boolean, wsUrl: string, httpUrl: string, output: () => string, stop: () => Promise<void> }} TestServer
 */

/**
 * @param {Record<string, string>} [env] CONDUIT_* settings
 * @param {string[]} [args] more arguments of `./conduit server`, e.g. `--config <file>`
 * @returns {Promise<TestServer>}
 */
export function startServer(env = {}, args = []) {
    const child = conduit(['server', '--host', '127.0.0.1', '--port', '0', '--http-port', '0', ...args], env);
    let out = '';
    let err = '';
    child.stderr?.on('data', (d) => { err += d; });
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`server did not start within 120 s; stdout: ${out}\nstderr: ${err}`));
        }, 120000);
        child.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`server exited (${code}) before it listened; stdout: ${out}\nstderr: ${err}`));
        });
        child.stdout?.on('data', (d) => {
            out += d;
            const tcp = /listening on ((?:tcp|tls):\/\/\S+:\d+)/.exec(out);
            const http = /http on (https?):\/\/(\S+):(\d+)\//.exec(out);
            if (tcp && http) {
                clearTimeout(timer);
                child.removeAllListeners('exit');
                const tls = http[1] === 'https';
                const httpPort = Number(http[3]);
                const host = tls ? 'localhost' : '127.0.0.1';
                resolve({
                    tcpUrl: tcp[1],
                    httpPort,
                    tls,
                    wsUrl: `${tls ? 'wss' : 'ws'}://${host}:${httpPort}/conduit`,
                    httpUrl: `${http[1]}://${host}:${httpPort}/`,
                    output: () => out + err,
                    stop: async () => {
                        child.kill('SIGTERM');
                        await exited(child, 10000);
                    },
                });
            }
        });
    });
}

/**
 * A TCP proxy on loopback whose connections the test can cut (both sides reset, mid-stream), and
 * whose target can be moved (to a restarted server).
 * @param {number} targetPort
 */
export async function startProxy(targetPort) {
    /** @type {Set<net.Socket>} */
    const sockets = new Set();
    let target = targetPort;
    let cuts = 0;
    const server = net.createServer((client) => {
        const upstream = net.connect(target, '127.0.0.1');
        sockets.add(client);
        sockets.add(upstream);
        const end = () => {
            client.destroy();
            upstream.destroy();
            sockets.delete(client);
            sockets.delete(upstream);
        };
        client.on('error', end);
        upstream.on('error', end);
        client.on('close', end);
        upstream.on('close', end);
        client.pipe(upstream);
        upstream.pipe(client);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
    const port = /** @type {net.AddressInfo} */ (server.address()).port;
    return {
        port,
        url: `ws://127.0.0.1:${port}/conduit`,
        get cuts() { return cuts; },
        /** @param {number} p */
        retarget(p) { target = p; },
        /** Resets every connection now, whatever is in flight. */
        cut() {
            cuts++;
            for (const s of [...sockets]) {
                s.resetAndDestroy();
            }
            sockets.clear();
        },
        close() {
            for (const s of sockets) {
                s.destroy();
            }
            return new Promise((resolve) => server.close(() => resolve(undefined)));
        },
    };
}

/**
 * Resolves when `predicate` holds, checking every few milliseconds (like Awaitility); rejects
 * with `what` after `ms`.
 * @param {() => boolean} predicate @param {string} what @param {number} [ms]
 */
export function until(predicate, what, ms = 20000) {
    const deadline = Date.now() + ms;
    return new Promise((resolve, reject) => {
        const check = () => {
            let ok = false;
            try {
                ok = predicate();
            } catch (e) {
                reject(e);
                return;
            }
            if (ok) {
                resolve(undefined);
            } else if (Date.now() > deadline) {
                reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
            } else {
                setTimeout(check, 5);
            }
        };
        check();
    });
}

// The package as a user gets it: `npm pack`, then the tarball installed (offline) into a fresh
// project, where a TypeScript file using it type-checks against the generated declarations (with
// this package's own TypeScript), an ES module imports it and CommonJS requires it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const tsc = path.join(pkgDir, 'node_modules', 'typescript', 'bin', 'tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** @param {string} cmd @param {string[]} args @param {string} cwd */
function run(cmd, args, cwd) {
    try {
        return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
        const err = /** @type {any} */ (e);
        throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${err.stdout}\n${err.stderr}`);
    }
}

const USE_TS = `import { connect, Client, Subscription, Msg, ConduitError, AbortError, OriginNotAllowedError, TimeoutError,
    type ConnectOptions, type SessionLost } from 'conduit-client-js';

export async function use(): Promise<string[]> {
    const options: ConnectOptions = { url: 'ws://127.0.0.1:7480', name: 'typed', reconnect: { maxAttempts: 3 } };
    const client: Client = await connect(options);
    client.on('sessionLost', (lost: SessionLost) => console.log(lost.unconfirmed.length));
    const sub: Subscription = client.subscribe('orders.>', { bufferSize: 10 });
    const texts: string[] = [];
    for await (const msg of sub) {
        texts.push(msg.text());
    }
    const stop = new AbortController();
    try {
        const reply: Msg = await client.request('svc', { n: 1 }, { signal: stop.signal, timeoutMs: 100 });
        texts.push(reply.text());
    } catch (e) {
        if (e instanceof AbortError || e instanceof TimeoutError || e instanceof OriginNotAllowedError) {
            const c: ConduitError = e;
            texts.push(c.name);
        }
    }
    client.publish('orders.new', new Uint8Array([1]), { headers: { k: 'v' } });
    // @ts-expect-error: a subject is a string
    client.publish(42, 'x');
    // @ts-expect-error: no such option
    await connect({ url: 'ws://h', colour: 'blue' });
    await client.close();
    return texts;
}
`;

const USE_CJS = `const conduit = require('conduit-client-js');
const assert = require('node:assert/strict');
assert.equal(typeof conduit.connect, 'function');
assert.ok(require.resolve('conduit-client-js').endsWith('conduit.cjs'));
assert.ok(new conduit.AbortError('x') instanceof conduit.ConduitError);
const bytes = conduit.encodeFrame({ type: 'ACK', sequence: 5 });
assert.equal(conduit.decodeFrame(bytes).sequence, 5);
console.log('cjs ok');
`;

const USE_ESM = `import { connect, OriginNotAllowedError, ConduitError } from 'conduit-client-js';
import assert from 'node:assert/strict';
assert.equal(typeof connect, 'function');
assert.ok(new OriginNotAllowedError('x') instanceof ConduitError);
console.log('esm ok');
`;

test('npm pack gives a tarball that installs offline, type-checks in TypeScript, and loads as ESM and CJS', { timeout: 240000 }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'conduit-js-pack-'));
    try {
        // `npm test` has just built dist/ (prepack would build it again: skipped to save time).
        const scripts = existsSync(path.join(pkgDir, 'dist', 'conduit.cjs')) && existsSync(path.join(pkgDir, 'dist', 'types', 'index.d.ts'))
            ? ['--ignore-scripts'] : [];
        const packed = JSON.parse(run(npm, ['pack', '--json', ...scripts, '--pack-destination', dir], pkgDir));
        const files = packed[0].files.map((/** @type {{ path: string }} */ f) => f.path);
        for (const f of ['package.json', 'README.md', 'dist/conduit.js', 'dist/conduit.cjs', 'dist/types/index.d.ts', 'dist/types/index.d.cts', 'src/index.js']) {
            assert.ok(files.includes(f), `the tarball holds ${f}: ${files.join(', ')}`);
        }
        assert.ok(!files.some((/** @type {string} */ f) => f.startsWith('test/') || f.startsWith('node_modules/')), 'no tests');
        const tarball = path.join(dir, packed[0].filename);
        const app = path.join(dir, 'app');
        run('mkdir', ['-p', app], dir);
        writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
        run(npm, ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], app);
        const installed = JSON.parse(readFileSync(path.join(app, 'node_modules', 'conduit-client-js', 'package.json'), 'utf8'));
        assert.equal(installed.private, undefined);

        // use.ts is an ES module (the "import" condition, dist/types/*.d.ts); use.cts is CommonJS, which
        // resolves the "require" condition (dist/types/*.d.cts). One tsc run checks both.
        writeFileSync(path.join(app, 'use.ts'), USE_TS);
        writeFileSync(path.join(app, 'use.cts'), USE_TS);
        run(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
            '--lib', 'es2022,dom', 'use.ts', 'use.cts'], app);
        // The check has teeth: a wrong use fails.
        writeFileSync(path.join(app, 'wrong.ts'), "import { connect } from 'conduit-client-js';\nconnect({ url: 7 });\n");
        assert.throws(() => run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext',
            '--lib', 'es2022,dom', 'wrong.ts'], app), /TS2322/);

        writeFileSync(path.join(app, 'use.cjs'), USE_CJS);
        assert.match(run(process.execPath, ['use.cjs'], app), /cjs ok/);
        writeFileSync(path.join(app, 'use.mjs'), USE_ESM);
        assert.match(run(process.execPath, ['use.mjs'], app), /esm ok/);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

// The served bundle is committed (the reactor builds conduit-server, which copies it into its jar,
// before this module): it must be exactly what src/ builds to, else the server ships stale code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { options } from '../scripts/build.mjs';

test('dist/conduit.js is what src/ builds to (run `npm run build` and commit it)', async () => {
    const result = await esbuild.build(/** @type {any} */ (options('esm', false)));
    const built = result.outputFiles[0].text;
    const committed = readFileSync(new URL('../dist/conduit.js', import.meta.url), 'utf8');
    assert.ok(committed === built, 'dist/conduit.js is stale: run `npm run build` in clients/js and commit dist/conduit.js');
});

test('the bundle exports what src/index.js exports', async () => {
    const fromSource = Object.keys(await import('../src/index.js')).sort();
    const fromBundle = Object.keys(await import('../dist/conduit.js')).sort();
    assert.deepEqual(fromBundle, fromSource);
    assert.ok(fromBundle.includes('connect'));
});

// Bundles src/ with esbuild into the files the package and the server ship:
//   dist/conduit.js   ES module: the npm "import" entry, and what the server serves at /client/conduit.js
//                     (committed, because the reactor builds conduit-server before this module;
//                     test/bundle.test.js fails when it is not what src/ builds to)
//   dist/conduit.cjs  CommonJS: the npm "require" entry (built, not committed)
// Types (dist/types/*.d.ts) come from tsc: see "build" in package.json.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

const BANNER = '// Conduit client for browsers and Node, built by esbuild from clients/js/src of the Conduit repository:\n'
    + '// edit the sources, then run `npm run build`. Licensed under the Apache License 2.0.';

/**
 * The options of one output. `write: false` keeps the result in memory (the staleness test).
 * @param {'esm' | 'cjs'} format @param {boolean} write
 */
export function options(format, write) {
    return {
        absWorkingDir: root,
        entryPoints: ['src/index.js'],
        bundle: true,
        format,
        platform: 'neutral',
        target: 'es2022',
        legalComments: 'none',
        banner: { js: BANNER },
        outfile: format === 'esm' ? 'dist/conduit.js' : 'dist/conduit.cjs',
        write,
        logLevel: 'warning',
    };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    await esbuild.build(/** @type {any} */ (options('esm', true)));
    await esbuild.build(/** @type {any} */ (options('cjs', true)));
}

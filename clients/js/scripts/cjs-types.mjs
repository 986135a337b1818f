// After tsc has written dist/types/*.d.ts (declarations of the ES modules): writes a .d.cts twin of
// each, with its relative imports pointing at the twins, for TypeScript code that is CommonJS and
// so resolves the package through its "require" condition.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), 'dist', 'types');
for (const name of readdirSync(dir)) {
    if (name.endsWith('.d.ts')) {
        const text = readFileSync(path.join(dir, name), 'utf8').replace(/(["']\.\/[A-Za-z0-9_-]+)\.js(["'])/g, '$1.cjs$2');
        writeFileSync(path.join(dir, name.replace(/\.d\.ts$/, '.d.cts')), text);
    }
}

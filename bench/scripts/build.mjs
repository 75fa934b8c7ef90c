// Compiles bench/src, and the library sources it imports, into bench/build with the repo's tsc.
// The compiled library sits under bench/build, so at run time it resolves @nestjs/* and ioredis
// from bench/node_modules: one copy of each for the library and the rivals alike.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(here, '..', 'node_modules', '.bin', 'tsc');
if (!existsSync(tsc)) {
  console.error(
    'bench: the repo root has no node_modules/.bin/tsc; run `npm ci` at the repo root first.',
  );
  process.exit(1);
}
if (!existsSync(join(here, 'node_modules', 'autocannon'))) {
  console.error('bench: run `npm install` in bench/ first.');
  process.exit(1);
}
rmSync(join(here, 'build'), { recursive: true, force: true });
try {
  execFileSync(tsc, ['-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
} catch {
  console.error('bench: compiling failed (see above).');
  process.exit(1);
}

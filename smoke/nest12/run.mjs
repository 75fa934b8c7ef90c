// Builds and runs the Nest 12 smoke app (see src/main.ts) against its own redis-server.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });

if (!existsSync(join(here, 'node_modules', '@nestjs', 'core'))) {
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], here);
}
rmSync(join(here, 'build'), { recursive: true, force: true });
run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(here, 'tsconfig.json')], root);

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'nest12-smoke-'));
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
try {
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  execFileSync(process.execPath, [join(here, 'build', 'smoke', 'nest12', 'src', 'main.js')], {
    cwd: here,
    stdio: 'inherit',
    env: { ...process.env, SMOKE_REDIS_URL: `redis://127.0.0.1:${port}` },
  });
} finally {
  redis.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

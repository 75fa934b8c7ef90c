import { ChildProcess, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vm from 'vm';

/** Environment variable naming the directory where each started server records its pid. */
export const REGISTRY_ENV = 'REDIS_HARNESS_REGISTRY';

interface Registry {
  children: Set<ChildProcess>;
  dirs: Set<string>;
}

// Jest hands each spec a copy of `process` whose 'exit' event never fires, and a fresh module
// registry per spec file. The host process is the one that really exits, so the registry and its
// single 'exit' hook live there, shared by every spec the worker runs.
const hostProcess = vm.runInThisContext('process') as NodeJS.Process;
const REGISTRY_KEY = Symbol.for('nest-cache-suite:redis-harness');

function registry(): Registry {
  const host = hostProcess as unknown as Record<symbol, Registry | undefined>;
  let found = host[REGISTRY_KEY];
  if (!found) {
    const created: Registry = { children: new Set(), dirs: new Set() };
    hostProcess.on('exit', () => cleanUpNow(created));
    host[REGISTRY_KEY] = created;
    found = created;
  }
  return found;
}

function cleanUpNow({ children, dirs }: Registry): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}

function recordFile(pid: number): string | undefined {
  const dir = process.env[REGISTRY_ENV];
  return dir && fs.existsSync(dir) ? path.join(dir, String(pid)) : undefined;
}

/** Creates a temp dir that is removed when the worker process exits. */
export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  registry().dirs.add(dir);
  return dir;
}

/** Tracks a spawned server so it is SIGKILLed if the worker exits (or global teardown runs) first. */
export function trackChild(child: ChildProcess, dir: string): void {
  const pid = child.pid;
  if (pid === undefined) return;
  const { children } = registry();
  children.add(child);
  const file = recordFile(pid);
  if (file) fs.writeFileSync(file, dir);
  child.once('exit', () => {
    children.delete(child);
    if (file) fs.rmSync(file, { force: true });
  });
}

function isRedisServer(pid: number): boolean {
  try {
    const cmdline = fs.existsSync('/proc')
      ? fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      : execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8' });
    return cmdline.includes('redis-server');
  } catch {
    return false;
  }
}

/** Kills every server still recorded in `registryDir` and removes their dirs and the registry. */
export function killRecordedServers(registryDir: string): number[] {
  const killed: number[] = [];
  const entries = fs.existsSync(registryDir) ? fs.readdirSync(registryDir) : [];
  for (const entry of entries) {
    const pid = Number(entry);
    const dir = fs.readFileSync(path.join(registryDir, entry), 'utf8');
    if (Number.isInteger(pid) && isRedisServer(pid)) {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    }
    if (dir.startsWith(os.tmpdir())) fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.rmSync(registryDir, { recursive: true, force: true });
  return killed;
}

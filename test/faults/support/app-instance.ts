import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { freePort } from '../../harness';
import { trackChild } from '../../harness/process-registry';
import { now, sleep } from './clock';
import { HttpClient } from './http-client';

const ROOT = path.resolve(__dirname, '../../..');
/** The compiled entry point `npm run build:users` writes. */
export const MAIN_JS = path.join(ROOT, 'dist/users/apps/users/src/main.js');
const STOP_TIMEOUT_MS = 10_000;

/** One line the app printed, stamped with the runner's clock when it arrived. */
export interface LogLine {
  t: number;
  text: string;
}

/**
 * The compiled users app in a process of its own (as `node dist/users/apps/users/src/main.js`
 * runs it), with only the environment given plus PATH, on a free loopback port. Every line it
 * prints is kept with its arrival time, so that log events (such as "Cache store is answering
 * again") can be placed on the fault timeline.
 */
export class AppInstance {
  readonly lines: LogLine[] = [];
  readonly http: HttpClient;
  readonly exited: Promise<number | null>;
  private partial = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly port: number,
    /** When the process was spawned. */
    readonly spawnedAt: number,
  ) {
    this.http = new HttpClient('127.0.0.1', port);
    const append = (chunk: Buffer): void => {
      const t = now();
      const text = this.partial + chunk.toString();
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) if (line.trim() !== '') this.lines.push({ t, text: line });
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Spawns the app; resolve readiness separately with `waitListening()` / `waitReady()`. */
  static async spawn(name: string, env: Record<string, string>, cwd: string): Promise<AppInstance> {
    const port = await freePort();
    const child = spawn(process.execPath, [MAIN_JS], {
      cwd,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child, cwd);
    return new AppInstance(name, child, port, now());
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Everything printed so far. */
  get log(): string {
    return this.lines.map((line) => line.text).join('\n');
  }

  /** The first line matching `pattern` that arrived at or after `after`. */
  findLine(pattern: RegExp, after = 0): LogLine | undefined {
    return this.lines.find((line) => line.t >= after && pattern.test(line.text));
  }

  /** Resolves with the time `/health/live` first answered 200. */
  async waitListening(timeoutMs = 20_000): Promise<number> {
    const deadline = now() + timeoutMs;
    while (now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited before listening:\n${this.log}`);
      const result = await this.http.get('/health/live', { timeoutMs: 1000 });
      if (result.status === 200) return result.end;
      await sleep(25);
    }
    throw new Error(`${this.name} did not listen within ${timeoutMs} ms:\n${this.log}`);
  }

  /** Resolves with the time `/health/ready` first answered 200. */
  async waitReady(timeoutMs = 20_000): Promise<number> {
    const deadline = now() + timeoutMs;
    let last = '';
    while (now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited before ready:\n${this.log}`);
      const result = await this.http.get('/health/ready', { timeoutMs: 2000 });
      if (result.status === 200) return result.end;
      last = `${result.status} ${JSON.stringify(result.body)}`;
      await sleep(50);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms (last: ${last})`);
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  async stop(): Promise<void> {
    this.http.close();
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const escalate = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(escalate);
  }
}

/**
 * Spawns two instances on one SQLite file, the second once the first has opened it. Started at
 * the same instant on a new file, one of them sometimes dies with "SqliteError: database is
 * locked" from `PRAGMA journal_mode = WAL` (apps/users/src/database/sqlite.connection.ts), which
 * is not what this suite measures.
 */
export async function spawnPair(
  env: Record<string, string>,
  cwd: string,
): Promise<[AppInstance, AppInstance]> {
  const first = await AppInstance.spawn('app-a', env, cwd);
  const deadline = now() + 20_000;
  while (!first.findLine(/SQLite database ready/)) {
    if (!first.running || now() > deadline) {
      await first.stop();
      throw new Error(`app-a did not open its database:\n${first.log}`);
    }
    await sleep(10);
  }
  return [first, await AppInstance.spawn('app-b', env, cwd)];
}

/** Two instances of the app, the way the suite runs it: same SQLite file, same JWT secret. */
export async function startPair(
  env: Record<string, string>,
  cwd: string,
  options: { waitReady?: boolean } = {},
): Promise<[AppInstance, AppInstance]> {
  const pair = await spawnPair(env, cwd);
  try {
    await Promise.all(pair.map((app) => app.waitListening()));
    if (options.waitReady !== false) await Promise.all(pair.map((app) => app.waitReady()));
  } catch (error) {
    await Promise.all(pair.map((app) => app.stop()));
    throw error;
  }
  return pair;
}

import { execFile, spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { trackChild } from '../../harness/process-registry';
import { freePort } from '../../harness';

const ROOT = path.resolve(__dirname, '../../..');
/** The compiled entry point `npm run build:users` writes. */
export const MAIN_JS = path.join(ROOT, 'dist/users/apps/users/src/main.js');
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/** Compiles the app as `npm run build:users` does (incremental, so a rebuild is quick). */
export function buildUsersApp(): Promise<void> {
  const tsc = require.resolve('typescript/bin/tsc');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [tsc, '-p', path.join(ROOT, 'apps/users/tsconfig.app.json')],
      { cwd: ROOT, timeout: 120_000 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`build failed:\n${stdout}${stderr}`, { cause: error }))
          : resolve(),
    );
  });
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The compiled app in a process of its own, with only the environment given (plus PATH), on a
 * free port. Killed with SIGKILL if the test worker exits first.
 *
 * @example
 * const app = await AppProcess.start({ REDIS_URL: redis.url, JWT_SECRET: secret }, dir);
 * afterAll(() => app.stop());
 */
export class AppProcess {
  private output = '';
  readonly exited: Promise<Exit>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    const append = (chunk: Buffer) => (this.output += chunk.toString());
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Spawns the app without waiting for it. */
  static spawn(env: Record<string, string>, tempDir: string, port = 0): AppProcess {
    const child = spawn(process.execPath, [MAIN_JS], {
      cwd: tempDir,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child, tempDir);
    return new AppProcess(child, port);
  }

  /** Spawns the app on a free port and resolves once `/health/ready` answers 200. */
  static async start(env: Record<string, string>, tempDir: string): Promise<AppProcess> {
    const app = AppProcess.spawn(env, tempDir, await freePort());
    await app.waitReady();
    return app;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Everything the process printed. */
  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends SIGTERM and resolves with how the process ended (SIGKILL after 10 s). */
  async stop(): Promise<Exit> {
    if (this.running) this.child.kill('SIGTERM');
    const escalate = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(escalate);
    }
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`the app exited before it was ready:\n${this.output}`);
      try {
        if ((await fetch(`${this.url}/health/ready`)).status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.stop();
    throw new Error(`the app was not ready within ${READY_TIMEOUT_MS} ms:\n${this.output}`);
  }
}

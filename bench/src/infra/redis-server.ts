import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './free-port';
import { track } from './processes';

const HOST = '127.0.0.1';

/** `INFO commandstats` per command: calls, and microseconds Redis spent running them. */
export type CommandStats = Record<string, { calls: number; usec: number }>;

// The bench's own INFO and CONFIG calls are not part of any measurement.
const isBenchCommand = (command: string): boolean =>
  command === 'info' || command.startsWith('config');
const READY_TIMEOUT_MS = 5000;

/**
 * The bench's own redis-server on a free loopback port, without persistence, in a temp dir
 * (spawned the way test/harness/redis-server.ts does). The system Redis on 6379 is never used.
 */
export class BenchRedis {
  private stats?: Redis;

  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<BenchRedis> {
    const dir = mkdtempSync(join(tmpdir(), 'cache-bench-redis-'));
    const port = await freePort();
    const args = ['--port', String(port), '--bind', HOST, '--dir', dir, '--daemonize', 'no'];
    args.push('--save', '', '--appendonly', 'no', '--shutdown-on-sigterm', 'nosave now');
    const child = track(spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] }));
    const server = new BenchRedis(port, child, dir);
    await server.waitReady();
    return server;
  }

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Calls and server time per command since start, from `INFO commandstats`. */
  async commandStats(): Promise<CommandStats> {
    const info = await this.client().info('commandstats');
    const stats: CommandStats = {};
    for (const line of info.split('\r\n')) {
      const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
      if (match) stats[match[1]] = { calls: Number(match[2]), usec: Number(match[3]) };
    }
    return stats;
  }

  /** CPU time (user + system) the server process has used since start, in µs (`INFO cpu`). */
  async cpuUs(): Promise<number> {
    const info = await this.client().info('cpu');
    const seconds = (name: string) => Number(infoField(info, name));
    return Math.round((seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6);
  }

  async resetStats(): Promise<void> {
    await this.client().config('RESETSTAT');
  }

  async flush(): Promise<void> {
    await this.client().flushall();
  }

  /** The text of `INFO <section>`. */
  info(section: string): Promise<string> {
    return this.client().info(section);
  }

  /** `INFO server` field, e.g. `redis_version`. */
  async serverField(name: string): Promise<string> {
    return infoField(await this.client().info('server'), name) ?? '?';
  }

  async stop(): Promise<void> {
    this.stats?.disconnect();
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGTERM');
      const escalate = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(escalate);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private client(): Redis {
    this.stats ??= new Redis({ host: HOST, port: this.port, lazyConnect: false });
    return this.stats;
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited`);
      if (await answersAs(this.pid, this.port)) return;
      await sleep(20);
    }
    this.child.kill('SIGKILL');
    throw new Error(`redis-server on ${this.port} did not answer within ${READY_TIMEOUT_MS} ms`);
  }
}

/** Whether the port answers `INFO server` as process `pid` (another process on it must not count). */
function answersAs(pid: number, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    let received = '';
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), 250);
    socket.on('connect', () => socket.write('*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n'));
    socket.on('data', (chunk) => {
      received += chunk.toString();
      const answeredBy = /process_id:(\d+)\r\n/.exec(received);
      if (answeredBy) finish(Number(answeredBy[1]) === pid);
      else if (/^-/.test(received)) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/** Calls per command between two `commandStats()` snapshots, without the bench's own INFO/CONFIG. */
export function commandDelta(before: CommandStats, after: CommandStats): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [command, { calls }] of Object.entries(after)) {
    if (isBenchCommand(command)) continue;
    const diff = calls - (before[command]?.calls ?? 0);
    if (diff > 0) delta[command] = diff;
  }
  return delta;
}

/** Microseconds Redis spent running commands between two snapshots (the bench's own excluded). */
export function serverUsecDelta(before: CommandStats, after: CommandStats): number {
  let usec = 0;
  for (const [command, stat] of Object.entries(after)) {
    if (!isBenchCommand(command)) usec += stat.usec - (before[command]?.usec ?? 0);
  }
  return usec;
}

/** One `name:value` field of an `INFO` reply. */
function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import { freePort } from './free-port';
import { makeTempDir, trackChild } from './process-registry';
import { parseInfo, runRedisCli } from './redis-cli';
import { sleep } from './wait';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 5000;
const STOP_GRACE_MS = 3000;
const MAX_LOG_CHARS = 20000;

export interface StartRedisOptions {
  /** Extra redis-server arguments, after the harness defaults so they can override them. */
  args?: string[];
  /** Sets `requirepass`; `url`, `cli()` and the readiness check then authenticate. */
  password?: string;
  /** Port to listen on; a free one when omitted (retried if another process takes it first). */
  port?: number;
  /** Config file given before all arguments; sentinel mode needs a writable one. */
  configFile?: string;
  /** Runs `redis-server --sentinel`. */
  sentinel?: boolean;
  /** Working dir (`--dir`); a fresh temp dir when omitted. Either way it is removed at exit. */
  dir?: string;
}

/** Thrown when a server does not come up; `log` holds what it printed. */
export class RedisStartError extends Error {
  constructor(
    message: string,
    readonly log: string,
    readonly addressInUse: boolean,
  ) {
    super(`${message}\n--- redis-server output ---\n${log}`);
    this.name = 'RedisStartError';
  }
}

function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Asks the port for `INFO server` over raw TCP (cheaper than spawning redis-cli every 20 ms) and
 * checks the answer comes from `pid`: if another process holds the port, it must not count.
 */
function answersAs(pid: number, port: number, password: string | undefined, timeoutMs: number) {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: HOST, port });
    let received = '';
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => {
      const auth = password ? encodeCommand(['AUTH', password]) : '';
      socket.write(auth + encodeCommand(['INFO', 'server']));
    });
    socket.on('data', (chunk) => {
      received += chunk.toString();
      const answeredBy = /process_id:(\d+)\r\n/.exec(received);
      if (answeredBy) finish(Number(answeredBy[1]) === pid);
      else if (/^-|\r\n-/.test(received)) finish(false); // e.g. -LOADING, -NOAUTH
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/**
 * A redis-server process owned by one spec, which may stop, pause and restart it.
 *
 * @example
 * const redis = await startRedis();
 * afterAll(() => redis.stop());
 * await redis.pause(); // commands now hang until resume()
 */
export class RedisServer {
  readonly host = HOST;
  private child?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();
  private stopping?: Promise<void>;
  private paused = false;
  private output = '';

  private constructor(
    readonly port: number,
    readonly password: string | undefined,
    /** The working dir (`--dir`), kept across restarts so cluster and sentinel state survive. */
    readonly dir: string,
    private readonly argv: readonly string[],
  ) {}

  /** Starts a server and resolves once it answers; prefer `startRedis()`. */
  static async start(options: StartRedisOptions = {}): Promise<RedisServer> {
    const dir = options.dir ?? makeTempDir('redis-harness');
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      const server = new RedisServer(port, options.password, dir, buildArgv(port, dir, options));
      try {
        await server.launch();
        return server;
      } catch (error) {
        const retry = error instanceof RedisStartError && error.addressInUse;
        if (!retry || options.port !== undefined || attempt >= 3) throw error;
      }
    }
  }

  /** `redis://127.0.0.1:P`, with the password when one is set. */
  get url(): string {
    const auth = this.password ? `:${encodeURIComponent(this.password)}@` : '';
    return `redis://${auth}${HOST}:${this.port}`;
  }

  /** Pid of the current process; it changes on restart. */
  get pid(): number {
    return this.child?.pid ?? -1;
  }

  /** Whether the process is alive (paused counts as alive). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && !this.child.signalCode;
  }

  /** What the server printed (the last 20 000 characters), for failure messages. */
  get log(): string {
    return this.output;
  }

  /** Stops the server (SIGTERM, which does a SHUTDOWN NOSAVE NOW); idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.terminate('SIGTERM').finally(() => (this.stopping = undefined));
    return this.stopping;
  }

  /** Kills the server with SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  /** Stops the server if it runs, then starts it again on the same port, args and dir. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Freezes the process (SIGSTOP): connections are accepted but nothing is answered. */
  async pause(): Promise<void> {
    this.signal('SIGSTOP');
    this.paused = true;
  }

  /** Thaws a paused process (SIGCONT). */
  async resume(): Promise<void> {
    this.signal('SIGCONT');
    this.paused = false;
  }

  /** `CLIENT PAUSE ms ALL|WRITE`: the server stays up but holds clients' commands. */
  async clientPause(ms: number, mode: 'ALL' | 'WRITE' = 'ALL'): Promise<void> {
    await this.cli('CLIENT', 'PAUSE', String(ms), mode);
  }

  /** Runs `redis-cli -p P ...args`; resolves with trimmed stdout, rejects on an error reply. */
  cli(...args: string[]): Promise<string> {
    const connection = ['-h', HOST, '-p', String(this.port)];
    return runRedisCli({ connection, password: this.password }, args);
  }

  /** Calls per command since start or `resetStats()`, from `INFO commandstats`: `{ get: 3 }`. */
  async commandStats(): Promise<Record<string, number>> {
    return parseCommandStats(await this.cli('INFO', 'commandstats'));
  }

  /** `CONFIG RESETSTAT`: zeroes the command stats. */
  async resetStats(): Promise<void> {
    await this.cli('CONFIG', 'RESETSTAT');
  }

  /** First element of `ROLE`: what the server is now, which a failover changes. */
  async currentRole(): Promise<'master' | 'slave' | 'sentinel'> {
    const [role] = (await this.cli('ROLE')).split('\n');
    return role as 'master' | 'slave' | 'sentinel';
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.running) throw new Error(`redis-server on port ${this.port} is not running`);
    this.child!.kill(signal);
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    const child = this.child!;
    // A stopped process cannot act on SIGTERM until it is continued.
    if (this.paused) child.kill('SIGCONT');
    this.paused = false;
    child.kill(signal);
    const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(escalate);
  }

  private async launch(): Promise<void> {
    this.output = '';
    const child = spawn('redis-server', this.argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.paused = false;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const append = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-MAX_LOG_CHARS);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    // A server a spec forgot to stop must not keep Jest alive; the registry still kills it.
    child.unref();
    (child.stdout as unknown as net.Socket).unref();
    (child.stderr as unknown as net.Socket).unref();
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', resolve);
    });
    if (spawned) {
      throw new RedisStartError(`redis-server failed to spawn: ${spawned.message}`, '', false);
    }
    trackChild(child, this.dir);
    await this.waitReady(child);
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.running) {
        await sleep(50); // let the last of its output arrive
        const log = this.output;
        const code = child.exitCode ?? child.signalCode;
        throw new RedisStartError(
          `redis-server on port ${this.port} exited (${code}) before answering PING`,
          log,
          /Address already in use/i.test(log),
        );
      }
      if (await answersAs(child.pid!, this.port, this.password, 250)) return;
      await sleep(20);
    }
    child.kill('SIGKILL');
    await this.exited;
    throw new RedisStartError(
      `redis-server on port ${this.port} did not answer PING within ${READY_TIMEOUT_MS} ms`,
      this.output,
      false,
    );
  }
}

function buildArgv(port: number, dir: string, options: StartRedisOptions): string[] {
  return [
    ...(options.configFile ? [options.configFile] : []),
    ...(options.sentinel ? ['--sentinel'] : []),
    ...['--port', String(port), '--bind', HOST, '--dir', dir, '--daemonize', 'no'],
    ...['--save', '', '--appendonly', 'no'],
    // Replicas would otherwise wait 5 s for a diskless full sync to start.
    ...['--repl-diskless-sync-delay', '0'],
    // Do not wait for lagging replicas on SIGTERM: stop() must be quick even mid-failover.
    ...['--shutdown-on-sigterm', 'nosave now'],
    ...(options.password ? ['--requirepass', options.password] : []),
    ...(options.args ?? []),
  ];
}

/** Parses `INFO commandstats` into `{ command: calls }`, e.g. `{ get: 3, 'client|pause': 1 }`. */
export function parseCommandStats(info: string): Record<string, number> {
  const stats: Record<string, number> = {};
  for (const [key, value] of Object.entries(parseInfo(info))) {
    const calls = /(?:^|,)calls=(\d+)/.exec(value);
    if (key.startsWith('cmdstat_') && calls) stats[key.slice('cmdstat_'.length)] = Number(calls[1]);
  }
  return stats;
}

/**
 * Starts a redis-server on a free loopback port with no persistence, in its own temp dir, and
 * resolves once it answers (rejecting after 5 s with its log).
 *
 * @example
 * const redis = await startRedis({ args: ['--maxmemory', '10mb'] });
 * const client = new Redis(redis.url);
 */
export function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  return RedisServer.start(options);
}

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { track } from './processes';

/** A message from a bench child: `{ type, ...payload }`. */
export interface ChildMessage {
  type: string;
  [field: string]: unknown;
}

/**
 * A compiled bench script run in its own Node process with an IPC channel, so its CPU is its own
 * (the load generator and the measured code never share an event loop).
 */
export class BenchChild {
  private constructor(private readonly child: ChildProcess) {}

  /** Forks `build/bench/src/<script>.js` and waits for its `{ type: 'ready' }`. */
  static async start(
    script: string,
    args: string[],
    env: Record<string, string>,
    execArgv: string[] = [],
  ): Promise<{ child: BenchChild; ready: ChildMessage }> {
    const child = track(
      fork(join(__dirname, '..', `${script}.js`), args, {
        env: { ...process.env, ...env },
        execArgv,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const wrapped = new BenchChild(child);
    const ready = await wrapped.next('ready');
    return { child: wrapped, ready };
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  send(message: ChildMessage): void {
    this.child.send(message);
  }

  /** The next message of `type`; rejects if the child exits first. */
  next(type: string): Promise<ChildMessage> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: ChildMessage): void => {
        if (message.type === 'error') done(() => reject(new Error(String(message.message))));
        else if (message.type === type) done(() => resolve(message));
      };
      const onExit = (code: number | null): void =>
        done(() => reject(new Error(`bench child exited (${code}) waiting for '${type}'`)));
      const done = (settle: () => void): void => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        settle();
      };
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
    });
  }

  /** Sends `request` and waits for the reply of type `reply`. */
  async ask(request: ChildMessage, reply: string): Promise<ChildMessage> {
    const answer = this.next(reply);
    this.send(request);
    return answer;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const escalate = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(escalate);
  }
}

/** In a child: sends a message to the parent. */
export function tellParent(message: ChildMessage): void {
  process.send?.(message);
}

/** In a child: reports a failure to the parent and exits. */
export function failChild(error: unknown): never {
  tellParent({
    type: 'error',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exit(1);
}

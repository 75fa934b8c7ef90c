import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Splits this machine's CPUs between the HTTP apps and everything else (autocannon, Redis) with
 * `taskset`, so that an app never waits for a core the load generator holds, and each app's req/s
 * follows its own CPU cost. In a short run of one variant the spread of the paired ratio narrowed
 * from 0.50–0.89x unpinned to 0.73–1.00x pinned; over a full run the shared machine's own changes
 * of speed still widen it.
 *
 * `BENCH_PIN=0` turns it off; it is off where `taskset` is missing or there is a single CPU.
 */
export class CpuPinning {
  private constructor(
    /** The CPUs of the apps under test, as taskset spells them (`'1'`). */
    readonly appCpus: string,
    /** The CPUs of the load generator and Redis (`'0'`). */
    readonly loadCpus: string,
    private readonly allCpus: string,
  ) {}

  /** The split for this machine, or undefined when pinning is off or impossible. */
  static detect(): CpuPinning | undefined {
    const cpus = availableParallelism();
    if (process.env.BENCH_PIN === '0' || process.platform !== 'linux' || cpus < 2) return undefined;
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    } catch {
      return undefined;
    }
    const last = cpus - 1;
    const load = last === 1 ? '0' : `0-${last - 1}`;
    return new CpuPinning(String(last), load, `0-${last}`);
  }

  /** Runs `pid`, every thread of it (V8's GC helpers, libuv's pool), on `cpus` only. */
  pin(pid: number, cpus: string): void {
    execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' });
  }

  /** Lets `pid` run on every CPU again. */
  release(pid: number): void {
    try {
      this.pin(pid, this.allCpus);
    } catch {
      // The process is gone.
    }
  }

  describe(): string {
    return `the apps pinned to CPU ${this.appCpus}, autocannon and Redis to CPU ${this.loadCpus} (taskset)`;
  }
}

import { performance } from 'node:perf_hooks';
import type { BenchConfig } from '../config';
import type { Contender, ContenderSpec } from '../contenders/contender';
import { countingLoader, ids, type CountingLoader } from '../fixtures';
import { commandDelta, serverUsecDelta, type BenchRedis } from '../infra/redis-server';
import { ioredisCommandsSent, roundTrips } from '../infra/round-trips';
import { turnOrder } from '../stats/turn-order';

/** How the hit path is driven: one read at a time or many in flight, over many keys or one. */
export interface HitScenario {
  id: string;
  label: string;
  concurrency: number;
  hot: boolean;
}

export const HIT_SCENARIOS: readonly HitScenario[] = [
  { id: 'seq-distinct', label: 'sequential, distinct keys', concurrency: 1, hot: false },
  { id: 'seq-hot', label: 'sequential, one hot key', concurrency: 1, hot: true },
  { id: 'c64-distinct', label: '64 in flight, distinct keys', concurrency: 64, hot: false },
  { id: 'c64-hot', label: '64 in flight, one hot key', concurrency: 64, hot: true },
];

export interface HitResult {
  spec: ContenderSpec;
  /** Operations per second, one per repetition (in repetition order). */
  opsPerSec: number[];
  ops: number;
  /** Redis commands during the measured slices (INFO commandstats: script internals included). */
  commands: Record<string, number>;
  /** Commands the contender's client sent during the measured slices: its round trips. */
  roundTrips: number;
  /** Microseconds Redis spent running the commands of the measured slices. */
  serverUsec: number;
  /** Loader calls during the measured slices: 0 if every read was a hit. */
  loads: number;
  error?: string;
}

export interface HitScenarioResult {
  scenario: HitScenario;
  results: HitResult[];
}

interface Live {
  spec: ContenderSpec;
  contender?: Contender;
  loader: CountingLoader;
  error?: string;
}

/**
 * Every contender is built once and filled, then each scenario runs: one unmeasured slice per
 * contender, then repetitions in which every contender gets one time slice, in the order of
 * {@link turnOrder}: none always runs first, and none always right after the same rival.
 */
export async function runHitPath(
  config: BenchConfig,
  redis: BenchRedis,
  specs: readonly ContenderSpec[],
): Promise<HitScenarioResult[]> {
  const keys = ids(config.micro.distinctKeys);
  const live: Live[] = [];
  for (const spec of specs) {
    const loader = countingLoader();
    const entry: Live = { spec, loader };
    live.push(entry);
    try {
      entry.contender = await spec.create({
        redisUrl: redis.url,
        loader: loader.load,
        namespace: `hit-${spec.id}`,
      });
      // Twice: a two-tier cache fills its first tier on the read after the load.
      for (let pass = 0; pass < 2; pass++) for (const key of keys) await entry.contender.read(key);
    } catch (error) {
      entry.error = describe(error);
    }
  }
  try {
    const out: HitScenarioResult[] = [];
    for (const scenario of HIT_SCENARIOS)
      out.push(await runScenario(config, redis, live, keys, scenario));
    return out;
  } finally {
    for (const entry of live) await entry.contender?.close().catch(() => undefined);
  }
}

async function runScenario(
  config: BenchConfig,
  redis: BenchRedis,
  live: Live[],
  keys: string[],
  scenario: HitScenario,
): Promise<HitScenarioResult> {
  const results = live.map<HitResult>((entry) => ({
    spec: entry.spec,
    opsPerSec: [],
    ops: 0,
    commands: {},
    roundTrips: 0,
    serverUsec: 0,
    loads: 0,
    error: entry.error,
  }));
  const { reps, sliceMs } = config.micro;
  for (let rep = -1; rep < reps; rep++) {
    for (const index of turnOrder(live.length, Math.max(rep, 0))) {
      const entry = live[index];
      const result = results[index];
      if (!entry.contender || result.error) continue;
      try {
        const before = await redis.commandStats();
        const loadsBefore = entry.loader.calls();
        const sentBefore = ioredisCommandsSent();
        const { ops, ms } = await runSlice(entry.contender, keys, scenario, sliceMs);
        const sent = ioredisCommandsSent() - sentBefore;
        const after = await redis.commandStats();
        if (rep < 0) continue; // the warm-up slice
        result.opsPerSec.push((ops / ms) * 1000);
        result.ops += ops;
        result.loads += entry.loader.calls() - loadsBefore;
        const delta = commandDelta(before, after);
        for (const [command, calls] of Object.entries(delta)) {
          result.commands[command] = (result.commands[command] ?? 0) + calls;
        }
        result.roundTrips += roundTrips(entry.spec.client, sent, delta);
        result.serverUsec += serverUsecDelta(before, after);
      } catch (error) {
        result.error = describe(error);
      }
    }
  }
  return { scenario, results };
}

/** Reads for `sliceMs` with `concurrency` readers in flight; returns reads done and time taken. */
async function runSlice(
  contender: Contender,
  keys: string[],
  scenario: HitScenario,
  sliceMs: number,
): Promise<{ ops: number; ms: number }> {
  // The clock is read once per batch, so it costs next to nothing even for a Map hit.
  const batch = scenario.concurrency > 1 ? 4 : 16;
  let cursor = 0;
  let ops = 0;
  const start = performance.now();
  const deadline = start + sliceMs;
  const reader = async (): Promise<void> => {
    while (performance.now() < deadline) {
      for (let j = 0; j < batch; j++) {
        await contender.read(scenario.hot ? keys[0] : keys[cursor++ % keys.length]);
      }
      ops += batch;
    }
  };
  await Promise.all(Array.from({ length: scenario.concurrency }, reader));
  return { ops, ms: performance.now() - start };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { performance } from 'node:perf_hooks';
import type { BenchConfig } from '../config';
import type { ContenderSpec } from '../contenders/contender';
import { countingLoader } from '../fixtures';
import { BenchChild } from '../infra/child';
import type { BenchRedis } from '../infra/redis-server';

/** One contender's stampedes: loader calls and time until every caller had its value, per repetition. */
export interface StampedeResult {
  spec: ContenderSpec;
  loads: number[];
  ms: number[];
  /** Callers that got something other than the loaded value. */
  wrong: number;
  error?: string;
}

/**
 * 1000 callers ask for one missing key at once, in one process; the loader takes 50 ms.
 * Repetitions are interleaved across contenders, each with a key never used before.
 */
export async function runStampedeInProcess(
  config: BenchConfig,
  redis: BenchRedis,
  specs: readonly ContenderSpec[],
): Promise<StampedeResult[]> {
  const { reps, callers, loaderMs } = config.stampede;
  const live = await Promise.all(
    specs.map(async (spec) => {
      const loader = countingLoader(loaderMs);
      const result: StampedeResult = { spec, loads: [], ms: [], wrong: 0 };
      try {
        const contender = await spec.create({
          redisUrl: redis.url,
          loader: loader.load,
          namespace: `st1-${spec.id}`,
        });
        return { result, loader, contender };
      } catch (error) {
        result.error = String(error);
        return { result, loader, contender: undefined };
      }
    }),
  );
  try {
    for (let rep = 0; rep < reps; rep++) {
      for (const { result, loader, contender } of live) {
        if (!contender || result.error) continue;
        const key = `missing-${rep}-${Date.now()}`;
        const before = loader.calls();
        const started = performance.now();
        try {
          const values = await Promise.all(
            Array.from({ length: callers }, () => contender.read(key)),
          );
          result.ms.push(performance.now() - started);
          result.loads.push(loader.calls() - before);
          result.wrong += values.filter((v) => (v as { id?: string } | null)?.id !== key).length;
        } catch (error) {
          result.error = String(error);
        }
      }
    }
  } finally {
    for (const { contender } of live) await contender?.close().catch(() => undefined);
  }
  return live.map(({ result }) => result);
}

/**
 * The same stampede split over `processes` processes sharing one Redis (4 x 250): each process
 * builds its contender and waits; all get the start signal together.
 */
export async function runStampedeAcrossProcesses(
  config: BenchConfig,
  redis: BenchRedis,
  specs: readonly ContenderSpec[],
): Promise<StampedeResult[]> {
  const { reps, callers, processes, loaderMs } = config.stampede;
  // All workers start together (their start-up is most of this part's time), then each
  // contender's workers run its stampedes while the others wait idle.
  const fleets = await Promise.all(
    specs.map(async (spec) => {
      const args = [spec.id, `st${processes}-${spec.id}`, String(loaderMs)];
      const started = await Promise.allSettled(
        Array.from({ length: processes }, () =>
          BenchChild.start('stampede/stampede-worker', args, { BENCH_REDIS_URL: redis.url }),
        ),
      );
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.child] : []));
      return { spec, workers, failed: failed ? String(failed.reason) : undefined };
    }),
  );
  const out: StampedeResult[] = [];
  try {
    for (const { spec, workers, failed } of fleets) {
      const result: StampedeResult = { spec, loads: [], ms: [], wrong: 0, error: failed };
      out.push(result);
      for (let rep = 0; rep < reps && !result.error; rep++) {
        try {
          const key = `missing-${rep}-${Date.now()}`;
          const done = workers.map((worker) => worker.next('done'));
          const t0 = performance.now();
          for (const worker of workers)
            worker.send({ type: 'go', key, callers: callers / processes });
          const replies = await Promise.all(done);
          result.ms.push(performance.now() - t0);
          result.loads.push(replies.reduce((sum, r) => sum + Number(r.loads), 0));
          result.wrong += replies.reduce((sum, r) => sum + Number(r.wrong), 0);
        } catch (error) {
          result.error = String(error);
        }
      }
    }
  } finally {
    await Promise.all(fleets.flatMap(({ workers }) => workers.map((worker) => worker.stop())));
  }
  return out;
}

import type { BenchConfig } from '../config';
import { BenchChild } from '../infra/child';
import type { BenchRedis } from '../infra/redis-server';
import { COHERENCE_OPS, type CoherenceOp } from './coherence-ops';

/** Per change made on instance A: how long after it returned B still read the old value. */
export interface CoherenceResult {
  op: CoherenceOp;
  /** ms from A's change returning to B's last read of the old value; 0 when B never read it after. */
  staleMs: number[];
  /** Watches that never saw the change (5 s). */
  timeouts: number;
  /** B's reads per watch (one per event-loop turn), to show B was reading all along. */
  reads: number[];
}

/**
 * Two instances (processes) with L1 on one Redis. For each sample, A writes a key, B reads it into
 * its L1 and starts reading it once per event-loop turn, then A changes it (set, del, tag,
 * pattern, clear, in turn); B reports its last read of the old value.
 */
export async function runCoherence(
  config: BenchConfig,
  redis: BenchRedis,
): Promise<CoherenceResult[]> {
  const namespace = `coherence-${Date.now()}`;
  const env = { BENCH_REDIS_URL: redis.url };
  const [a, b] = await Promise.all(
    ['a', 'b'].map(async () => {
      const { child } = await BenchChild.start('coherence/coherence-worker', [namespace], env);
      return child;
    }),
  );
  const ops = Object.keys(COHERENCE_OPS) as CoherenceOp[];
  const results = ops.map((op): CoherenceResult => ({ op, staleMs: [], timeouts: 0, reads: [] }));
  try {
    for (let sample = 0; sample < config.coherence.samples; sample++) {
      const result = results[sample % ops.length];
      const key = `k-${sample}`;
      await a.ask({ type: 'write', key }, 'written');
      await b.ask({ type: 'prime', key }, 'primed');
      const seen = b.next('seen');
      await b.ask({ type: 'watch', key }, 'watching');
      const changed = await a.ask({ type: 'change', key, op: result.op }, 'changed');
      const { lastOld, reads, timedOut } = await seen;
      const staleNs = BigInt(String(lastOld)) - BigInt(String(changed.at));
      result.staleMs.push(Math.max(0, Number(staleNs) / 1e6));
      result.reads.push(Number(reads));
      if (timedOut) result.timeouts++;
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  return results;
}

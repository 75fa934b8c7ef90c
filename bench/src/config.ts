/** How long each part runs: `BENCH_QUICK=1` is a smoke run of a few ms per slice. */
export interface BenchConfig {
  quick: boolean;
  micro: { reps: number; sliceMs: number; distinctKeys: number };
  stampede: { reps: number; callers: number; processes: number; loaderMs: number };
  http: {
    reps: number;
    durationS: number;
    /** Once per app, before the first repetition: fills caches, lets the JIT settle. */
    warmupS: number;
    /** Before every turn, unmeasured, on each of its two routes (see http-bench.ts). */
    turnWarmupS: number;
    connections: number;
    ids: number;
  };
  memory: { keys: number; sampleEvery: number; warmup: number; l1Entries: number };
  /** Changes made on one instance and watched from another (L1 coherence). */
  coherence: { samples: number };
}

export function benchConfig(): BenchConfig {
  const quick = process.env.BENCH_QUICK === '1';
  return quick
    ? {
        quick,
        micro: { reps: 3, sliceMs: 10, distinctKeys: 300 },
        stampede: { reps: 1, callers: 1000, processes: 4, loaderMs: 50 },
        http: {
          reps: 1,
          durationS: 0.2,
          warmupS: 0.3,
          turnWarmupS: 0.05,
          connections: 32,
          ids: 200,
        },
        memory: { keys: 100_000, sampleEvery: 10_000, warmup: 20_000, l1Entries: 40_000 },
        coherence: { samples: 20 },
      }
    : {
        quick,
        micro: { reps: 10, sliceMs: 250, distinctKeys: 1000 },
        stampede: { reps: 5, callers: 1000, processes: 4, loaderMs: 50 },
        // Many short runs, route and baseline back to back: this machine's speed drifts over seconds,
        // and a median over 16 adjacent pairs follows that drift less than one over 5 longer pairs.
        // An even count: the route runs first in half of the pairs, the baseline in the other half.
        http: {
          reps: 16,
          durationS: 0.5,
          warmupS: 1.5,
          turnWarmupS: 0.15,
          connections: 32,
          ids: 200,
        },
        memory: { keys: 1_000_000, sampleEvery: 100_000, warmup: 100_000, l1Entries: 200_000 },
        coherence: { samples: 500 },
      };
}

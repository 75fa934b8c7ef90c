/**
 * The benchmark suite of issue 5: one run, all contenders interleaved and repeated, against the
 * bench's own redis-server; prints RESULTS.md and writes it (and results.json) beside package.json.
 *
 * BENCH_QUICK=1: a short smoke run. BENCH_ONLY=hit,stampede,http,memory,coherence: only those parts (then
 * RESULTS.md is printed but not written).
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as library from '../../libs/cache/src';
import { benchConfig } from './config';
import { HIT_PATH_CONTENDERS, STAMPEDE_CONTENDERS } from './contenders/registry';
import { CpuPinning } from './infra/cpu-pinning';
import { runHttp } from './http/http-bench';
import { BenchRedis } from './infra/redis-server';
import { countIoredisCommands } from './infra/round-trips';
import { runCoherence } from './coherence/coherence';
import { runMemory } from './memory/memory-bench';
import { runHitPath } from './micro/hit-path';
import { describeEnvironment, loadAverage } from './report/environment';
import type { BenchResults } from './report/results';
import { renderResults } from './report/results-md';
import { runStampedeAcrossProcesses, runStampedeInProcess } from './stampede/stampede';

const BENCH_DIR = resolve(__dirname, '..', '..', '..');
const PHASES = ['hit', 'stampede', 'http', 'memory', 'coherence'] as const;

const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);

async function main(): Promise<void> {
  const config = benchConfig();
  countIoredisCommands();
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
  const unknown = only?.filter((name) => !(PHASES as readonly string[]).includes(name)) ?? [];
  if (unknown.length > 0)
    throw new Error(
      `BENCH_ONLY: unknown part(s) ${unknown.join(', ')}; known: ${PHASES.join(', ')}`,
    );
  const runs = (phase: (typeof PHASES)[number]) => !only || only.includes(phase);
  const started = performance.now();
  const redis = await BenchRedis.start();
  log(`redis-server ${redis.pid} on ${redis.url}; ${config.quick ? 'quick' : 'full'} run`);
  const results: BenchResults = {
    config,
    environment: describeEnvironment(await redis.serverField('redis_version')),
    seconds: 0,
    loadAverageEnd: '',
    notes: [ESM_NOTE],
  };
  // A part that fails is reported in RESULTS.md; the other parts still run.
  const phase = async (name: string, work: () => Promise<void>) => {
    const t0 = performance.now();
    log(`${name}...`);
    try {
      await work();
    } catch (error) {
      results.notes.push(`The ${name} part failed: ${String(error)}`);
      log(`${name} failed: ${String(error)}`);
    }
    await redis.flush();
    log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };
  try {
    if (runs('hit')) {
      await phase('hit path', async () => {
        results.hit = await runHitPath(config, redis, HIT_PATH_CONTENDERS);
      });
    }
    if (runs('stampede')) {
      await phase('stampede', async () => {
        results.stampedeInProcess = await runStampedeInProcess(config, redis, STAMPEDE_CONTENDERS);
        const shared = STAMPEDE_CONTENDERS.filter((spec) => spec.shared);
        results.stampedeAcrossProcesses = await runStampedeAcrossProcesses(config, redis, shared);
      });
    }
    if (runs('http')) {
      if (typeof (library as Record<string, unknown>).RateLimitGuard !== 'function') {
        results.notes.push(
          'RateLimitGuard is not exported by the library yet: the module rate-limit variants failed.',
        );
      }
      await phase('http', async () => {
        const pinning = CpuPinning.detect();
        results.httpPinning = pinning?.describe() ?? 'not pinned';
        results.http = await runHttp(config, redis, pinning);
      });
    }
    if (runs('memory')) {
      await phase('memory', async () => {
        results.memory = await runMemory(config);
      });
    }
    if (runs('coherence')) {
      await phase('L1 coherence', async () => {
        results.coherence = await runCoherence(config, redis);
      });
    }
  } finally {
    await redis.stop();
  }
  results.seconds = (performance.now() - started) / 1000;
  results.loadAverageEnd = loadAverage();
  if (only) results.notes.push(`Partial run: BENCH_ONLY=${only.join(',')}.`);
  writeFileSync(join(BENCH_DIR, 'results.json'), JSON.stringify(results, null, 2));
  const markdown = renderResults(results);
  process.stdout.write(markdown);
  if (!only) writeFileSync(join(BENCH_DIR, 'RESULTS.md'), markdown);
  log(`done in ${results.seconds.toFixed(0)} s${only ? '' : '; wrote bench/RESULTS.md'}`);
}

const ESM_NOTE =
  "The bench is CommonJS (compiled by the repo's tsc). bentocache (and its @boringnode/bus) ship ESM " +
  'only; Node 20.20 loads them through `require(esm)` (unflagged since 20.19), so no dynamic import() ' +
  'trick is needed. cache-manager, keyv, @keyv/redis and lru-cache are ESM packages with a CommonJS ' +
  'build, which is what `require` picks.';

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import type { HttpVariantResult } from '../http/http-bench';
import {
  pairedRatio,
  percentile,
  formatRatio,
  formatNumber,
  spread,
  type Spread,
} from '../stats/summary';
import type { BenchResults } from './results';

/** One of the figures: what it compares, the target, what was measured, and the verdict. */
export interface Figure {
  id: string;
  what: string;
  target: string;
  measured: string;
  /** `undefined` when it could not be measured in this run. */
  pass?: boolean;
}

export function evaluateFigures(results: BenchResults): Figure[] {
  return [
    hitRatio(
      results,
      'P1',
      'c64-distinct',
      'module-cacheable-redis',
      'raw-ioredis',
      1.0,
      'Redis hit via @Cacheable (no L1), 64 in flight, vs raw ioredis GET+parse',
    ),
    hitRatio(
      results,
      'P1',
      'c64-distinct',
      'module-cacheable-redis',
      'bentocache-l2',
      2.0,
      'Redis hit via @Cacheable (no L1), 64 in flight, vs bentocache L2 getOrSet',
    ),
    hitRatio(
      results,
      'P2',
      'seq-distinct',
      'module-cacheable-redis',
      'raw-ioredis',
      0.9,
      'Redis hit via @Cacheable (no L1), sequential, vs raw ioredis GET+parse',
    ),
    hitRatio(
      results,
      'P3',
      'seq-distinct',
      'module-cacheable-l1',
      'bentocache-l1l2',
      10,
      "L1 hit via @Cacheable vs bentocache's L1 hit (getOrSet), sequential",
    ),
    hitRatio(
      results,
      'P3',
      'seq-distinct',
      'module-cacheable-l1',
      'cache-manager-memory-get',
      0.5,
      "L1 hit via @Cacheable vs cache-manager's in-memory get, sequential",
    ),
    stampede(results),
    rateLimit(
      results,
      'P5',
      'module-redis-2',
      'Route with 2 named limits on Redis vs the unguarded route',
      true,
    ),
    rateLimit(
      results,
      'P6',
      'module-memory-2',
      'Route with 2 named limits on the memory store vs the unguarded route',
      false,
    ),
    users(
      results,
      'users-module-redis',
      'Cached GET /users/:id, Redis, no L1, vs the CacheInterceptor twin',
    ),
    users(results, 'users-module-l1', 'Cached GET /users/:id, L1+L2, vs the CacheInterceptor twin'),
    users(
      results,
      'users-module-l1',
      'Cached GET /users/:id, L1+L2, vs the same app without L1 (no slower with L1)',
      'users-module-redis',
    ),
    memoryFlat(results),
    maxBytes(results),
    coherence(results),
  ];
}

export function hitOps(results: BenchResults, scenario: string, contender: string): number[] {
  const s = results.hit?.find((h) => h.scenario.id === scenario);
  const r = s?.results.find((x) => x.spec.id === contender);
  return r && !r.error ? r.opsPerSec : [];
}

function verdict(ratio: Spread, target: number): boolean | undefined {
  return Number.isFinite(ratio.median) ? ratio.median >= target : undefined;
}

function hitRatio(
  results: BenchResults,
  id: string,
  scenario: string,
  ours: string,
  theirs: string,
  target: number,
  what: string,
): Figure {
  const a = hitOps(results, scenario, ours);
  const b = hitOps(results, scenario, theirs);
  const ratio = pairedRatio(a, b);
  const measured = Number.isFinite(ratio.median)
    ? `${formatRatio(ratio)}; ${formatNumber(spread(a).median)} vs ${formatNumber(spread(b).median)} ops/s`
    : 'not measured';
  return { id, what, target: `>= ${target}x`, measured, pass: verdict(ratio, target) };
}

function stampede(results: BenchResults): Figure {
  const one = results.stampedeInProcess?.find((r) => r.spec.id === 'module-cacheable-redis');
  const many = results.stampedeAcrossProcesses?.find((r) => r.spec.id === 'module-cacheable-redis');
  const ok = (r?: { loads: number[]; error?: string; wrong: number }) =>
    r && !r.error && r.loads.length > 0
      ? r.loads.every((n) => n === 1) && r.wrong === 0
      : undefined;
  const show = (r?: { loads: number[]; error?: string }) =>
    !r
      ? 'not run'
      : r.error
        ? `failed: ${r.error}`
        : `${r.loads.join(', ')} loader call(s) per run`;
  const passes = [ok(one), ok(many)];
  return {
    id: 'P4',
    what: 'Stampede via @Cacheable on Redis: 1000 callers, one missing key, 50 ms loader',
    target: '1 loader call, 1 process and 4 x 250',
    measured: `1 process: ${show(one)}; 4 x 250: ${show(many)}`,
    pass: passes.includes(undefined) ? undefined : passes.every(Boolean),
  };
}

function httpVariant(results: BenchResults, id: string): HttpVariantResult | undefined {
  const v = results.http?.find((r) => r.variant.id === id);
  return v && !v.error && v.route.runs.length > 0 ? v : undefined;
}

/** Redis commands (INFO commandstats) per request over all measured runs of a route. */
export function commandsPerRequest(runs: HttpVariantResult['route']['runs']): number {
  const requests = runs.reduce((sum, r) => sum + r.received, 0);
  const commands = runs.reduce(
    (sum, r) => sum + Object.values(r.commands).reduce((a, b) => a + b, 0),
    0,
  );
  return commands / requests;
}

/** Client round trips per request over all measured runs of a route. */
export function roundTripsPerRequest(runs: HttpVariantResult['route']['runs']): number {
  const requests = runs.reduce((sum, r) => sum + r.received, 0);
  return runs.reduce((sum, r) => sum + r.roundTrips, 0) / requests;
}

function rateLimit(
  results: BenchResults,
  id: string,
  variantId: string,
  what: string,
  redis: boolean,
): Figure {
  // One round trip at most, whatever the number of limits; concurrent requests may share one.
  const target = redis ? '>= 0.9x, at most 1 client round trip per request' : '>= 0.9x';
  const v = httpVariant(results, variantId);
  if (!v) return { id, what, target, measured: 'not measured' };
  const ratio = pairedRatio(
    v.route.runs.map((r) => r.reqPerSec),
    v.baseline.runs.map((r) => r.reqPerSec),
  );
  let measured = `${formatRatio(ratio)}; ${formatNumber(spread(v.route.runs.map((r) => r.reqPerSec)).median)} vs ${formatNumber(spread(v.baseline.runs.map((r) => r.reqPerSec)).median)} req/s`;
  let pass = verdict(ratio, 0.9);
  if (redis) {
    const perRequest = roundTripsPerRequest(v.route.runs);
    const received = v.route.runs.reduce((sum, r) => sum + r.received, 0);
    const evalsha = v.route.runs.reduce((sum, r) => sum + (r.commands.evalsha ?? 0), 0);
    measured +=
      `; ${perRequest.toFixed(3)} client round trips/request ` +
      `(commandstats: evalsha ${(evalsha / received).toFixed(3)}, ` +
      `${commandsPerRequest(v.route.runs).toFixed(2)} commands incl. those inside the script)`;
    pass = pass && perRequest <= 1.01;
  }
  return { id, what, target, measured, pass };
}

/** `variantId`'s cached route against another variant's (by default the CacheInterceptor twin). */
function users(
  results: BenchResults,
  variantId: string,
  what: string,
  againstId = 'users-interceptor-redis',
): Figure {
  const id = 'P7';
  const target = '>= 1.0x (req/s)';
  const ours = httpVariant(results, variantId);
  const twin = httpVariant(results, againstId);
  if (!ours || !twin) return { id, what, target, measured: 'not measured' };
  const rps = (v: HttpVariantResult) => v.route.runs.map((r) => r.reqPerSec);
  const ratio = pairedRatio(rps(ours), rps(twin));
  const p99 = (v: HttpVariantResult) => spread(v.route.runs.map((r) => r.p99Ms)).median;
  const cpu = (v: HttpVariantResult) => spread(v.route.runs.map((r) => r.cpuUsPerRequest)).median;
  const measured =
    `${formatRatio(ratio)}; ${formatNumber(spread(rps(ours)).median)} vs ${formatNumber(spread(rps(twin)).median)} req/s; ` +
    `p99 ${p99(ours)} vs ${p99(twin)} ms; CPU ${formatNumber(cpu(ours))} vs ${formatNumber(cpu(twin))} µs/request`;
  return { id, what, target, measured, pass: verdict(ratio, 1.0) };
}

function memoryFlat(results: BenchResults): Figure {
  const what = 'L1/memory store: RSS after warm-up while writing distinct keys';
  const distinct = results.memory?.distinct ?? [];
  const target = 'flat: <= 10% RSS growth from the first sample after warm-up to the last';
  if (distinct.length === 0 || distinct.some((d) => d.error))
    return { id: 'P8', what, target, measured: 'not measured' };
  const keys = formatNumber(results.memory!.keys);
  const measured = distinct
    .map((d) => `${d.path.split(',')[0]}: ${(d.rssGrowth * 100).toFixed(1)}% over ${keys} keys`)
    .join('; ');
  return { id: 'P8', what, target, measured, pass: distinct.every((d) => d.rssGrowth <= 0.1) };
}

function maxBytes(results: BenchResults): Figure {
  const what = 'L1Cache maxBytes = 10 MiB honoured (1 KiB payloads)';
  const target = 'heldBytes <= maxBytes and heap growth <= 1.1 x maxBytes';
  const l1 = results.memory?.l1.find((r) => r.payloadBytes === 1024);
  if (!l1) return { id: 'P8', what, target, measured: 'not measured' };
  const mib = (n: number) => `${(n / 1024 ** 2).toFixed(2)} MiB`;
  const measured = `heldBytes ${mib(l1.heldBytes)} (${formatNumber(l1.held)} entries); heap growth ${mib(l1.heapGrowth)} (${(l1.heapGrowth / l1.maxBytes).toFixed(2)}x)`;
  return {
    id: 'P8',
    what,
    target,
    measured,
    pass: l1.heldBytes <= l1.maxBytes && l1.heapGrowth <= 1.1 * l1.maxBytes,
  };
}

/** The coherence figure: B reads nothing stale later than 50 ms (p99) after A's change. */
function coherence(results: BenchResults): Figure {
  const what = "L1 coherence: instance B's last read of the old value after A's change returned";
  const target = 'p99 <= 50 ms, no change missed';
  const all = results.coherence ?? [];
  const stale = all.flatMap((r) => r.staleMs);
  if (stale.length === 0) return { id: 'L1', what, target, measured: 'not measured' };
  const timeouts = all.reduce((sum, r) => sum + r.timeouts, 0);
  const p99 = percentile(stale, 99);
  const measured =
    `p50 ${percentile(stale, 50).toFixed(2)} / p99 ${p99.toFixed(2)} / max ` +
    `${Math.max(...stale).toFixed(2)} ms over ${formatNumber(stale.length)} changes; ${timeouts} missed`;
  return { id: 'L1', what, target, measured, pass: p99 <= 50 && timeouts === 0 };
}

import { now, sleepUntil } from './clock';
import type { HttpClient } from './http-client';
import { LoadGenerator, type Sample } from './load-generator';
import {
  CacheCountersPoller,
  ReadinessPoller,
  type CacheCounters,
  type ReadinessSample,
} from './probes';
import type { UsersFixture } from './users-fixture';

/** A fault to inject while the load runs. */
export interface FaultPlan<T> {
  /** Load before the fault (the "before" of every comparison). Default 3 s. */
  baselineMs?: number;
  /** How long the fault lasts, from the start of `inject()`. Default 5 s. */
  holdMs?: number;
  /** Load after the fault is removed. */
  tailMs: number;
  inject(): Promise<void>;
  remove(): Promise<void>;
  /** Runs once the fault is in place, next to the load (for example logout probes). */
  duringFault?(): Promise<T>;
  /** Runs as soon as the fault is removed, next to the load (for example to look at Redis). */
  afterRemove?(): Promise<unknown>;
}

/** When things happened, on the runner's clock. */
export interface FaultTimes {
  loadStart: number;
  /** `inject()` was called / returned. */
  inject: number;
  injected: number;
  /** `remove()` was called / returned (for a restart: Redis answers again). */
  remove: number;
  removed: number;
  loadEnd: number;
}

export interface FaultRun<T> {
  samples: Sample[];
  readiness: ReadinessSample[];
  counters: CacheCounters[];
  times: FaultTimes;
  during?: T;
  after?: unknown;
}

/**
 * Runs the load (200 req/s split across the instances) with readiness and cache-counter probes,
 * injects the fault after the baseline, removes it after `holdMs`, and returns the timeline.
 */
export async function runFault<T>(
  clients: readonly HttpClient[],
  fixture: UsersFixture,
  plan: FaultPlan<T>,
): Promise<FaultRun<T>> {
  const baselineMs = plan.baselineMs ?? 3000;
  const holdMs = plan.holdMs ?? 5000;
  const readiness = new ReadinessPoller(clients).start();
  const counters = new CacheCountersPoller(clients).start();
  const loadStart = now();
  const load = new LoadGenerator(clients, fixture).run({
    durationMs: baselineMs + holdMs + plan.tailMs,
    seed: Math.floor(loadStart),
  });
  try {
    await sleepUntil(loadStart + baselineMs);
    const inject = now();
    await plan.inject();
    const injected = now();
    const during = plan.duringFault?.();
    await sleepUntil(inject + holdMs);
    const remove = now();
    await plan.remove();
    const removed = now();
    const after = plan.afterRemove?.();
    const samples = await load;
    const loadEnd = now();
    return {
      samples,
      readiness: await readiness.stop(),
      counters: await counters.stop(),
      times: { loadStart, inject, injected, remove, removed, loadEnd },
      during: await during,
      after: await after,
    };
  } finally {
    await load.catch(() => undefined);
    await readiness.stop();
    await counters.stop();
  }
}

/**
 * The counters of each instance over [from, to]: the last report at or before `from` and the first
 * at or after `to` (or the nearest ones inside), so the whole interval is covered.
 */
function deltas(
  counters: readonly CacheCounters[],
  from: number,
  to: number,
): { hits: number; misses: number; errors: number } {
  const total = { hits: 0, misses: 0, errors: 0 };
  for (const instance of new Set(counters.map((c) => c.instance))) {
    const list = counters.filter((c) => c.instance === instance).sort((a, b) => a.t - b.t);
    const first = [...list].reverse().find((c) => c.t <= from) ?? list.find((c) => c.t >= from);
    const last = list.find((c) => c.t >= to) ?? [...list].reverse().find((c) => c.t <= to);
    if (!first || !last || last.t <= first.t) continue;
    total.hits += last.hits - first.hits;
    total.misses += last.misses - first.misses;
    total.errors += last.errors - first.errors;
  }
  return total;
}

/** Hit rate of the cache across instances over [from, to]; NaN without reads. */
export function hitRate(counters: readonly CacheCounters[], from: number, to: number): number {
  const { hits, misses } = deltas(counters, from, to);
  return hits + misses === 0 ? NaN : hits / (hits + misses);
}

/** Cache errors (failed store calls) counted by all instances over [from, to]. */
export function cacheErrors(counters: readonly CacheCounters[], from: number, to: number): number {
  return deltas(counters, from, to).errors;
}

import autocannon from 'autocannon';
import type { BenchConfig } from '../config';
import { ids } from '../fixtures';
import { BenchChild } from '../infra/child';
import { CpuPinning } from '../infra/cpu-pinning';
import { commandDelta, type BenchRedis } from '../infra/redis-server';
import { roundTrips } from '../infra/round-trips';
import { turnOrder } from '../stats/turn-order';
import { HTTP_VARIANTS, type HttpVariant } from './variants';

/**
 * Node flags of every HTTP app, ours and the rivals' alike. Each app sits idle while the others
 * take their turns (10-20 s in a full run), and V8's memory reducer uses such a pause to shrink the
 * heap with extra GCs; the app then pays for regrowing it on its next turn. That made the first run
 * of every turn cost 100-150 µs more per request than the second (measured 2026-11-26 with eight
 * apps in rotation, `scripts/turn-probe.cjs`: 320-420 against 220-260 µs; 220-245 against 205-220
 * with the flag), so the paired ratio followed which route ran first. A server under steady
 * traffic does not go idle for seconds between bursts.
 */
export const HTTP_APP_NODE_FLAGS = ['--no-memory-reducer'];

/** One autocannon run against one route. */
export interface HttpRun {
  /** Responses autocannon got. */
  requests: number;
  /** Requests the app received (in-flight ones at the end included): the per-request divisor. */
  received: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU (user + system) of the app process per request. */
  cpuUsPerRequest: number;
  /** CPU the Redis server used per request (`INFO cpu`; its network work included). */
  redisCpuUsPerRequest: number;
  /** Redis commands during the run (INFO commandstats: script internals included). */
  commands: Record<string, number>;
  /** Commands the app's Redis client sent during the run. */
  roundTrips: number;
  failures: number;
}

export interface HttpRouteResult {
  path: string;
  runs: HttpRun[];
}

export interface HttpVariantResult {
  variant: HttpVariant;
  route: HttpRouteResult;
  baseline: HttpRouteResult;
  error?: string;
}

interface RunningApp {
  variant: HttpVariant;
  child: BenchChild;
  port: number;
  /** Sent as `Authorization: Bearer` when the app signed one. */
  token?: string;
  result: HttpVariantResult;
}

/**
 * Every variant in its own process (so the load generator's CPU is not the app's), all started up
 * front with {@link HTTP_APP_NODE_FLAGS}; then, repetition after repetition, each variant takes a
 * turn (in the order of {@link turnOrder}): an unmeasured warm-up on both routes, then autocannon
 * runs its guarded/cached route and its baseline one after the other, route first in half of the
 * repetitions.
 */
export async function runHttp(
  config: BenchConfig,
  redis: BenchRedis,
  pinning = CpuPinning.detect(),
): Promise<HttpVariantResult[]> {
  const apps: RunningApp[] = [];
  const results: HttpVariantResult[] = [];
  // BENCH_HTTP=revocation,users-module: only the variants whose id starts with one of these.
  const wanted = process.env.BENCH_HTTP?.split(',').map((s) => s.trim());
  const variants = HTTP_VARIANTS.filter((v) => !wanted || wanted.some((w) => v.id.startsWith(w)));
  if (pinning) {
    pinning.pin(process.pid, pinning.loadCpus);
    pinning.pin(redis.pid, pinning.loadCpus);
  }
  const started = await Promise.allSettled(
    variants.map((variant) =>
      BenchChild.start(
        'http/http-app',
        [variant.id],
        { BENCH_REDIS_URL: redis.url },
        HTTP_APP_NODE_FLAGS,
      ),
    ),
  );
  started.forEach((outcome, i) => {
    const variant = variants[i];
    const result: HttpVariantResult = {
      variant,
      route: { path: variant.route, runs: [] },
      baseline: { path: variant.baseline, runs: [] },
    };
    results.push(result);
    if (outcome.status === 'fulfilled') {
      const { child, ready } = outcome.value;
      pinning?.pin(child.pid, pinning.appCpus);
      const token = typeof ready.token === 'string' ? ready.token : undefined;
      apps.push({ variant, child, port: Number(ready.port), token, result });
    } else {
      result.error = String(outcome.reason);
    }
  });
  try {
    const { http } = config;
    for (const app of apps) {
      // Also fills every cache: the warm-up goes over every id at least once.
      for (const path of [app.variant.route, app.variant.baseline]) {
        await load(app, path, http, http.warmupS);
      }
    }
    for (let rep = 0; rep < http.reps; rep++) {
      for (const index of turnOrder(apps.length, rep)) {
        const app = apps[index];
        const { result } = app;
        if (result.error) continue;
        // Route first in half of the repetitions, whichever way the turns go (turnOrder reverses
        // every other one).
        const routeFirst = Math.floor(rep / 2) % 2 === 0;
        const pair = routeFirst ? [result.route, result.baseline] : [result.baseline, result.route];
        try {
          // Even so, an app that sat idle while the others ran is a little slower at first: each
          // turn starts with an unmeasured load on both of its routes.
          for (const route of pair) await load(app, route.path, http, http.turnWarmupS);
          for (const route of pair) {
            route.runs.push(await measure(app, route.path, http, redis));
          }
        } catch (error) {
          result.error = String(error);
        }
      }
    }
  } finally {
    await Promise.all(apps.map((app) => app.child.stop()));
    pinning?.release(process.pid);
    pinning?.release(redis.pid);
  }
  return results;
}

async function measure(
  app: RunningApp,
  path: string,
  http: BenchConfig['http'],
  redis: BenchRedis,
): Promise<HttpRun> {
  const cpuBefore = await cpuOf(app);
  const statsBefore = await redis.commandStats();
  const redisCpuBefore = await redis.cpuUs();
  const result = await load(app, path, http, http.durationS);
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000;
  const redisCpuAfter = await redis.cpuUs();
  const statsAfter = await redis.commandStats();
  const cpuAfter = await cpuOf(app);
  const requests = result.requests.total;
  const received = cpuAfter.received - cpuBefore.received;
  const cpuUs =
    cpuAfter.usage.user - cpuBefore.usage.user + (cpuAfter.usage.system - cpuBefore.usage.system);
  const commands = commandDelta(statsBefore, statsAfter);
  return {
    requests,
    received,
    reqPerSec: requests / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuUsPerRequest: cpuUs / received,
    redisCpuUsPerRequest: (redisCpuAfter - redisCpuBefore) / received,
    commands,
    roundTrips: roundTrips(app.variant.client, cpuAfter.sent - cpuBefore.sent, commands),
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * `:id` paths take the next id of one shared sequence, so the requests in flight all ask for
 * different ids (none is served by another's in-flight read) and every id comes back in turn.
 */
function load(
  app: RunningApp,
  path: string,
  http: BenchConfig['http'],
  seconds: number,
): Promise<autocannon.Result> {
  const all = ids(http.ids);
  let next = 0;
  const request = path.includes(':id')
    ? {
        setupRequest: (req: { path: string }) => ({
          ...req,
          path: path.replace(':id', all[next++ % all.length]),
        }),
      }
    : { path };
  return autocannon({
    url: `http://127.0.0.1:${app.port}`,
    connections: http.connections,
    duration: seconds,
    sampleInt: 100,
    headers: app.token ? { authorization: `Bearer ${app.token}` } : undefined,
    requests: [request],
  });
}

async function cpuOf(
  app: RunningApp,
): Promise<{ usage: NodeJS.CpuUsage; sent: number; received: number }> {
  const reply = await app.child.ask({ type: 'cpu' }, 'cpu');
  return {
    usage: reply.usage as NodeJS.CpuUsage,
    sent: Number(reply.sent),
    received: Number(reply.received),
  };
}

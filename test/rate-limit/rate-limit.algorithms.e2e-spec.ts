import { Controller, Get } from '@nestjs/common';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimit, type RateLimitOptions } from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { startRedis, waitUntil, type RedisServer } from '../harness';
import { startRateLimitApp, statuses, tally, type RateLimitApp } from './rate-limit-app';

@Controller()
class ItemsController {
  @Get('items')
  items(): string {
    return 'ok';
  }

  @RateLimit([
    { name: 'burst', limit: 1000, window: '10s' },
    { name: 'sustained', limit: 5000, window: '1m' },
    { name: 'daily', limit: 10000, window: '1d', blockFor: '1m' },
  ])
  @Get('three-limits')
  threeLimits(): string {
    return 'ok';
  }
}

/** When a request was sent and answered (ms, monotonic), and whether it was admitted. */
interface Timed {
  sent: number;
  answered: number;
  admitted: boolean;
}

/**
 * The sliding-window guarantee seen from outside. The server admitted each request at some moment
 * between its `sent` and `answered`, so if no `window` ever holds more than `limit` admissions, any
 * `limit + 1` admitted requests span at least `window` from the first sent to the last answered.
 * Returns the tightest such span found.
 */
function tightestSpan(admitted: readonly Timed[], limit: number): number {
  let tightest = Number.POSITIVE_INFINITY;
  for (const first of admitted) {
    const later = admitted
      .filter((other) => other !== first && other.sent >= first.sent)
      .map((other) => other.answered)
      .sort((a, b) => a - b);
    if (later.length < limit) continue;
    const lastAnswered = Math.max(first.answered, later[limit - 1]);
    tightest = Math.min(tightest, lastAnswered - first.sent);
  }
  return tightest;
}

describe('rate-limit algorithms on Redis', () => {
  let server: RedisServer;
  const apps: RateLimitApp[] = [];

  beforeAll(async () => {
    server = await startRedis();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(() => server.stop());

  async function open(rateLimit: RateLimitOptions): Promise<RateLimitApp> {
    const app = await startRateLimitApp({
      // 'closed': a decision that did not come from Redis would show up as a 503.
      cache: {
        namespace: uniqueNamespace(),
        // Counting is what is proven here; a timeout on a loaded machine is the faults spec's job.
        redis: { url: server.url, commandTimeout: '5s' },
        rateLimit: { onStoreFailure: 'closed', ...rateLimit },
      },
      controllers: [ItemsController],
    });
    apps.push(app);
    return app;
  }

  it('admits exactly 50 of 1000 concurrent requests against a limit of 50', async () => {
    const app = await open({ limits: [{ limit: 50, window: '1m' }] });
    const scriptCalls = async () =>
      Number(
        /cmdstat_evalsha:calls=(\d+)/.exec(await server.cli('INFO', 'commandstats'))?.[1] ?? 0,
      );
    const before = await scriptCalls();
    const codes = await statuses(Array.from({ length: 1000 }, () => app.get('/items')));
    expect(Object.fromEntries(tally(codes))).toEqual({ 200: 50, 429: 950 });
    // Requests Node read in one pass shared a script call (each still decided on its own).
    expect((await scriptCalls()) - before).toBeLessThan(1000);
  });

  it('with fixed-window also admits exactly 50 of 1000 concurrent requests', async () => {
    const app = await open({ limits: [{ limit: 50, window: '10s' }], algorithm: 'fixed-window' });
    // The burst (about a second) must fit in one aligned window: not too close to its end.
    if (Date.now() % 10_000 > 7_500) await sleep(10_000 - (Date.now() % 10_000));
    const codes = await statuses(Array.from({ length: 1000 }, () => app.get('/items')));
    expect(Object.fromEntries(tally(codes))).toEqual({ 200: 50, 429: 950 });
  });

  it('sliding-window never admits more than limit requests in any interval of length window', async () => {
    const limit = 5;
    const window = 300;
    const app = await open({ limits: [{ limit, window }] });
    const log: Timed[] = [];
    const until = performance.now() + 1500;
    const client = async () => {
      while (performance.now() < until) {
        const sent = performance.now();
        const { status } = await app.get('/items');
        log.push({ sent, answered: performance.now(), admitted: status === 200 });
      }
    };
    await Promise.all([client(), client(), client(), client()]);

    const admitted = log.filter((entry) => entry.admitted);
    // 1 ms covers the server's clock (gettimeofday) and Node's (monotonic) drifting apart.
    expect(tightestSpan(admitted, limit)).toBeGreaterThanOrEqual(window - 1);
    // And it does admit: about `limit` per window under constant demand (not a stuck limiter).
    expect(admitted.length).toBeGreaterThanOrEqual(limit * 3);
    expect(log.length).toBeGreaterThan(admitted.length);
  });

  it('fixed-window counts per window aligned to the clock, so a new window admits at once', async () => {
    const limit = 5;
    const app = await open({ limits: [{ limit, window: '1s' }], algorithm: 'fixed-window' });
    const intoNextSecond = (ms: number) => sleep(1000 - (Date.now() % 1000) + ms);

    await intoNextSecond(200);
    const firstStarted = performance.now();
    const first = await Promise.all(Array.from({ length: 8 }, () => app.get('/items')));
    expect(first.filter((r) => r.status === 200)).toHaveLength(limit);
    const denied = first.find((r) => r.status === 429)!;
    expect(denied.headers['retry-after']).toBe('1'); // the window ends within the second
    expect(denied.headers['ratelimit']).toBe('"default";r=0;t=1');

    // Under a second after the first burst, but in the next aligned window: a full budget again,
    // where a sliding window would still hold the first burst.
    await intoNextSecond(20);
    expect(performance.now() - firstStarted).toBeLessThan(1000);
    const second = await statuses(Array.from({ length: 8 }, () => app.get('/items')));
    expect(Object.fromEntries(tally(second))).toEqual({ 200: limit, 429: 3 });
  });

  it('checks and counts every named limit of a request in one EVALSHA round trip', async () => {
    const app = await open({ limits: [{ limit: 1, window: '1m' }] });
    expect((await app.get('/three-limits')).status).toBe(200); // loads the script (EVAL once)

    const requests = 20;
    // monitor() opens its own connection; the lazy client it is called on never connects.
    const monitor = await new Redis(server.url, { lazyConnect: true }).monitor();
    const seen: { source: string; command: string }[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      seen.push({ source, command: args[0].toLowerCase() });
    });
    await server.resetStats();
    for (let i = 0; i < requests; i++) expect((await app.get('/three-limits')).status).toBe(200);
    await waitUntil(async () => seen.filter((s) => s.source !== 'lua').length >= requests, {
      what: 'MONITOR to report every request',
      timeoutMs: 2000,
    });
    monitor.disconnect();
    const stats = await server.commandStats();

    // Calls made inside a script are counted too, so the script's calls are not the client's:
    // every command the app sent was EVALSHA, one per request.
    expect(stats.evalsha).toBe(requests);
    expect((stats.evalsha ?? 0) + (stats.eval ?? 0)).toBe(requests);
    // MONITOR tells them apart: commands run by a script show `lua` as their source.
    const fromClients = seen.filter((s) => s.source !== 'lua').map((s) => s.command);
    expect(fromClients).toEqual(Array(requests).fill('evalsha'));
    // ... and inside each call, the hit was logged against all three limits.
    expect(seen.filter((s) => s.command === 'rpush')).toHaveLength(3 * requests);
  });
});

import {
  Controller,
  Get,
  Injectable,
  Logger,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  RATE_LIMIT_MESSAGE,
  RATE_LIMIT_NO_TRACKER_MESSAGE,
  RATE_LIMIT_NO_USER_MESSAGE,
  RateLimit,
  RateLimitGuard,
  SkipRateLimit,
  type CacheModuleOptions,
  type RateLimitOptions,
} from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { standaloneRedis, type StandaloneRedis } from '../harness';
import {
  deleteRateLimitKeys,
  startRateLimitApp,
  type RateLimitApp,
  type RateLimitAppOptions,
} from './rate-limit-app';

@Controller()
class PlainController {
  @Get('plain')
  plain(): string {
    return 'ok';
  }

  @SkipRateLimit()
  @Get('unlimited')
  unlimited(): string {
    return 'ok';
  }

  @SkipRateLimit('burst')
  @Get('no-burst')
  noBurst(): string {
    return 'ok';
  }

  @RateLimit({ name: 'strict', limit: 1, window: '1m' })
  @Get('strict')
  strict(): string {
    return 'ok';
  }
}

@SkipRateLimit()
@Controller('skipped')
class SkippedController {
  @Get()
  index(): string {
    return 'ok';
  }
}

@RateLimit({ name: 'reports', limit: 3, window: '1m' })
@Controller('reports')
class ReportsController {
  @Get()
  list(): string {
    return 'ok';
  }

  @RateLimit({ name: 'export', limit: 1, window: '1m' })
  @Get('export')
  export(): string {
    return 'ok';
  }
}

@Controller('keys')
class ApiKeyController {
  @RateLimit({
    limit: 2,
    window: '1m',
    keyBy: (context: ExecutionContext) =>
      context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-api-key'],
  })
  @Get()
  index(): string {
    return 'ok';
  }
}

@UseGuards(RateLimitGuard)
@Controller('guarded')
class GuardedController {
  @Get()
  index(): string {
    return 'ok';
  }
}

/**
 * Stands in for passport: sets `request.user` from `x-user` when the header is there, or from
 * `x-user-json`, a JSON string, as a JWT's `sub` claim is decoded (it may hold `\ud800` escapes).
 */
@Injectable()
class FakeAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string>; user?: object }>();
    const json = request.headers['x-user-json'];
    const sub = json ? (JSON.parse(json) as string) : request.headers['x-user'];
    if (sub) request.user = { sub };
    return true;
  }
}

const BURST_AND_SUSTAINED: RateLimitOptions['limits'] = [
  { name: 'burst', limit: 2, window: '10s' },
  { name: 'sustained', limit: 10, window: '1m' },
];

describe('RateLimitGuard over HTTP (Express, Redis)', () => {
  let redis: StandaloneRedis;
  const apps: RateLimitApp[] = [];
  const namespaces: string[] = [];

  beforeAll(async () => {
    redis = await standaloneRedis();
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    await deleteRateLimitKeys(redis, namespaces);
    await redis.release();
  });

  async function open(
    rateLimit: RateLimitOptions | undefined,
    extra: Partial<RateLimitAppOptions> = {},
  ): Promise<RateLimitApp> {
    const namespace = uniqueNamespace();
    namespaces.push(namespace);
    // Counting is what is proven here; a timeout on a loaded machine is the faults spec's job.
    const cache: CacheModuleOptions = {
      namespace,
      redis: { url: redis.url, commandTimeout: '5s' },
      rateLimit,
    };
    const app = await startRateLimitApp({
      cache,
      controllers: [PlainController, SkippedController, ReportsController, ApiKeyController],
      ...extra,
    });
    apps.push(app);
    return app;
  }

  it('sends the draft and the legacy headers on every response of a limited route', async () => {
    const app = await open({ limits: BURST_AND_SUSTAINED, onStoreFailure: 'closed' });

    const first = await app.get('/plain');
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"burst";q=2;w=10, "sustained";q=10;w=60');
    expect(first.headers['ratelimit']).toBe('"burst";r=1;t=10, "sustained";r=9;t=60');
    // The legacy headers describe the most restrictive limit: the one with the fewest remaining.
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    expect(first.headers['x-ratelimit-reset']).toBe('10');

    const second = await app.get('/plain');
    expect(second.headers['ratelimit']).toBe('"burst";r=0;t=10, "sustained";r=8;t=60');
    expect(second.headers['x-ratelimit-remaining']).toBe('0');
    expect(app.events.filter((e) => e.type === 'rateLimit.storeFailure')).toEqual([]);
  });

  it.each([
    ['draft', ['ratelimit-policy', 'ratelimit'], ['x-ratelimit-limit']],
    ['legacy', ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'], ['ratelimit']],
    [false, [], ['ratelimit', 'ratelimit-policy', 'x-ratelimit-limit']],
  ] as const)('with headers: %s sends only those headers', async (headers, present, absent) => {
    const app = await open({ limits: [{ limit: 1, window: '1m' }], headers });
    const ok = await app.get('/plain');
    for (const name of present) expect(ok.headers[name]).toBeDefined();
    for (const name of absent) expect(ok.headers[name]).toBeUndefined();
    const denied = await app.get('/plain');
    expect(denied.status).toBe(429);
    expect(denied.headers['retry-after']).toBeDefined(); // part of every 429, whatever `headers`
  });

  it('answers 429 with Retry-After and a JSON body once over the limit', async () => {
    const app = await open({ limits: [{ limit: 2, window: '1m' }] });
    await app.get('/plain');
    await app.get('/plain');

    const denied = await app.get('/plain');
    expect(denied.status).toBe(429);
    expect(denied.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: RATE_LIMIT_MESSAGE,
      retryAfter: expect.any(Number),
    });
    expect(denied.body.retryAfter).toBeGreaterThanOrEqual(59);
    expect(denied.body.retryAfter).toBeLessThanOrEqual(60);
    expect(denied.headers['retry-after']).toBe(String(denied.body.retryAfter));
    expect(denied.headers['ratelimit']).toMatch(/^"default";r=0;t=(59|60)$/);
  });

  it('does not count denied requests', async () => {
    const app = await open({ limits: [{ limit: 2, window: 400 }] });
    expect((await app.get('/plain')).status).toBe(200);
    expect((await app.get('/plain')).status).toBe(200);
    const lastAdmitted = performance.now();
    for (let i = 0; i < 5; i++) expect((await app.get('/plain')).status).toBe(429);

    // Once the two admitted hits left the window the budget is whole again: the five denied
    // requests, sent later, would still be in the window had they been counted.
    await sleep(lastAdmitted + 420 - performance.now());
    expect((await app.get('/plain')).status).toBe(200);
    expect((await app.get('/plain')).status).toBe(200);
  });

  it('holds a tracker that went over for blockFor, and retries do not extend the block', async () => {
    const app = await open({ limits: [{ limit: 1, window: 200, blockFor: 700 }] });
    expect((await app.get('/plain')).status).toBe(200);
    const denied = await app.get('/plain');
    const blockedAt = performance.now();
    expect(denied.status).toBe(429);
    expect(denied.headers['retry-after']).toBe('1');

    await sleep(350); // past the window, still within the block
    const retried = await app.get('/plain');
    expect(retried.status).toBe(429);
    expect(Number(retried.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    await sleep(blockedAt + 760 - performance.now()); // the first block ended; a retry would not have
    expect((await app.get('/plain')).status).toBe(200);
  });

  it('skips every limit with @SkipRateLimit() on a handler or a controller', async () => {
    const app = await open({ limits: [{ limit: 1, window: '1m' }] });
    for (let i = 0; i < 5; i++) {
      const handler = await app.get('/unlimited');
      const controller = await app.get('/skipped');
      expect([handler.status, controller.status]).toEqual([200, 200]);
      expect(handler.headers['ratelimit']).toBeUndefined();
    }
    expect(app.events).toEqual([]); // nothing was counted
  });

  it("skips only the named limits with @SkipRateLimit('burst')", async () => {
    const app = await open({ limits: BURST_AND_SUSTAINED });
    for (let i = 0; i < 4; i++) expect((await app.get('/no-burst')).status).toBe(200);
    const response = await app.get('/no-burst');
    expect(response.headers['ratelimit-policy']).toBe('"sustained";q=10;w=60');
    expect(response.headers['ratelimit']).toBe('"sustained";r=5;t=60');
  });

  it('lets @RateLimit on a controller beat the module, and on a handler beat the controller', async () => {
    const app = await open({ limits: [{ limit: 2, window: '1m' }] });

    const fromHandler = await Promise.all([app.get('/reports/export'), app.get('/reports/export')]);
    expect(fromHandler.map((r) => r.status).sort()).toEqual([200, 429]);
    expect(fromHandler[0].headers['ratelimit-policy']).toBe('"export";q=1;w=60');

    const fromClass = [];
    for (let i = 0; i < 4; i++) fromClass.push(await app.get('/reports'));
    expect(fromClass.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(fromClass[0].headers['ratelimit-policy']).toBe('"reports";q=3;w=60');

    const fromModule = [await app.get('/plain'), await app.get('/plain'), await app.get('/plain')];
    expect(fromModule.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(fromModule[0].headers['ratelimit-policy']).toBe('"default";q=2;w=60');
  });

  it("with keyBy 'user' counts each request.user.sub on its own, from one IP", async () => {
    const app = await open(
      { limits: [{ limit: 2, window: '1m' }], keyBy: 'user' },
      { guardsBefore: [FakeAuthGuard] },
    );
    const ada = [];
    for (let i = 0; i < 3; i++) ada.push((await app.get('/plain', { 'x-user': 'ada' })).status);
    const bob = [];
    for (let i = 0; i < 3; i++) bob.push((await app.get('/plain', { 'x-user': 'bob' })).status);
    expect(ada).toEqual([200, 200, 429]);
    expect(bob).toEqual([200, 200, 429]);
    expect(app.events).toContainEqual({
      type: 'rateLimit.denied',
      limit: 'default',
      tracker: 'user:bob',
    });
  });

  it("with keyBy 'user' keeps subjects that differ only in a lone surrogate apart", async () => {
    // In UTF-8, as Redis stores keys, every lone surrogate is U+FFFD.
    const app = await open(
      { limits: [{ limit: 2, window: '1m' }], keyBy: 'user' },
      { guardsBefore: [FakeAuthGuard] },
    );
    for (const sub of ['"a\\ud800"', '"a\\udfff"']) {
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await app.get('/plain', { 'x-user-json': sub })).status);
      }
      expect({ sub, statuses }).toEqual({ sub, statuses: [200, 200, 429] });
    }
  });

  it("with keyBy 'user' and no request.user fails loudly (500, logged once) instead of sharing a bucket", async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const app = await open(
      { limits: [{ limit: 100, window: '1m' }], keyBy: 'user' },
      { guardsBefore: [FakeAuthGuard] },
    );
    const responses = [await app.get('/plain'), await app.get('/plain'), await app.get('/plain')];
    for (const response of responses) {
      expect(response.status).toBe(500);
      expect(response.body.message).toBe(RATE_LIMIT_NO_USER_MESSAGE);
    }
    const logged = error.mock.calls.filter(([m]) => String(m).includes(RATE_LIMIT_NO_USER_MESSAGE));
    expect(logged).toHaveLength(1);
    expect(app.events).toEqual([]);
  });

  it('warns once per limit whose sliding-window log could take megabytes per tracker', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const app = await open({
      limits: [
        { name: 'burst', limit: 100_000, window: '1s' },
        { name: 'daily', limit: 200_000, window: '1d' },
      ],
    });
    for (let i = 0; i < 3; i++) expect((await app.get('/plain')).status).toBe(200);
    expect((await app.get('/no-burst')).status).toBe(200); // another route, with the daily limit
    const warned = warn.mock.calls.map(([message]) => String(message));
    expect(warned.filter((m) => m.includes("'daily'"))).toEqual([
      expect.stringMatching(/200000 per 86400000 ms.*about 2\.0 MB per tracker.*'fixed-window'/),
    ]);
    expect(warned.filter((m) => m.includes("'burst'"))).toEqual([]);
  });

  it('does not warn about large limits with the fixed window', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const app = await open({
      limits: [{ name: 'daily', limit: 200_000, window: '1d' }],
      algorithm: 'fixed-window',
    });
    expect((await app.get('/plain')).status).toBe(200);
    expect(warn.mock.calls.filter(([m]) => String(m).includes("'daily'"))).toEqual([]);
  });

  it('counts per the value of a custom keyBy function, and fails loudly when it yields none', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const app = await open({ limits: [{ limit: 100, window: '1m' }] });
    const statuses = async (key: string) => [
      (await app.get('/keys', { 'x-api-key': key })).status,
      (await app.get('/keys', { 'x-api-key': key })).status,
      (await app.get('/keys', { 'x-api-key': key })).status,
    ];
    expect(await statuses('alpha')).toEqual([200, 200, 429]);
    expect(await statuses('beta')).toEqual([200, 200, 429]);
    const keyless = await app.get('/keys');
    expect(keyless.status).toBe(500);
    expect(keyless.body.message).toBe(RATE_LIMIT_NO_TRACKER_MESSAGE);
  });

  it('counts X-Forwarded-For as the client only behind a trusted proxy (trust proxy)', async () => {
    const app = await open({ limits: [{ limit: 1, window: '1m' }] }, { trustProxy: 'loopback' });
    const first = await app.get('/plain', { 'x-forwarded-for': '203.0.113.1' });
    const second = await app.get('/plain', { 'x-forwarded-for': '203.0.113.2' });
    const again = await app.get('/plain', { 'x-forwarded-for': '203.0.113.1' });
    expect([first.status, second.status, again.status]).toEqual([200, 200, 429]);
    expect(app.events).toContainEqual(
      expect.objectContaining({ type: 'rateLimit.allowed', tracker: 'ip:203.0.113.2' }),
    );
  });

  it('ignores a spoofed X-Forwarded-For when no proxy is trusted', async () => {
    const app = await open({ limits: [{ limit: 1, window: '1m' }] });
    const first = await app.get('/plain', { 'x-forwarded-for': '198.51.100.1' });
    const spoofed = await app.get('/plain', { 'x-forwarded-for': '198.51.100.2' });
    expect([first.status, spoofed.status]).toEqual([200, 429]);
    expect(app.events[0]).toEqual(
      expect.objectContaining({ type: 'rateLimit.allowed', tracker: 'ip:127.0.0.1' }),
    );
  });

  it('limits a controller guarded with @UseGuards(RateLimitGuard), and only that one', async () => {
    const app = await open(
      { limits: [{ limit: 1, window: '1m' }] },
      { globalGuard: false, controllers: [PlainController, GuardedController] },
    );
    expect([(await app.get('/guarded')).status, (await app.get('/guarded')).status]).toEqual([
      200, 429,
    ]);
    for (let i = 0; i < 3; i++) expect((await app.get('/plain')).status).toBe(200);
  });

  it('works from @RateLimit alone, and names rateLimit when a route has no limits at all', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const app = await open(undefined);
    expect([(await app.get('/strict')).status, (await app.get('/strict')).status]).toEqual([
      200, 429,
    ]);
    const misconfigured = await app.get('/plain');
    expect(misconfigured.status).toBe(500);
    const messages = error.mock.calls.flat().map(String).join('\n');
    expect(messages).toMatch(
      /Invalid cache option "rateLimit": RateLimitGuard guards PlainController\.plain/,
    );
  });
});

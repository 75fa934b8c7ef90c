import {
  Controller,
  Get,
  Injectable,
  Logger,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import {
  RATE_LIMIT_MESSAGE,
  RATE_LIMIT_NO_USER_MESSAGE,
  RateLimit,
  SkipRateLimit,
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
class ItemsController {
  @Get('items')
  items(): { ok: true } {
    return { ok: true };
  }

  @SkipRateLimit()
  @Get('health')
  health(): string {
    return 'up';
  }

  @RateLimit({ name: 'me', limit: 2, window: '1m', keyBy: 'user' })
  @Get('me')
  me(): string {
    return 'me';
  }
}

/** Stands in for an authentication guard: sets `request.user` from `x-user`. */
@Injectable()
class FakeAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string>; user?: object }>();
    if (request.headers['x-user']) request.user = { sub: request.headers['x-user'] };
    return true;
  }
}

describe('RateLimitGuard on the Fastify adapter', () => {
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
    rateLimit: RateLimitOptions,
    extra: Partial<RateLimitAppOptions> = {},
  ): Promise<RateLimitApp> {
    const namespace = uniqueNamespace();
    namespaces.push(namespace);
    const app = await startRateLimitApp({
      cache: { namespace, redis: { url: redis.url, commandTimeout: '5s' }, rateLimit },
      controllers: [ItemsController],
      guardsBefore: [FakeAuthGuard],
      adapter: 'fastify',
      ...extra,
    });
    apps.push(app);
    return app;
  }

  it('sends the headers, then 429 with Retry-After and the JSON body', async () => {
    const app = await open({ limits: [{ limit: 2, window: '30s' }], onStoreFailure: 'closed' });
    const first = await app.get('/items');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ok: true });
    expect(first.headers).toMatchObject({
      'ratelimit-policy': '"default";q=2;w=30',
      ratelimit: '"default";r=1;t=30',
      'x-ratelimit-limit': '2',
      'x-ratelimit-remaining': '1',
      'x-ratelimit-reset': '30',
    });
    await app.get('/items');

    const denied = await app.get('/items');
    expect(denied.status).toBe(429);
    expect(denied.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: RATE_LIMIT_MESSAGE,
      retryAfter: expect.any(Number),
    });
    expect(denied.headers['retry-after']).toBe(String(denied.body.retryAfter));
    expect(denied.body.retryAfter).toBeGreaterThanOrEqual(29);
    expect(denied.headers['ratelimit']).toMatch(/^"default";r=0;t=(29|30)$/);
  });

  it('skips a route marked @SkipRateLimit()', async () => {
    const app = await open({ limits: [{ limit: 1, window: '1m' }] });
    for (let i = 0; i < 3; i++) expect((await app.get('/health')).status).toBe(200);
  });

  it("counts per request.user.sub with keyBy 'user', and fails loudly without a user", async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const app = await open({ limits: [{ limit: 100, window: '1m' }] });
    const ada = [];
    for (let i = 0; i < 3; i++) ada.push((await app.get('/me', { 'x-user': 'ada' })).status);
    expect(ada).toEqual([200, 200, 429]);
    expect((await app.get('/me', { 'x-user': 'bob' })).status).toBe(200);
    const anonymous = await app.get('/me');
    expect(anonymous.status).toBe(500);
    expect(anonymous.body.message).toBe(RATE_LIMIT_NO_USER_MESSAGE);
  });

  it('uses X-Forwarded-For with trustProxy, and ignores it without', async () => {
    const trusting = await open({ limits: [{ limit: 1, window: '1m' }] }, { trustProxy: true });
    const viaProxy = [
      await trusting.get('/items', { 'x-forwarded-for': '203.0.113.1' }),
      await trusting.get('/items', { 'x-forwarded-for': '203.0.113.2' }),
    ];
    expect(viaProxy.map((r) => r.status)).toEqual([200, 200]);

    const direct = await open({ limits: [{ limit: 1, window: '1m' }] });
    const spoofed = [
      await direct.get('/items', { 'x-forwarded-for': '198.51.100.1' }),
      await direct.get('/items', { 'x-forwarded-for': '198.51.100.2' }),
    ];
    expect(spoofed.map((r) => r.status)).toEqual([200, 429]);
  });
});

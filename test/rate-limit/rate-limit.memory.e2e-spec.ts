import { Controller, Get } from '@nestjs/common';
import { RateLimit, type RateLimitOptions } from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { startRateLimitApp, statuses, tally, type RateLimitApp } from './rate-limit-app';

@Controller()
class ItemsController {
  @Get('items')
  items(): string {
    return 'ok';
  }

  @RateLimit([
    { name: 'burst', limit: 2, window: '10s' },
    { name: 'sustained', limit: 5, window: '1m' },
  ])
  @Get('two-limits')
  twoLimits(): string {
    return 'ok';
  }
}

describe('RateLimitGuard on the in-memory store (no redis option)', () => {
  let app: RateLimitApp;

  afterEach(() => app.close());

  async function open(rateLimit: RateLimitOptions): Promise<RateLimitApp> {
    app = await startRateLimitApp({
      cache: { namespace: uniqueNamespace(), rateLimit },
      controllers: [ItemsController],
    });
    return app;
  }

  it('enforces the limit, with the same headers and 429 as on Redis', async () => {
    await open({ limits: [{ limit: 3, window: '1m' }] });
    const responses = [];
    for (let i = 0; i < 4; i++) responses.push(await app.get('/items'));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(responses[0].headers['ratelimit']).toBe('"default";r=2;t=60');
    expect(responses[3].headers['retry-after']).toMatch(/^(59|60)$/);
    expect(app.events.some((e) => e.type === 'rateLimit.storeFailure')).toBe(false);
  });

  it('admits exactly the limit among 300 concurrent requests', async () => {
    await open({ limits: [{ limit: 30, window: '1m' }] });
    const codes = await statuses(Array.from({ length: 300 }, () => app.get('/items')));
    expect(Object.fromEntries(tally(codes))).toEqual({ 200: 30, 429: 270 });
  });

  it('checks every named limit and counts a denied request against none', async () => {
    await open({ limits: [{ limit: 100, window: '1m' }], algorithm: 'fixed-window' });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await app.get('/two-limits')).status);
    expect(codes).toEqual([200, 200, 429]);
    const denied = await app.get('/two-limits');
    expect(denied.headers['ratelimit']).toMatch(/^"burst";r=0;t=\d+, "sustained";r=3;t=\d+$/);
  });
});

import { Controller, Get, Logger } from '@nestjs/common';
import {
  CACHE_REDIS_CONNECTION,
  RATE_LIMIT_UNAVAILABLE_MESSAGE,
  RateLimitService,
  type RateLimitOptions,
  type RateLimitOutcome,
  type RateLimitSettings,
  type RedisConnection,
} from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { startRedis, waitUntil, type RedisServer } from '../harness';
import { startRateLimitApp, type RateLimitApp } from './rate-limit-app';

const COMMAND_TIMEOUT = 150;
// Generous: this bounds a hang, it does not measure speed (the machine is shared and noisy).
const BOUND = COMMAND_TIMEOUT + 600;

@Controller()
class ItemsController {
  @Get('items')
  items(): string {
    return 'ok';
  }
}

describe('RateLimitGuard when Redis fails', () => {
  let server: RedisServer;
  let app: RateLimitApp;

  beforeAll(async () => {
    server = await startRedis();
  });

  beforeEach(async () => {
    if (!server.running) await server.restart();
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    if (server.running) await server.resume();
    await app.close();
  });

  afterAll(() => server.stop());

  async function open(
    onStoreFailure: RateLimitOptions['onStoreFailure'],
    limit: number,
  ): Promise<RateLimitApp> {
    app = await startRateLimitApp({
      cache: {
        namespace: uniqueNamespace(),
        redis: { url: server.url, commandTimeout: COMMAND_TIMEOUT, connectTimeout: 300 },
        rateLimit: { limits: [{ limit, window: '30s' }], onStoreFailure },
      },
      controllers: [ItemsController],
    });
    const first = await app.get('/items');
    expect(first.status).toBe(200); // counted in Redis: the connection is up
    return app;
  }

  /** Sends `count` requests one after another; each must be answered within BOUND. */
  async function timedStatuses(count: number): Promise<number[]> {
    const codes: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      const response = await app.get('/items');
      expect(performance.now() - started).toBeLessThan(BOUND);
      codes.push(response.status);
    }
    return codes;
  }

  const failures = () => app.events.filter((event) => event.type === 'rateLimit.storeFailure');

  it("'local' keeps enforcing the limit per process while Redis is stopped, and replays no hit once it is back", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    await open('local', 3);
    await server.stop();

    // The hit counted in Redis before the outage is not known here: 3 more fit in memory.
    expect(await timedStatuses(6)).toEqual([200, 200, 200, 429, 429, 429]);
    expect(failures()).toEqual(Array(6).fill({ type: 'rateLimit.storeFailure', mode: 'local' }));
    const outageWarnings = warn.mock.calls.filter(([m]) => /store unavailable/.test(String(m)));
    expect(outageWarnings).toHaveLength(1); // once per outage, not per request

    await server.restart(); // no persistence: Redis comes back empty
    const { client } = app.app.get<RedisConnection>(CACHE_REDIS_CONNECTION);
    await waitUntil(async () => client.status === 'ready', { what: 'the client to reconnect' });
    const after = await app.get('/items');
    expect(after.status).toBe(200);
    expect(after.headers['ratelimit']).toBe('"default";r=2;t=30');
    expect(failures()).toHaveLength(6); // decided by Redis again
    expect(log.mock.calls.some(([m]) => /answers again/.test(String(m)))).toBe(true);

    // Redis holds the one hit made after recovery, none of those decided in memory meanwhile.
    const keys = (await server.cli('KEYS', '*')).split('\n').filter(Boolean);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^\{t[\w.-]+:rl:ip:127\.0\.0\.1\}:default:l:3:30000$/);
    expect(await server.cli('LLEN', keys[0])).toBe('1');
  });

  it("'local' keeps refusing a tracker Redis reported out of budget, when Redis stops answering", async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await open('local', 2); // 1 hit counted in Redis
    expect((await app.get('/items')).status).toBe(200);
    expect((await app.get('/items')).status).toBe(429); // Redis: out of budget for 30 s
    await server.pause();
    // Without what Redis said, the fallback would start from an empty count and admit 2 more.
    expect(await timedStatuses(3)).toEqual([429, 429, 429]);
    expect(failures()).toHaveLength(3);
    const refused = await app.get('/items');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(25);
  });

  it("'local' answers within the command timeout while Redis is frozen", async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await open('local', 2);
    await server.pause();
    expect(await timedStatuses(3)).toEqual([200, 200, 429]);
    expect(failures()).toHaveLength(3);
  });

  it("with unanswered: 'refuse', a tracker Redis did not answer in time is refused until Redis decides it again", async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    await open('local', 100);
    const limiter = app.app.get(RateLimitService);
    const rules = [{ name: 'login', limit: 3, window: 30_000, blockFor: 0 }];
    const settings: RateLimitSettings = {
      algorithm: 'sliding-window',
      onStoreFailure: 'local',
      unanswered: 'refuse',
    };
    const admitted = (outcomes: RateLimitOutcome[]) =>
      outcomes.filter((o) => o.status === 'decided' && o.decision.allowed).length;
    await server.pause();
    // Two hits sent to a frozen Redis: both time out. Decided in memory, both would pass (the
    // default, 'local': see "'local' answers within the command timeout" above).
    const unanswered = await Promise.all(
      [1, 2].map(() => limiter.hit('key:burst', rules, settings)),
    );
    expect(admitted(unanswered)).toBe(0);
    // Refused at once while the circuit is open: the tracker's budget is unknown, so spent (in
    // memory 1 of 3 would be left).
    expect(admitted([await limiter.hit('key:burst', rules, settings)])).toBe(0);
    // Another tracker, never sent to Redis, is decided in memory as in any outage.
    expect(admitted([await limiter.hit('key:fresh', rules, settings)])).toBe(1);

    // Redis ran the two hits when it resumed: they were counted there.
    await server.resume();
    const { circuit } = app.app.get<RedisConnection>(CACHE_REDIS_CONNECTION);
    await waitUntil(async () => !circuit.isOpen, { what: 'the circuit to close', timeoutMs: 3000 });
    const failed = failures().length;
    const after = await limiter.hit('key:burst', rules, settings);
    expect(failures()).toHaveLength(failed); // decided by Redis
    expect(admitted([after])).toBe(1);
    expect(after.status === 'decided' && after.decision.limits[0].remaining).toBe(0);
  });

  it("'open' admits every request while Redis is stopped or frozen", async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await open('open', 1);
    await server.pause();
    expect(await timedStatuses(2)).toEqual([200, 200]);
    await server.stop();
    const codes = await timedStatuses(4);
    expect(codes).toEqual([200, 200, 200, 200]);
    expect(failures()).toEqual(Array(6).fill({ type: 'rateLimit.storeFailure', mode: 'open' }));
  });

  it("'closed' answers 503, never 500, while Redis is frozen or stopped", async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await open('closed', 100);
    await server.pause();
    expect(await timedStatuses(2)).toEqual([503, 503]);
    await server.stop();
    expect(await timedStatuses(3)).toEqual([503, 503, 503]);
    const refused = await app.get('/items');
    expect(refused.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: RATE_LIMIT_UNAVAILABLE_MESSAGE,
    });
  });
});

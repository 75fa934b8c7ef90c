import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  CacheStoreError,
  MemoryRateLimitStore,
  RedisRateLimitStore,
  type RateLimitDecision,
  type ResolvedRateLimitRule,
} from '@app/cache';
import { standaloneRedis, type StandaloneRedis } from '../harness';
import { describeRateLimitStoreContract } from './rate-limit-store.contract';

describeRateLimitStoreContract('memory', () => new MemoryRateLimitStore());

describe('on standalone Redis', () => {
  let redis: StandaloneRedis;
  let client: Redis;
  const namespaces: string[] = [];

  beforeAll(async () => {
    redis = await standaloneRedis();
    client = new Redis(redis.url);
    await client.ping();
  });

  afterAll(async () => {
    for (const namespace of namespaces) {
      const keys = await client.keys(`{${namespace}:rl:*`);
      if (keys.length > 0) await client.del(...keys);
    }
    await client.quit();
    await redis.release();
  });

  describeRateLimitStoreContract('Redis', (namespace) => {
    namespaces.push(namespace);
    return new RedisRateLimitStore(client, { namespace });
  });

  describe('hits made in one pass of the event loop', () => {
    let store: RedisRateLimitStore;
    let namespace: string;
    const rules = (limit: number): ResolvedRateLimitRule[] => [
      { name: 'default', limit, window: 60_000, blockFor: 0 },
    ];
    const scriptCalls = async (): Promise<number> => {
      const stats = await client.info('commandstats');
      return Number(/cmdstat_evalsha:calls=(\d+)/.exec(stats)?.[1] ?? 0);
    };
    const remaining = (decisions: RateLimitDecision[]) =>
      decisions.map((d) => (d.allowed ? d.limits[0].remaining : 'denied'));

    beforeEach(async () => {
      namespace = `rl${randomUUID().slice(0, 8)}`;
      namespaces.push(namespace);
      store = new RedisRateLimitStore(client, { namespace });
      await store.hit('ip:warm-up', rules(1), 'sliding-window'); // the server learns the script
    });

    it.each(['sliding-window', 'fixed-window'] as const)(
      'share one script call after the first (%s), each decided in order as if sent alone',
      async (algorithm) => {
        const before = await scriptCalls();
        const hits = Array.from({ length: 12 }, (_, i) =>
          store.hit(i % 2 === 0 ? 'ip:a' : 'ip:b', rules(4), algorithm),
        );
        const decisions = await Promise.all(hits);
        expect((await scriptCalls()) - before).toBe(2);
        const a = decisions.filter((_, i) => i % 2 === 0);
        const b = decisions.filter((_, i) => i % 2 === 1);
        expect(remaining(a)).toEqual([3, 2, 1, 0, 'denied', 'denied']);
        expect(remaining(b)).toEqual([3, 2, 1, 0, 'denied', 'denied']);
        expect(b[4].retryAfterMs).toBeGreaterThan(0);
        // what Redis holds: four admitted hits of `ip:a`, expiring a window after them
        const key = `{${namespace}:rl:ip:a}:default:${algorithm === 'sliding-window' ? 'l' : 'f'}:4:60000`;
        if (algorithm === 'sliding-window') expect(await client.llen(key)).toBe(4);
        else expect(await client.hget(key, 'n')).toBe('4');
        expect(await client.pttl(key)).toBeGreaterThan(0);
        expect(await client.pttl(key)).toBeLessThanOrEqual(60_000);
      },
    );

    it('send at most 64 hits per script call', async () => {
      const before = await scriptCalls();
      const hits = Array.from({ length: 131 }, () =>
        store.hit('ip:a', rules(1000), 'sliding-window'),
      );
      const decisions = await Promise.all(hits);
      // the first alone, then 64 + 64 + 2
      expect((await scriptCalls()) - before).toBe(4);
      expect(remaining(decisions)).toEqual(Array.from({ length: 131 }, (_, i) => 999 - i));
    });

    it('decide each hit by its own limits when hits with and without blockFor share a call', async () => {
      const blocking: ResolvedRateLimitRule[] = [
        { name: 'login', limit: 1, window: 60_000, blockFor: 60_000 },
      ];
      const decisions = await Promise.all([
        store.hit('ip:x', blocking, 'sliding-window'),
        store.hit('ip:x', blocking, 'sliding-window'), // over: blocks ip:x
        store.hit('ip:y', rules(5), 'sliding-window'), // no blockFor: ip:x's block is not its own
        store.hit('ip:x', blocking, 'sliding-window'),
      ]);
      expect(decisions.map((d) => d.allowed)).toEqual([true, false, true, false]);
      expect(decisions[2].limits[0].remaining).toBe(4);
      expect(decisions[3].retryAfterMs).toBeGreaterThan(59_000);
    });

    // The sliding-window log is a list of server times (µs), oldest first: a hit trims the ones
    // that have left the window from its head, found by galloping and bisecting.
    it.each([
      [0, 5],
      [1, 5],
      [2, 5],
      [3, 5],
      [37, 5],
      [64, 1],
      [42, 0],
      [0, 0],
    ])(
      'trim a log of %i hits that have left the window and %i still in it, and count the rest',
      async (left, inWindow) => {
        const key = `{${namespace}:rl:ip:log}:default:l:100:60000`;
        const [seconds, micros] = await client.time();
        const now = Number(seconds) * 1_000_000 + Number(micros);
        const times = [
          ...Array.from({ length: left }, (_, i) => now - 60_000_000 - (left - i) * 1000),
          ...Array.from({ length: inWindow }, (_, i) => now - 30_000_000 + i * 1000),
        ];
        if (times.length > 0) await client.rpush(key, ...times.map(String));
        const decision = await store.hit('ip:log', rules(100), 'sliding-window');
        expect(decision.allowed).toBe(true);
        expect(decision.limits[0].remaining).toBe(100 - inWindow - 1);
        // the oldest hit still in the window sets the reset: 30 s from now, or a whole window
        expect(decision.limits[0].resetMs).toBeGreaterThan(inWindow > 0 ? 29_000 : 59_000);
        expect(decision.limits[0].resetMs).toBeLessThanOrEqual(inWindow > 0 ? 30_000 : 60_000);
        const kept = (await client.lrange(key, 0, -1)).map(Number);
        expect(kept).toHaveLength(inWindow + 1);
        expect(kept.slice(0, inWindow)).toEqual(times.slice(left));
      },
    );

    it('fail alone when Redis refuses their own key, and the rest of the batch is decided', async () => {
      const broken = `{${namespace}:rl:ip:broken}:default:l:4:60000`;
      await client.set(broken, 'not a list');
      const settled = await Promise.allSettled(
        ['ip:a', 'ip:a', 'ip:broken', 'ip:a'].map((tracker) =>
          store.hit(tracker, rules(4), 'sliding-window'),
        ),
      );
      expect(settled.map((s) => s.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      const error = (settled[2] as PromiseRejectedResult).reason as Error;
      expect(error).toBeInstanceOf(CacheStoreError);
      expect(error.message).toMatch(/WRONGTYPE/);
      const decided = settled
        .filter((s) => s.status === 'fulfilled')
        .map((s) => (s as PromiseFulfilledResult<RateLimitDecision>).value);
      expect(remaining(decided)).toEqual([3, 2, 1]);
      expect(await client.get(broken)).toBe('not a list');
    });
  });
});

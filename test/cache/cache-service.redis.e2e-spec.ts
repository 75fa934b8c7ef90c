import { Redis } from 'ioredis';
import { standaloneRedis, waitUntil, type StandaloneRedis } from '../harness';
import type { CacheModuleOptions } from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { cacheApp } from '../support/cache-app';
import { describeCacheService } from './cache-service.behaviour';

let server: StandaloneRedis;
beforeAll(async () => {
  server = await standaloneRedis();
});
afterAll(() => server.release());

describeCacheService('standalone Redis', () => ({ redis: { url: server.url } }));
describeCacheService('standalone Redis with msgpack', () => ({
  redis: { url: server.url },
  serializer: 'msgpack',
}));

describe('CacheService entries on standalone Redis', () => {
  it('writes whole milliseconds in the header, jitter included, and keeps the key until then', async () => {
    const namespace = uniqueNamespace();
    const { app, cache } = await cacheApp({ redis: { url: server.url }, namespace, jitter: 0.5 });
    const client = new Redis(server.url);
    try {
      for (let i = 0; i < 20; i++) await cache.set(`k${i}`, i, { ttl: 1000 });
      for (let i = 0; i < 20; i++) {
        const raw = await client.get(`${namespace}:k${i}`);
        const [createdAt, freshUntil] = JSON.parse(raw!.slice(0, raw!.indexOf('\n'))) as number[];
        expect(Number.isInteger(createdAt) && Number.isInteger(freshUntil)).toBe(true);
        expect(freshUntil - createdAt).toBeGreaterThanOrEqual(1000);
        expect(freshUntil - createdAt).toBeLessThanOrEqual(1500);
        // Redis keeps the key at least as long as the entry is fresh. The clock is read after the
        // reply: read before, the time the PTTL took to reach Redis made it look short (CI saw 3 ms).
        const left = await client.pttl(`${namespace}:k${i}`);
        const expiresAt = Date.now() + left;
        expect(expiresAt).toBeGreaterThanOrEqual(freshUntil - 2);
      }
    } finally {
      await cache.clear();
      await app.close();
      await client.quit();
    }
  });
});

/** Raw values found at an entry key that the module did not write, or that were damaged since. */
function undecodableValues(now: number): [string, string][] {
  const header = `[${now},${now + 60_000}]\n`;
  return [
    ['a value another program wrote', 'hello'],
    [
      'a header without a comma, before a long payload',
      `[${'1'.repeat(20)}]\n${'x'.repeat(100_000)},1`,
    ],
    ['a header with letters for times', '[abc,def]\nJ1'],
    ['tags that are not strings', `[${now},${now + 60_000},[1,2]]\nJ1`],
    ['corrupt JSON after a valid header', `${header}J{"name":`],
    ['a payload of another serializer', `${header}X123`],
    ['a __proto__ key', `${header}J{"__proto__":{"polluted":true}}`],
    ['a __proto__ key spelled with an escape', `${header}J{"\\u005f_proto__":{"polluted":true}}`],
  ];
}

describe.each<[string, Partial<CacheModuleOptions>]>([
  ['Redis', {}],
  ['L1 + Redis', { l1: { maxEntries: 100 } }],
])('CacheService on %s, given an entry it cannot decode', (_, extra) => {
  const cases = undecodableValues(Date.now());

  it.each(cases)('reads %s as a miss, counts it, deletes it and loads anew', async (_, raw) => {
    const namespace = uniqueNamespace();
    const { app, cache } = await cacheApp({ redis: { url: server.url }, namespace, ...extra });
    const client = new Redis(server.url);
    const entryKey = `${namespace}:user:1`;
    try {
      await client.set(entryKey, raw, 'PX', 60_000);
      expect(await cache.get('user:1')).toBeUndefined();
      expect(cache.stats().errors).toBe(1);
      // Replaced by an eviction mark (`~when`), which reads as a miss.
      await waitUntil(async () => (await client.get(entryKey))?.startsWith('~') === true, {
        what: 'the undecodable entry to be deleted',
        timeoutMs: 2000,
        intervalMs: 10,
      });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();

      await client.set(entryKey, raw, 'PX', 60_000);
      const loader = jest.fn(() => ({ id: 1, name: 'Ada' }));
      await expect(cache.getOrSet('user:1', loader)).resolves.toEqual({ id: 1, name: 'Ada' });
      expect(loader).toHaveBeenCalledTimes(1);
      await expect(cache.get('user:1')).resolves.toEqual({ id: 1, name: 'Ada' });
      expect(cache.stats().errors).toBe(2);
    } finally {
      await cache.clear();
      await app.close();
      await client.quit();
    }
  });
});

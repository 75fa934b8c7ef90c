import { Redis } from 'ioredis';
import { standaloneRedis, type StandaloneRedis } from '../harness';
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
        // Redis keeps the key at least as long as the entry is fresh.
        const expiresAt = Date.now() + (await client.pttl(`${namespace}:k${i}`));
        expect(expiresAt).toBeGreaterThanOrEqual(freshUntil - 2);
      }
    } finally {
      await cache.clear();
      await app.close();
      await client.quit();
    }
  });
});

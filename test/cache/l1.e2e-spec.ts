import { Redis } from 'ioredis';
import {
  InvalidationBus,
  L1Cache,
  RedisStore,
  TieredStore,
  type CacheModuleOptions,
  type CacheService,
} from '@app/cache';
import type { INestApplicationContext } from '@nestjs/common';
import { describeCacheStoreContract, uniqueNamespace } from '../contract/cache-store.contract';
import { startRedis, waitUntil, type RedisServer } from '../harness';
import { cacheApp } from '../support/cache-app';
import { L1_CHANGES } from './l1-changes';
import { describeCacheService } from './cache-service.behaviour';

let server: RedisServer;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.quit()));
  await server.stop();
});

describeCacheStoreContract(
  'Redis with an L1 tier',
  (namespace) => {
    const client = new Redis(server.url, { enableAutoPipelining: true });
    clients.push(client);
    const l1 = new L1Cache({ maxEntries: 100, maxTtl: 60_000, maxBytes: 0 });
    return new TieredStore(
      new RedisStore(client, { namespace, binary: false, owned: false }),
      l1,
      (listener) => new InvalidationBus(client, `${namespace}#l1`, listener),
    );
  },
  { peeks: true, shared: true },
);

describeCacheService('Redis with an L1 tier', () => ({ redis: { url: server.url }, l1: {} }));

describe('the L1 tier', () => {
  let namespace: string;
  const apps: INestApplicationContext[] = [];

  async function instance(extra: Partial<CacheModuleOptions> = {}): Promise<CacheService> {
    const { app, cache } = await cacheApp({
      namespace,
      redis: { url: server.url },
      l1: {},
      jitter: 0,
      ...extra,
    });
    apps.push(app);
    return cache;
  }

  /** Waits until a read of `key` is served without any Redis command (the bus is subscribed). */
  async function servedFromL1(cache: CacheService, key: string): Promise<void> {
    await waitUntil(
      async () => {
        await cache.get(key);
        await server.resetStats();
        await cache.get(key);
        const { info: _info, 'config|resetstat': _reset, ...stats } = await server.commandStats();
        return Object.keys(stats).length === 0;
      },
      { what: `${key} to be served from L1`, timeoutMs: 3000 },
    );
  }

  beforeEach(() => {
    namespace = uniqueNamespace();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  it('serves a hit without a round trip', async () => {
    const cache = await instance();
    await cache.set('k', { n: 1 });
    await servedFromL1(cache, 'k');
    await expect(cache.get('k')).resolves.toEqual({ n: 1 });
  });

  it('never hands two callers the same mutable object', async () => {
    const cache = await instance();
    const value = { list: [1], when: new Date(0), map: new Map([['a', [1]]]), set: new Set([1]) };
    await cache.set('k', value);
    await servedFromL1(cache, 'k');
    const first = await cache.get<typeof value>('k');
    first!.list.push(2);
    first!.when.setTime(1);
    first!.map.get('a')!.push(2);
    first!.set.add(2);
    await expect(cache.get('k')).resolves.toEqual(value);
    const viaLoader = await cache.getOrSet('k', () => ({}));
    expect(viaLoader).toEqual(value);
    expect(viaLoader).not.toBe(await cache.getOrSet('k', () => ({})));
  });

  it('counts L1 hits like any other hit', async () => {
    const cache = await instance();
    await cache.set('k', 1);
    await servedFromL1(cache, 'k');
    const before = cache.stats().hits;
    await cache.getOrSet('k', () => 2);
    await cache.get('k');
    expect(cache.stats().hits).toBe(before + 2);
  });

  it.each(L1_CHANGES)(
    'drops the entry on another instance after %s',
    async (_name, change, expected) => {
      const a = await instance();
      const b = await instance();
      await a.set('k', 'old', { tags: ['t'] });
      await servedFromL1(b, 'k');
      await change(a);
      await waitUntil(async () => (await b.get('k')) === expected, {
        what: 'instance B to see the change',
        timeoutMs: 1000,
      });
    },
  );

  it('stops trusting L1 when its subscriber connection is lost, so a missed message serves nothing stale', async () => {
    const a = await instance();
    const b = await instance();
    await a.set('k', 'old');
    await servedFromL1(b, 'k');
    await server.cli('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await a.set('k', 'new'); // published while B's subscriber is gone
    await expect(b.get('k')).resolves.toBe('new');
  });

  it('holds at most maxBytes', async () => {
    const cache = await instance({ l1: { maxBytes: 2_000 } });
    for (let i = 0; i < 50; i++) await cache.set(`k${i}`, 'x'.repeat(100));
    for (let i = 0; i < 50; i++) await cache.get(`k${i}`);
    // Reads after the writes fill L1; older entries went out to stay under the bound.
    await servedFromL1(cache, 'k49');
    await server.resetStats();
    await cache.get('k0');
    expect((await server.commandStats()).get).toBe(1);
  });
});

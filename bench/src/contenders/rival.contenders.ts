import type { CacheClient as TypeCacheableClient } from '@type-cacheable/core';
import type { Loader, User } from '../fixtures';
import { redisAddress, type ContenderSpec } from './contender';

// Each rival is imported when its contender is built, so a child process that runs one contender
// (the cross-process stampede) loads only that library.

const TTL_MS = 3_600_000;

function cacheManager(store: 'redis' | 'memory', api: 'get' | 'wrap'): ContenderSpec {
  return {
    id: `cache-manager-${store}-${api}`,
    label: `cache-manager 7 ${api}, ${store === 'redis' ? '@keyv/redis' : 'in-memory Keyv'}`,
    tier: store,
    shared: store === 'redis',
    client: store === 'redis' ? 'node-redis' : 'none',
    async create({ redisUrl, loader, namespace }) {
      const [{ createKeyv }, { createCache }, { Keyv }] = await Promise.all([
        import('@keyv/redis'),
        import('cache-manager'),
        import('keyv'),
      ]);
      const keyv = store === 'redis' ? createKeyv(redisUrl, { namespace }) : new Keyv();
      const cache = createCache({ stores: [keyv], ttl: TTL_MS });
      if (store === 'redis') await cache.set('warm', 1); // connect before measuring
      const read =
        api === 'wrap'
          ? (id: string) => cache.wrap(`user:${id}`, () => loader(id))
          : async (id: string) => {
              const key = `user:${id}`;
              const hit = await cache.get<User>(key);
              if (hit !== undefined) return hit;
              const user = await loader(id);
              await cache.set(key, user);
              return user;
            };
      return {
        read,
        async close() {
          await cache.disconnect();
        },
      };
    },
  };
}

export const CACHE_MANAGER_REDIS = cacheManager('redis', 'get');
export const CACHE_MANAGER_REDIS_WRAP = cacheManager('redis', 'wrap');
export const CACHE_MANAGER_MEMORY = cacheManager('memory', 'get');
export const CACHE_MANAGER_MEMORY_WRAP = cacheManager('memory', 'wrap');

/** A class decorated with @type-cacheable/core's `@Cacheable`, bound to one adapter. */
async function typeCacheableRepository(
  client: TypeCacheableClient,
  prefix: string,
  loader: Loader,
): Promise<{ findOne(id: string): Promise<User> }> {
  const typeCacheable = await import('@type-cacheable/core');
  class TypeCacheableRepository {
    @typeCacheable.Cacheable({
      cacheKey: (args: unknown[]) => `${prefix}user:${String(args[0])}`,
      client,
      ttlSeconds: TTL_MS / 1000,
    })
    async findOne(id: string): Promise<User> {
      return loader(id);
    }
  }
  return new TypeCacheableRepository();
}

export const TYPE_CACHEABLE_REDIS: ContenderSpec = {
  id: 'type-cacheable-ioredis',
  label: '@type-cacheable/core, ioredis adapter',
  tier: 'redis',
  shared: true,
  client: 'ioredis',
  async create({ redisUrl, loader, namespace }) {
    const [{ Redis }, { IoRedisAdapter }] = await Promise.all([
      import('ioredis'),
      import('@type-cacheable/ioredis-adapter'),
    ]);
    const client = new Redis(redisUrl);
    await client.ping();
    const repo = await typeCacheableRepository(new IoRedisAdapter(client), `${namespace}:`, loader);
    return {
      read: (id) => repo.findOne(id),
      async close() {
        client.disconnect();
      },
    };
  },
};

export const TYPE_CACHEABLE_LRU: ContenderSpec = {
  id: 'type-cacheable-lru',
  label: '@type-cacheable/core, lru-cache adapter',
  tier: 'memory',
  shared: false,
  client: 'none',
  async create({ loader, namespace }) {
    const [{ LRUCache }, { LRUCacheAdapter }] = await Promise.all([
      import('lru-cache'),
      import('@type-cacheable/lru-cache-adapter'),
    ]);
    const lru = new LRUCache<string, object>({ max: 10_000 });
    const repo = await typeCacheableRepository(new LRUCacheAdapter(lru), `${namespace}:`, loader);
    return {
      read: (id) => repo.findOne(id),
      async close() {
        lru.clear();
      },
    };
  },
};

function bento(layers: 'l2' | 'l1l2'): ContenderSpec {
  return {
    id: `bentocache-${layers}`,
    label: layers === 'l2' ? 'bentocache getOrSet, L2 only' : 'bentocache getOrSet, L1+L2 (bus)',
    tier: layers === 'l2' ? 'redis' : 'memory',
    shared: true,
    client: 'ioredis',
    async create({ redisUrl, loader, namespace }) {
      const [
        { Redis },
        { BentoCache, bentostore },
        { memoryDriver },
        { redisBusDriver, redisDriver },
      ] = await Promise.all([
        import('ioredis'),
        import('bentocache'),
        import('bentocache/drivers/memory'),
        import('bentocache/drivers/redis'),
      ]);
      const connection = new Redis(redisUrl);
      await connection.ping();
      let store = bentostore();
      if (layers === 'l1l2') store = store.useL1Layer(memoryDriver({ maxItems: 10_000 }));
      store = store.useL2Layer(redisDriver({ connection }));
      if (layers === 'l1l2') {
        store = store.useBus(redisBusDriver({ connection: redisAddress(redisUrl) }));
      }
      const cache = new BentoCache({
        default: 'cache',
        prefix: namespace,
        stores: { cache: store },
      });
      return {
        read: (id) => cache.getOrSet({ key: `user:${id}`, factory: () => loader(id), ttl: TTL_MS }),
        async close() {
          await cache.disconnectAll();
          connection.disconnect();
        },
      };
    },
  };
}

export const BENTO_L2 = bento('l2');
export const BENTO_L1L2 = bento('l1l2');

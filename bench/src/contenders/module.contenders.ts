import type { CacheModuleOptions } from '../../../libs/cache/src';
import type { ContenderContext, ContenderSpec } from './contender';

type Store = 'memory' | 'redis' | 'l1';

/** Nest and the library are loaded when a module contender is built, not with the registry. */
async function createModuleContext(
  ...args: Parameters<typeof import('./module-host').createModuleContext>
) {
  const host = await import('./module-host');
  return host.createModuleContext(...args);
}

function moduleOptions(
  store: Store,
  { redisUrl, namespace }: ContenderContext,
): CacheModuleOptions {
  const base: CacheModuleOptions = { namespace, ttl: '1h' };
  if (store === 'memory') return base;
  const redis = { url: redisUrl };
  if (store === 'redis') return { ...base, redis };
  return { ...base, redis, l1: { maxEntries: 10_000, ttl: '10m' } };
}

function cacheable(store: Store, label: string): ContenderSpec {
  return {
    id: `module-cacheable-${store}`,
    label,
    tier: store === 'redis' ? 'redis' : 'memory',
    shared: store !== 'memory',
    client: store === 'memory' ? 'none' : 'ioredis',
    async create(context) {
      const { app, repo } = await createModuleContext(
        moduleOptions(store, context),
        context.loader,
      );
      return { read: (id) => repo.findOne(id), close: () => app.close() };
    },
  };
}

export const MODULE_MEMORY = cacheable('memory', 'this module @Cacheable, memory store');
export const MODULE_REDIS = cacheable('redis', 'this module @Cacheable, Redis (no L1)');
export const MODULE_L1 = cacheable('l1', 'this module @Cacheable, L1+L2');

/** `CacheService.get` (then `set` on a miss): the service without the decorator. */
export const MODULE_GET_REDIS: ContenderSpec = {
  id: 'module-get-redis',
  label: 'this module CacheService.get, Redis',
  tier: 'redis',
  shared: true,
  client: 'ioredis',
  async create(context) {
    const { app, cache } = await createModuleContext(
      moduleOptions('redis', context),
      context.loader,
    );
    return {
      async read(id) {
        const key = `user:${id}`;
        const hit = await cache.get(key);
        if (hit !== undefined) return hit;
        const user = await context.loader(id);
        await cache.set(key, user);
        return user;
      },
      close: () => app.close(),
    };
  },
};

import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CACHE_REDIS_CONNECTION, RESOLVED_CACHE_OPTIONS } from './cache.constants';
import { CacheExplorer } from './cache.explorer';
import { CACHE_MODULE_OPTIONS, ConfigurableModuleClass } from './cache.module-definition';
import type { CacheModuleOptions } from './cache-options.interface';
import { CacheService } from './cache.service';
import { CacheEvents } from './metrics/cache-events';
import { RATE_LIMIT_PROVIDERS } from './rate-limit/rate-limit.providers';
import { REVOCATION_PROVIDERS } from './revocation/revocation.providers';
import { resolveCacheOptions, type ResolvedCacheOptions } from './options/resolve-options';
import {
  createRedisConnection,
  waitUntilReady,
  type RedisConnection,
} from './redis/redis-connection';
import { CacheStore } from './stores/cache-store.interface';
import { MemoryStore } from './stores/memory.store';
import { RedisStore } from './stores/redis.store';
import { InvalidationBus } from './tiering/invalidation-bus';
import { L1Cache } from './tiering/l1-cache';
import { TieredStore } from './tiering/tiered.store';

/**
 * Gives the app a {@link CacheService} and wires `@Cacheable`, `@CacheEvict` and `@CachePut`.
 * Without `redis` it runs on a bounded in-memory store.
 *
 * @example
 * CacheModule.forRoot({ isGlobal: true, ttl: '5m', redis: { url: process.env.REDIS_URL } })
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RESOLVED_CACHE_OPTIONS,
      useFactory: (options: CacheModuleOptions) => resolveCacheOptions(options),
      inject: [CACHE_MODULE_OPTIONS],
    },
    {
      provide: CACHE_REDIS_CONNECTION,
      useFactory: async (options: ResolvedCacheOptions) => {
        if (!options.redis) return null;
        const connection = createRedisConnection(options.redis);
        // Start on a warm connection when Redis is there; boot anyway when it is not.
        await Promise.all([
          waitUntilReady(connection.client, options.redis.connectTimeout),
          waitUntilReady(connection.reads.client, options.redis.connectTimeout),
        ]);
        return connection;
      },
      inject: [RESOLVED_CACHE_OPTIONS],
    },
    {
      provide: CacheStore,
      useFactory: (options: ResolvedCacheOptions, connection: RedisConnection | null) =>
        connection ? createRedisStore(options, connection) : new MemoryStore(options.maxEntries),
      inject: [RESOLVED_CACHE_OPTIONS, CACHE_REDIS_CONNECTION],
    },
    CacheService,
    CacheExplorer,
    CacheEvents,
    ...RATE_LIMIT_PROVIDERS,
    ...REVOCATION_PROVIDERS,
  ],
  exports: [
    CacheService,
    CacheStore,
    CacheEvents,
    RESOLVED_CACHE_OPTIONS,
    CACHE_REDIS_CONNECTION,
    ...RATE_LIMIT_PROVIDERS,
    ...REVOCATION_PROVIDERS,
  ],
})
export class CacheModule extends ConfigurableModuleClass {}

/** Redis, with an in-process first tier in front of it when `l1` is set. */
function createRedisStore(options: ResolvedCacheOptions, connection: RedisConnection): CacheStore {
  const redis = new RedisStore(connection.client, {
    namespace: options.namespace,
    binary: options.serializer.binary,
    owned: connection.owned,
    circuit: connection.circuit,
    reads: connection.reads,
  });
  if (!options.l1) return redis;
  const l1 = new L1Cache(
    { maxEntries: options.l1.maxEntries, maxTtl: options.l1.ttl, maxBytes: options.l1.maxBytes },
    (payload) => options.serializer.deserialize(payload),
  );
  return new TieredStore(
    redis,
    l1,
    (listener) => new InvalidationBus(connection.client, `${options.namespace}#l1`, listener),
  );
}

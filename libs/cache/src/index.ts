export { CacheModule } from './cache.module';
export {
  OPTIONS_TYPE as CacheModuleSyncOptions,
  ASYNC_OPTIONS_TYPE as CacheModuleAsyncOptions,
} from './cache.module-definition';
export type {
  CacheModuleOptions,
  CacheSetOptions,
  GetOrSetOptions,
  RedisConnectionOptions,
  RedisNode,
} from './cache-options.interface';
export { CACHE_REDIS_CONNECTION, RESOLVED_CACHE_OPTIONS } from './cache.constants';
export { CacheService, type CacheEntryInput, type CacheStats } from './cache.service';
export { CacheEvents, type CacheEvent, type CacheEventListener } from './metrics/cache-events';
export { Cacheable } from './decorators/cacheable.decorator';
export { CacheEvict } from './decorators/cache-evict.decorator';
export { CachePut } from './decorators/cache-put.decorator';
export type {
  CacheableOptions,
  CacheEvictOptions,
  CachePutOptions,
  KeyOption,
  TagsOption,
} from './decorators/cache-decorator.options';
export { cacheKey } from './keys/cache-key';
export { escapePattern } from './keys/escape-pattern';
export { parseDuration, type Duration } from './options/duration';
export type { ResolvedCacheOptions } from './options/resolve-options';
export type { RedisConnection } from './redis/redis-connection';
export type { CacheSerializer, SerializerOption } from './serialization/serializer.interface';
export {
  CacheStore,
  InjectCacheStore,
  type StoredEntry,
  type StoreWrite,
} from './stores/cache-store.interface';
export { MemoryStore } from './stores/memory.store';
export { RedisStore, type RedisStoreOptions } from './stores/redis.store';
export {
  CacheError,
  CacheConfigError,
  CacheDecodeError,
  CacheKeyError,
  CacheReadSkippedError,
  CacheStoreError,
  CacheTimeoutError,
} from './errors';
export * from './rate-limit';
export * from './revocation';
export * from './health';
export { TieredStore } from './tiering/tiered.store';
export { L1Cache, type L1Limits } from './tiering/l1-cache';
export {
  InvalidationBus,
  type Invalidation,
  type InvalidationListener,
} from './tiering/invalidation-bus';

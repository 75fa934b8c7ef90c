import type { Provider } from '@nestjs/common';
import { CACHE_REDIS_CONNECTION, RESOLVED_CACHE_OPTIONS } from '../cache.constants';
import type { ResolvedCacheOptions } from '../options/resolve-options';
import type { RedisConnection } from '../redis/redis-connection';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitService } from './rate-limit.service';
import { RateLimitStore } from './rate-limit-store.interface';
import { RedisRateLimitStore } from './redis-rate-limit.store';

/** Everything the rate limiter needs, registered (and exported) by `CacheModule`. */
export const RATE_LIMIT_PROVIDERS: Provider[] = [
  {
    provide: RateLimitStore,
    useFactory: (options: ResolvedCacheOptions, connection: RedisConnection | null) =>
      connection
        ? new RedisRateLimitStore(connection.client, {
            namespace: options.namespace,
            circuit: connection.circuit,
          })
        : new MemoryRateLimitStore(),
    inject: [RESOLVED_CACHE_OPTIONS, CACHE_REDIS_CONNECTION],
  },
  RateLimitService,
  RateLimitGuard,
];

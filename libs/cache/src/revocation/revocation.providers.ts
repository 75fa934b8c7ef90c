import type { Provider } from '@nestjs/common';
import { CACHE_REDIS_CONNECTION, RESOLVED_CACHE_OPTIONS } from '../cache.constants';
import type { ResolvedCacheOptions } from '../options/resolve-options';
import type { RedisConnection } from '../redis/redis-connection';
import { JwtRevocationGuard } from './jwt-revocation.guard';
import { MemoryRevocationStore } from './memory-revocation.store';
import { RedisRevocationStore } from './redis-revocation.store';
import { RevocationService } from './revocation.service';
import { RevocationStore } from './revocation-store.interface';
import { TokenIssuer } from './token.issuer';

/** Everything token revocation needs, registered (and exported) by `CacheModule`. */
export const REVOCATION_PROVIDERS: Provider[] = [
  {
    provide: RevocationStore,
    // The module's own connection (closed by the cache store at shutdown, never here).
    useFactory: (options: ResolvedCacheOptions, connection: RedisConnection | null) =>
      connection
        ? new RedisRevocationStore(
            connection.client,
            options.namespace,
            connection.circuit,
            connection.reads,
          )
        : new MemoryRevocationStore(),
    inject: [RESOLVED_CACHE_OPTIONS, CACHE_REDIS_CONNECTION],
  },
  RevocationService,
  JwtRevocationGuard,
  TokenIssuer,
];

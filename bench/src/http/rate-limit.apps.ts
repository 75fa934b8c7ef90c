import {
  Controller,
  Get,
  Injectable,
  Module,
  UseGuards,
  type CanActivate,
  type DynamicModule,
  type Type,
} from '@nestjs/common';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Redis } from 'ioredis';
import { CacheModule, RateLimitGuard, type RateLimitRule } from '../../../libs/cache/src';

/** Limits far above what the load reaches: every request is admitted, so every one is counted. */
const LIMITS: RateLimitRule[] = [
  { name: 'burst', limit: 1_000_000, window: '1s' },
  { name: 'sustained', limit: 10_000_000, window: '10s' },
];

/** The same limits for @nestjs/throttler (ttl in ms). */
const THROTTLERS = [
  { name: 'burst', ttl: 1000, limit: 1_000_000 },
  { name: 'sustained', ttl: 10_000, limit: 10_000_000 },
];

export type LimitCount = 1 | 2;

/** `GET /open` has no guard (the baseline); `GET /limited` has `guard`. */
function pingController(guard: Type): Type {
  @Controller()
  class PingController {
    @Get('open')
    open(): { ok: boolean } {
      return { ok: true };
    }

    @Get('limited')
    @UseGuards(guard)
    limited(): { ok: boolean } {
      return { ok: true };
    }
  }
  return PingController;
}

/**
 * This module's `RateLimitGuard` with 1 or 2 named limits, on Redis or on the memory store, with its
 * default headers or (`headers` false) none.
 */
export function moduleRateLimitApp(
  store: 'redis' | 'memory',
  limits: LimitCount,
  redisUrl: string,
  namespace: string,
  headers = true,
): DynamicModule {
  @Module({})
  class RateLimitApp {}
  return {
    module: RateLimitApp,
    imports: [
      CacheModule.forRoot({
        namespace,
        redis: store === 'redis' ? { url: redisUrl } : undefined,
        rateLimit: { limits: LIMITS.slice(0, limits), ...(headers ? {} : { headers: false }) },
      }),
    ],
    controllers: [pingController(RateLimitGuard)],
  };
}

/** `@nestjs/throttler`'s guard with 1 or 2 named throttlers, on @nest-lab's Redis storage or in memory. */
export function throttlerApp(
  store: 'redis' | 'memory',
  limits: LimitCount,
  redisUrl: string,
): DynamicModule {
  @Module({})
  class ThrottlerApp {}
  return {
    module: ThrottlerApp,
    imports: [
      ThrottlerModule.forRoot({
        throttlers: THROTTLERS.slice(0, limits),
        storage:
          store === 'redis' ? new ThrottlerStorageRedisService(new Redis(redisUrl)) : undefined,
      }),
    ],
    controllers: [pingController(ThrottlerGuard)],
  };
}

/** A guard that admits every request: what any guard costs in Nest before it does anything. */
@Injectable()
class AdmitAllGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

/** The floor of every guard variant: `AdmitAllGuard` on the same routes. */
export function admitAllApp(): DynamicModule {
  @Module({})
  class AdmitAllApp {}
  return { module: AdmitAllApp, controllers: [pingController(AdmitAllGuard)] };
}

/**
 * A guard that waits for one plain ioredis GET per request and admits: the floor of any guard that
 * makes one Redis round trip per request, on this machine and with this client.
 */
export function oneRedisGetApp(redisUrl: string): DynamicModule {
  const client = new Redis(redisUrl);

  @Injectable()
  class OneRedisGetGuard implements CanActivate {
    async canActivate(): Promise<boolean> {
      await client.get('bench:one-get');
      return true;
    }
  }

  @Module({})
  class OneRedisGetApp {}
  return { module: OneRedisGetApp, controllers: [pingController(OneRedisGetGuard)] };
}

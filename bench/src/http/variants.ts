import type { RedisClientKind } from '../infra/round-trips';

/** One HTTP app under test, and the two routes measured on it. */
export interface HttpVariant {
  id: string;
  label: string;
  group: 'rate-limit' | 'users' | 'revocation';
  /** The route with the guard or the cache. */
  route: string;
  /** The same app's route without guard or cache: the baseline. */
  baseline: string;
  /** Whether the guard or cache works against Redis or in memory. */
  uses: 'redis' | 'memory';
  /** The Redis client it uses, for counting its round trips. */
  client: RedisClientKind;
}

const rateLimit = (id: string, label: string, uses: 'redis' | 'memory'): HttpVariant => ({
  id,
  label,
  group: 'rate-limit',
  route: '/limited',
  baseline: '/open',
  uses,
  client: uses === 'redis' ? 'ioredis' : 'none',
});

const users = (id: string, label: string, client: HttpVariant['client']): HttpVariant => ({
  id,
  label,
  group: 'users',
  route: '/users/:id',
  baseline: '/raw/users/:id',
  uses: 'redis',
  client,
});

const revocation = (id: string, label: string, uses: 'redis' | 'memory'): HttpVariant => ({
  id,
  label,
  group: 'revocation',
  route: '/me',
  baseline: '/open',
  uses,
  client: uses === 'redis' ? 'ioredis' : 'none',
});

export const HTTP_VARIANTS: readonly HttpVariant[] = [
  rateLimit('module-redis-1', 'this module RateLimitGuard, Redis, 1 limit', 'redis'),
  rateLimit('module-redis-2', 'this module RateLimitGuard, Redis, 2 limits', 'redis'),
  rateLimit('module-memory-1', 'this module RateLimitGuard, memory, 1 limit', 'memory'),
  rateLimit('module-memory-2', 'this module RateLimitGuard, memory, 2 limits', 'memory'),
  rateLimit(
    'module-memory-2-noheaders',
    'this module RateLimitGuard, memory, 2 limits, `headers: false` (what the five default headers cost)',
    'memory',
  ),
  rateLimit(
    'nest-admit-all',
    "a guard that admits every request (Nest's guard step alone)",
    'memory',
  ),
  rateLimit(
    'nest-redis-get',
    'a guard that awaits one plain ioredis GET (the floor of one Redis round trip per request)',
    'redis',
  ),
  rateLimit('throttler-redis-1', '@nestjs/throttler + @nest-lab Redis storage, 1 limit', 'redis'),
  rateLimit('throttler-redis-2', '@nestjs/throttler + @nest-lab Redis storage, 2 limits', 'redis'),
  rateLimit('throttler-memory-1', '@nestjs/throttler in-memory storage, 1 limit', 'memory'),
  rateLimit('throttler-memory-2', '@nestjs/throttler in-memory storage, 2 limits', 'memory'),
  users('users-module-redis', 'this module @Cacheable, Redis (no L1)', 'ioredis'),
  users('users-module-l1', 'this module @Cacheable, L1+L2', 'ioredis'),
  users(
    'users-interceptor-redis',
    '@nestjs/cache-manager CacheInterceptor, Keyv Redis',
    'node-redis',
  ),
  users(
    'users-interceptor-l1',
    '@nestjs/cache-manager CacheInterceptor, in-memory Keyv + Keyv Redis',
    'node-redis',
  ),
  revocation('revocation-module-redis', 'this module JwtRevocationGuard, Redis', 'redis'),
  revocation('revocation-module-memory', 'this module JwtRevocationGuard, memory store', 'memory'),
];

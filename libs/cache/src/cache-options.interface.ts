import type { Cluster, Redis } from 'ioredis';
import type { Duration } from './options/duration';
import type { RateLimitOptions } from './rate-limit/rate-limit.options';
import type { RevocationOptions } from './revocation/revocation.options';
import type { SerializerOption } from './serialization/serializer.interface';

/** A Redis node address. */
export interface RedisNode {
  host: string;
  port: number;
}

/** How to reach Redis. Without `redis` (and without `redis.client`) the module uses its in-memory store. */
export interface RedisConnectionOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://...` for TLS. */
  url?: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  /** TLS options passed to `tls.connect`; `true` enables TLS with the defaults. */
  tls?: boolean | Record<string, unknown>;
  /** Sentinel addresses; with `name`, the module follows the master Sentinel reports. */
  sentinels?: RedisNode[];
  /** Name of the Sentinel master set. */
  name?: string;
  /** A Redis Cluster, reached through any of these nodes (`'host:port'` or `{ host, port }`). */
  cluster?: { nodes: (string | RedisNode)[] };
  /** An existing ioredis client (Redis or Cluster): used as is, never closed by the module. */
  client?: Redis | Cluster;
  /** How long one cache command may take before it counts as failed. Default `'250ms'`. */
  commandTimeout?: Duration;
  /** How long connecting may take before a retry. Default `'1s'`. */
  connectTimeout?: Duration;
}

/** Options of `CacheModule.forRoot()` / `forRootAsync()`. */
export interface CacheModuleOptions {
  redis?: RedisConnectionOptions;
  /** Every key the module writes starts with `namespace:` (or `namespace#` for its own bookkeeping). Default `'cache'`. */
  namespace?: string;
  /** Default time to live of an entry. Default `'5m'`. */
  ttl?: Duration;
  /** Fraction of the TTL added at random to every TTL, so entries written together do not expire together. Default `0.1`; `0` turns it off. */
  jitter?: number;
  /** The in-memory store (used when no Redis is configured). */
  memory?: { maxEntries?: number };
  /**
   * An in-process first tier in front of Redis, kept coherent across instances over pub/sub.
   * Ignored without `redis`. `ttl` caps how long an entry stays in it (default `'1m'`, and never
   * past the entry's own TTL); `maxBytes` bounds the payload bytes it holds (default: no bound).
   */
  l1?: { maxEntries?: number; ttl?: Duration; maxBytes?: number };
  /** How values are encoded. Default `'json'` (round-trips Date, BigInt, Map, Set, Buffer, undefined). */
  serializer?: SerializerOption;
  /** How long a loader may hold the cross-process lock of a missing key before others load too. Default `'5s'`. */
  lockTimeout?: Duration;
  /** Limits for `RateLimitGuard`; without it the guard is not usable. */
  rateLimit?: RateLimitOptions;
  /** Token verification for `JwtRevocationGuard`; without it the guard is not usable. */
  revocation?: RevocationOptions;
}

/** Per-entry write options. */
export interface CacheSetOptions {
  /** Time to live of this entry (default: the module's `ttl`). */
  ttl?: Duration;
  /** Tags that `invalidateTags()` can later invalidate this entry by. */
  tags?: readonly string[];
}

/** Options of `getOrSet()`. */
export interface GetOrSetOptions extends CacheSetOptions {
  /** How long past its TTL an entry may still be served while one caller refreshes it, or when the loader fails. */
  grace?: Duration;
}

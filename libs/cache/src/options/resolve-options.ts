import type { Cluster, Redis } from 'ioredis';
import type { CacheModuleOptions, RedisConnectionOptions } from '../cache-options.interface';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_JITTER,
  DEFAULT_L1_MAX_ENTRIES,
  DEFAULT_L1_TTL_MS,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_NAMESPACE,
  DEFAULT_TTL_MS,
} from '../cache.constants';
import { CacheConfigError } from '../errors';
import {
  resolveRateLimitOptions,
  type ResolvedRateLimitOptions,
} from '../rate-limit/rate-limit.options';
import {
  resolveRevocationOptions,
  type ResolvedRevocationOptions,
} from '../revocation/revocation.options';
import { resolveSerializer } from '../serialization/resolve-serializer';
import type { CacheSerializer } from '../serialization/serializer.interface';
import { describe, optionalDuration } from './duration';

/** Redis connection options after validation, durations in milliseconds. */
export interface ResolvedRedisOptions extends Omit<
  RedisConnectionOptions,
  'commandTimeout' | 'connectTimeout' | 'client'
> {
  client?: Redis | Cluster;
  commandTimeout: number;
  connectTimeout: number;
}

/** Module options after validation, with every default filled in and durations in milliseconds. */
export interface ResolvedCacheOptions {
  namespace: string;
  ttl: number;
  jitter: number;
  maxEntries: number;
  lockTimeout: number;
  serializer: CacheSerializer;
  redis?: ResolvedRedisOptions;
  l1?: { maxEntries: number; ttl: number; maxBytes: number };
  rateLimit?: ResolvedRateLimitOptions;
  revocation?: ResolvedRevocationOptions;
}

const KNOWN_OPTIONS = new Set([
  'redis',
  'namespace',
  'ttl',
  'jitter',
  'memory',
  'l1',
  'serializer',
  'lockTimeout',
  'rateLimit',
  'revocation',
  'isGlobal',
]);
const KNOWN_REDIS_OPTIONS = new Set([
  'url',
  'host',
  'port',
  'username',
  'password',
  'db',
  'tls',
  'sentinels',
  'name',
  'cluster',
  'client',
  'commandTimeout',
  'connectTimeout',
]);
const NAMESPACE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Validates the module options and fills in the defaults. Every problem is a `CacheConfigError`
 * whose message names the option, so a bad configuration stops the app at startup.
 */
export function resolveCacheOptions(options: CacheModuleOptions = {}): ResolvedCacheOptions {
  if (typeof options !== 'object' || options === null) {
    throw new CacheConfigError('options', `expected an object; got ${describe(options)}`);
  }
  rejectUnknown(options as object, KNOWN_OPTIONS, '');

  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    throw new CacheConfigError(
      'namespace',
      `expected 1-64 letters, digits, '_', '.' or '-'; got ${describe(namespace)}`,
    );
  }
  const jitter = options.jitter ?? DEFAULT_JITTER;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) {
    throw new CacheConfigError('jitter', `expected a number from 0 to 1; got ${describe(jitter)}`);
  }
  const maxEntries = options.memory?.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new CacheConfigError(
      'memory.maxEntries',
      `expected a positive integer; got ${describe(maxEntries)}`,
    );
  }
  const ttl = optionalDuration(options.ttl, 'ttl', DEFAULT_TTL_MS);
  if (ttl <= 0) throw new CacheConfigError('ttl', `expected more than 0 ms; got ${ttl}`);

  return {
    namespace,
    ttl,
    jitter,
    maxEntries,
    lockTimeout: optionalDuration(options.lockTimeout, 'lockTimeout', DEFAULT_LOCK_TIMEOUT_MS),
    serializer: resolveSerializer(options.serializer),
    redis: options.redis === undefined ? undefined : resolveRedisOptions(options.redis),
    l1: options.l1 === undefined ? undefined : resolveL1Options(options.l1),
    rateLimit:
      options.rateLimit === undefined ? undefined : resolveRateLimitOptions(options.rateLimit),
    revocation:
      options.revocation === undefined ? undefined : resolveRevocationOptions(options.revocation),
  };
}

function resolveRedisOptions(redis: RedisConnectionOptions): ResolvedRedisOptions {
  if (typeof redis !== 'object' || redis === null) {
    throw new CacheConfigError('redis', `expected an object; got ${describe(redis)}`);
  }
  rejectUnknown(redis, KNOWN_REDIS_OPTIONS, 'redis.');
  if (redis.url !== undefined && !/^rediss?:\/\/[^\s]+$/.test(String(redis.url))) {
    // The URL may hold a password: it is never echoed back.
    throw new CacheConfigError('redis.url', 'expected a URL starting with redis:// or rediss://');
  }
  if (
    redis.port !== undefined &&
    !(Number.isInteger(redis.port) && redis.port > 0 && redis.port < 65536)
  ) {
    throw new CacheConfigError('redis.port', `expected a TCP port; got ${describe(redis.port)}`);
  }
  if (redis.db !== undefined && !(Number.isInteger(redis.db) && redis.db >= 0)) {
    throw new CacheConfigError('redis.db', `expected an integer from 0; got ${describe(redis.db)}`);
  }
  if (redis.sentinels !== undefined) {
    if (!Array.isArray(redis.sentinels) || redis.sentinels.length === 0 || !redis.name) {
      throw new CacheConfigError(
        'redis.sentinels',
        'expected a non-empty list of { host, port }, with "redis.name" naming the master set',
      );
    }
  }
  if (redis.cluster !== undefined) {
    if (!Array.isArray(redis.cluster?.nodes) || redis.cluster.nodes.length === 0) {
      throw new CacheConfigError('redis.cluster.nodes', 'expected a non-empty list of nodes');
    }
  }
  if (redis.cluster && redis.sentinels) {
    throw new CacheConfigError('redis.cluster', 'cannot be combined with "redis.sentinels"');
  }
  const commandTimeout = optionalDuration(
    redis.commandTimeout,
    'redis.commandTimeout',
    DEFAULT_COMMAND_TIMEOUT_MS,
  );
  const connectTimeout = optionalDuration(
    redis.connectTimeout,
    'redis.connectTimeout',
    DEFAULT_CONNECT_TIMEOUT_MS,
  );
  if (commandTimeout <= 0 || connectTimeout <= 0) {
    const option = commandTimeout <= 0 ? 'redis.commandTimeout' : 'redis.connectTimeout';
    throw new CacheConfigError(option, 'expected more than 0 ms');
  }
  return { ...redis, commandTimeout, connectTimeout };
}

function resolveL1Options(l1: NonNullable<CacheModuleOptions['l1']>): ResolvedCacheOptions['l1'] {
  if (typeof l1 !== 'object' || l1 === null) {
    throw new CacheConfigError('l1', `expected an object; got ${describe(l1)}`);
  }
  rejectUnknown(l1, new Set(['maxEntries', 'ttl', 'maxBytes']), 'l1.');
  const maxEntries = l1.maxEntries ?? DEFAULT_L1_MAX_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new CacheConfigError(
      'l1.maxEntries',
      `expected a positive integer; got ${describe(maxEntries)}`,
    );
  }
  const maxBytes = l1.maxBytes ?? 0;
  if (!Number.isInteger(maxBytes) || maxBytes < 0) {
    throw new CacheConfigError(
      'l1.maxBytes',
      `expected an integer from 0; got ${describe(maxBytes)}`,
    );
  }
  const ttl = optionalDuration(l1.ttl, 'l1.ttl', DEFAULT_L1_TTL_MS);
  if (ttl <= 0) throw new CacheConfigError('l1.ttl', 'expected more than 0 ms');
  return { maxEntries, ttl, maxBytes };
}

function rejectUnknown(options: object, known: Set<string>, prefix: string): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new CacheConfigError(`${prefix}${key}`, 'unknown option');
    }
  }
}

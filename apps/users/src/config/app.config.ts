import { randomBytes } from 'node:crypto';
import { ConfigError } from './config.error';
import {
  parseBoolean,
  parseDurationVar,
  parseInteger,
  parseNodeList,
  parseRate,
  parseRedisUrl,
  type RateSpec,
} from './env.parsers';

/** The app's settings, read once from the environment at startup. */
export interface AppConfig {
  /** `NODE_ENV`, or `'development'`. */
  nodeEnv: string;
  port: number;
  /** A file path, or `':memory:'`. */
  databasePath: string;
  /**
   * A standalone Redis. Without it (and without `redisClusterNodes`), cache, rate limits and
   * revocations live in this process's memory.
   */
  redisUrl?: string;
  /** Seed nodes (`host:port`) of a Redis Cluster, instead of `redisUrl`. */
  redisClusterNodes?: string[];
  /** Sentinels (`host:port`) watching the master named `redisSentinelName`, instead of `redisUrl`. */
  redisSentinels?: string[];
  /** The master name the sentinels know (`REDIS_SENTINEL_NAME`, default `mymaster`). */
  redisSentinelName: string;
  /** Password of the Redis data nodes for Cluster and Sentinel (a URL carries its own). */
  redisPassword?: string;
  /** When false, readiness stays up while Redis is down. */
  redisRequired: boolean;
  /**
   * When true, readiness shows each dependency's details (latency, Redis role, version, memory,
   * why it is down); by default only its status, `mode` and `degraded`: the route is public.
   */
  healthDetails: boolean;
  jwt: {
    secret: string;
    /** Milliseconds. */
    ttl: number;
  };
  /** Milliseconds. */
  cacheTtl: number;
  /** Per client IP, on every route but health and metrics. */
  rateLimit: RateSpec;
  /** Per client IP and email, on `POST /auth/login`. */
  loginRateLimit: RateSpec;
  /** Proxy hops in front of the app whose `X-Forwarded-For` is trusted for the client IP. */
  trustProxy: number;
  /** Milliseconds a client has to send a whole request (headers and body) before a 408. */
  requestTimeout: number;
  /**
   * Password hashes (logins, sign-ups) that may run or wait at once; one more is answered 503 with
   * `Retry-After: 1` at once.
   */
  passwordHashQueue: number;
  /** Things worth a warning at startup (e.g. a generated JWT secret). */
  warnings: string[];
}

/** DI token of the {@link AppConfig}. */
export const AppConfig = Symbol('USERS:APP_CONFIG');

/** The HS256 key must be at least as long as the hash (RFC 7518 §3.2); the library enforces it. */
export const MIN_SECRET_BYTES = 32;
export const DEFAULT_DATABASE_PATH = './data/users.db';
const MAX_TOKEN_TTL_MS = 86_400_000;
/**
 * One hash takes about 50 ms on one of libuv's 4 threads; 32 at once took 0.7 s on 2 cores, so
 * the last of a full queue waits under a second.
 */
export const DEFAULT_PASSWORD_HASH_QUEUE = 32;
/** Node's own default; a longer one only lets a slow client hold its socket longer. */
const MAX_REQUEST_TIMEOUT_MS = 300_000;

/**
 * Reads and validates the settings. Throws a {@link ConfigError} naming the first bad variable.
 * Empty variables count as unset.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const nodeEnv = read('NODE_ENV') ?? 'development';
  const warnings: string[] = [];
  const redisUrl = read('REDIS_URL');
  const clusterNodes = read('REDIS_CLUSTER_NODES');
  const sentinels = read('REDIS_SENTINELS');
  const topologies = [
    ['REDIS_URL', redisUrl],
    ['REDIS_CLUSTER_NODES', clusterNodes],
    ['REDIS_SENTINELS', sentinels],
  ].filter(([, value]) => value !== undefined);
  if (topologies.length > 1) {
    throw new ConfigError(
      topologies[1][0]!,
      'set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS',
    );
  }
  const redisPassword = env.REDIS_PASSWORD === '' ? undefined : env.REDIS_PASSWORD;
  if (redisPassword !== undefined && redisUrl !== undefined) {
    throw new ConfigError(
      'REDIS_PASSWORD',
      'put the password in REDIS_URL (redis://:password@host:6379) instead',
    );
  }

  return {
    nodeEnv,
    port: parseInteger('PORT', read('PORT') ?? '3000', 0, 65535),
    databasePath: read('DATABASE_PATH') ?? DEFAULT_DATABASE_PATH,
    redisUrl: redisUrl === undefined ? undefined : parseRedisUrl('REDIS_URL', redisUrl),
    redisClusterNodes:
      clusterNodes === undefined ? undefined : parseNodeList('REDIS_CLUSTER_NODES', clusterNodes),
    redisSentinels:
      sentinels === undefined ? undefined : parseNodeList('REDIS_SENTINELS', sentinels),
    redisSentinelName: read('REDIS_SENTINEL_NAME') ?? 'mymaster',
    redisPassword,
    redisRequired: parseBoolean('REDIS_REQUIRED', read('REDIS_REQUIRED') ?? 'true'),
    healthDetails: parseBoolean('HEALTH_DETAILS', read('HEALTH_DETAILS') ?? 'false'),
    jwt: {
      secret: jwtSecret(env.JWT_SECRET, nodeEnv, warnings),
      ttl: parseDurationVar('JWT_TTL', read('JWT_TTL') ?? '15m', 1000, MAX_TOKEN_TTL_MS),
    },
    cacheTtl: parseDurationVar('CACHE_TTL', read('CACHE_TTL') ?? '5m', 1, 7 * 86_400_000),
    rateLimit: parseRate('RATE_LIMIT', read('RATE_LIMIT') ?? '100/10s'),
    loginRateLimit: parseRate('LOGIN_RATE_LIMIT', read('LOGIN_RATE_LIMIT') ?? '5/1m'),
    trustProxy: parseInteger('TRUST_PROXY', read('TRUST_PROXY') ?? '0', 0, 10),
    requestTimeout: parseDurationVar(
      'REQUEST_TIMEOUT',
      read('REQUEST_TIMEOUT') ?? '30s',
      100,
      MAX_REQUEST_TIMEOUT_MS,
    ),
    passwordHashQueue: parseInteger(
      'PASSWORD_HASH_QUEUE',
      read('PASSWORD_HASH_QUEUE') ?? String(DEFAULT_PASSWORD_HASH_QUEUE),
      1,
      10_000,
    ),
    warnings,
  };
}

// Not trimmed: whitespace may be part of a secret.
function jwtSecret(value: string | undefined, nodeEnv: string, warnings: string[]): string {
  if (value === undefined || value === '') {
    if (nodeEnv === 'production') {
      throw new ConfigError(
        'JWT_SECRET',
        `required when NODE_ENV=production (at least ${MIN_SECRET_BYTES} random bytes)`,
      );
    }
    warnings.push(
      'JWT_SECRET is not set: using a random secret for this process only. Tokens will not ' +
        'survive a restart nor work on another instance; set JWT_SECRET to share them.',
    );
    return randomBytes(MIN_SECRET_BYTES).toString('base64url');
  }
  const bytes = Buffer.byteLength(value);
  if (bytes < MIN_SECRET_BYTES) {
    throw new ConfigError(
      'JWT_SECRET',
      `too short: HS256 needs at least ${MIN_SECRET_BYTES} bytes; got ${bytes} (try: openssl rand -base64 48)`,
    );
  }
  return value;
}

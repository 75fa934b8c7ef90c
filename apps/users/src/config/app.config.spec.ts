import { loadConfig } from './app.config';
import { ConfigError } from './config.error';

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has embedded defaults for everything', () => {
    const config = loadConfig({ JWT_SECRET: SECRET });
    expect(config).toEqual({
      nodeEnv: 'development',
      port: 3000,
      databasePath: './data/users.db',
      redisUrl: undefined,
      redisClusterNodes: undefined,
      redisSentinels: undefined,
      redisSentinelName: 'mymaster',
      redisPassword: undefined,
      redisRequired: true,
      healthDetails: false,
      jwt: { secret: SECRET, ttl: 15 * 60_000 },
      cacheTtl: 5 * 60_000,
      rateLimit: { limit: 100, window: 10_000 },
      loginRateLimit: { limit: 5, window: 60_000 },
      trustProxy: 0,
      requestTimeout: 30_000,
      passwordHashQueue: 32,
      warnings: [],
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      DATABASE_PATH: ':memory:',
      REDIS_URL: 'rediss://:pw@cache.internal:6380/2',
      REDIS_REQUIRED: 'false',
      HEALTH_DETAILS: 'true',
      JWT_SECRET: SECRET,
      JWT_TTL: '1h',
      CACHE_TTL: '30s',
      RATE_LIMIT: '1000/1m',
      LOGIN_RATE_LIMIT: '3/m',
      TRUST_PROXY: '1',
      REQUEST_TIMEOUT: '10s',
      PASSWORD_HASH_QUEUE: '8',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      port: 8080,
      databasePath: ':memory:',
      redisUrl: 'rediss://:pw@cache.internal:6380/2',
      redisRequired: false,
      healthDetails: true,
      jwt: { secret: SECRET, ttl: 3_600_000 },
      cacheTtl: 30_000,
      rateLimit: { limit: 1000, window: 60_000 },
      loginRateLimit: { limit: 3, window: 60_000 },
      trustProxy: 1,
      requestTimeout: 10_000,
      passwordHashQueue: 8,
    });
  });

  it('reads the seed nodes of a Redis Cluster', () => {
    const config = loadConfig({
      JWT_SECRET: SECRET,
      REDIS_CLUSTER_NODES: 'r1:7000, r2:7001,10.0.0.3:7002',
    });
    expect(config.redisClusterNodes).toEqual(['r1:7000', 'r2:7001', '10.0.0.3:7002']);
  });

  it("reads a Sentinel set, its master name and the data nodes' password", () => {
    const config = loadConfig({
      JWT_SECRET: SECRET,
      REDIS_SENTINELS: 's1:26379,s2:26380',
      REDIS_SENTINEL_NAME: 'users',
      REDIS_PASSWORD: 'p4ss',
    });
    expect(config).toMatchObject({
      redisSentinels: ['s1:26379', 's2:26380'],
      redisSentinelName: 'users',
      redisPassword: 'p4ss',
    });
    expect(loadConfig({ JWT_SECRET: SECRET }).redisSentinelName).toBe('mymaster');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, PORT: '', REDIS_URL: ' ' })).toMatchObject({
      port: 3000,
      redisUrl: undefined,
    });
  });

  it('makes up a random JWT secret per process outside production, with a warning', () => {
    const first = loadConfig({});
    const second = loadConfig({});
    expect(Buffer.byteLength(first.jwt.secret)).toBeGreaterThanOrEqual(32);
    expect(first.jwt.secret).not.toBe(second.jwt.secret);
    expect(first.warnings).toEqual([expect.stringContaining('JWT_SECRET is not set')]);
  });

  it.each<[string, NodeJS.ProcessEnv, RegExp]>([
    ['PORT', { PORT: 'http' }, /integer from 0 to 65535; got 'http'/],
    ['PORT', { PORT: '70000' }, /integer from 0 to 65535/],
    ['PORT', { PORT: '-1' }, /integer/],
    ['PORT', { PORT: '3000.5' }, /integer/],
    ['REDIS_URL', { REDIS_URL: 'localhost:6379' }, /redis:\/\/host:6379/],
    ['REDIS_URL', { REDIS_URL: 'http://localhost:6379' }, /redis:\/\//],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'redis-1' }, /host:port/],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'redis-1:6379,redis-2:99999' }, /host:port/],
    [
      'REDIS_CLUSTER_NODES',
      { REDIS_CLUSTER_NODES: 'redis-1:6379', REDIS_URL: 'redis://redis:6379' },
      /set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS/,
    ],
    [
      'REDIS_SENTINELS',
      { REDIS_SENTINELS: 's1:26379', REDIS_URL: 'redis://redis:6379' },
      /set only one of/,
    ],
    ['REDIS_SENTINELS', { REDIS_SENTINELS: 's1' }, /host:port/],
    [
      'REDIS_PASSWORD',
      { REDIS_PASSWORD: 'secret', REDIS_URL: 'redis://redis:6379' },
      /put the password in REDIS_URL/,
    ],
    ['REDIS_REQUIRED', { REDIS_REQUIRED: 'maybe' }, /true or false; got 'maybe'/],
    ['HEALTH_DETAILS', { HEALTH_DETAILS: 'maybe' }, /true or false; got 'maybe'/],
    ['JWT_SECRET', { JWT_SECRET: 'short' }, /at least 32 bytes; got 5/],
    [
      'JWT_SECRET',
      { NODE_ENV: 'production', JWT_SECRET: undefined },
      /required when NODE_ENV=production/,
    ],
    ['JWT_SECRET', { NODE_ENV: 'production', JWT_SECRET: '' }, /required/],
    ['JWT_TTL', { JWT_TTL: '15' }, /duration with a unit/],
    ['JWT_TTL', { JWT_TTL: '500ms' }, /from 1s to 1d/],
    ['JWT_TTL', { JWT_TTL: '2d' }, /from 1s to 1d/],
    ['CACHE_TTL', { CACHE_TTL: 'forever' }, /duration with a unit/],
    ['CACHE_TTL', { CACHE_TTL: '0s' }, /from 1ms to 7d/],
    ['RATE_LIMIT', { RATE_LIMIT: '100' }, /'<requests>\/<window>'/],
    ['RATE_LIMIT', { RATE_LIMIT: '0/10s' }, /positive number of requests/],
    ['RATE_LIMIT', { RATE_LIMIT: '100/10' }, /duration with a unit/],
    ['RATE_LIMIT', { RATE_LIMIT: '100/500ms' }, /from 1s to 1d/],
    ['LOGIN_RATE_LIMIT', { LOGIN_RATE_LIMIT: 'five/1m' }, /'<requests>\/<window>'/],
    ['TRUST_PROXY', { TRUST_PROXY: 'true' }, /integer from 0 to 10/],
    ['REQUEST_TIMEOUT', { REQUEST_TIMEOUT: '30' }, /duration with a unit/],
    ['REQUEST_TIMEOUT', { REQUEST_TIMEOUT: '10m' }, /from 100ms to 5m/],
    ['PASSWORD_HASH_QUEUE', { PASSWORD_HASH_QUEUE: '0' }, /integer from 1 to 10000; got '0'/],
    ['PASSWORD_HASH_QUEUE', { PASSWORD_HASH_QUEUE: 'many' }, /integer from 1 to 10000/],
  ])('refuses a bad %s (%j) with a message naming it', (variable, env, problem) => {
    const error = configError({ JWT_SECRET: SECRET, ...env });
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(new RegExp(`^Invalid environment variable ${variable}: `));
    expect(error.message).toMatch(problem);
  });

  it('never repeats a Redis URL, which may hold a password', () => {
    const error = configError({ JWT_SECRET: SECRET, REDIS_URL: 'htp://user:hunter2@host' });
    expect(error.message).not.toContain('hunter2');
  });
});

import { Redis } from 'ioredis';
import { MemoryRateLimitStore, RedisRateLimitStore } from '@app/cache';
import { standaloneRedis, type StandaloneRedis } from '../harness';
import { describeRateLimitStoreContract } from './rate-limit-store.contract';

describeRateLimitStoreContract('memory', () => new MemoryRateLimitStore());

describe('on standalone Redis', () => {
  let redis: StandaloneRedis;
  let client: Redis;
  const namespaces: string[] = [];

  beforeAll(async () => {
    redis = await standaloneRedis();
    client = new Redis(redis.url);
    await client.ping();
  });

  afterAll(async () => {
    for (const namespace of namespaces) {
      const keys = await client.keys(`{${namespace}:rl:*`);
      if (keys.length > 0) await client.del(...keys);
    }
    await client.quit();
    await redis.release();
  });

  describeRateLimitStoreContract('Redis', (namespace) => {
    namespaces.push(namespace);
    return new RedisRateLimitStore(client, { namespace });
  });
});

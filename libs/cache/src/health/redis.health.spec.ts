import { HealthIndicatorService } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { RedisCircuit } from '../redis/redis-circuit';
import type { Duration } from '../options/duration';
import { RedisHealthIndicator } from './redis.health';

describe('RedisHealthIndicator', () => {
  it('reports up in memory mode without a Redis connection', async () => {
    const indicator = new RedisHealthIndicator(new HealthIndicatorService(), null);
    await expect(indicator.isHealthy()).resolves.toEqual({
      redis: { status: 'up', mode: 'memory' },
    });
  });

  it('reports an invalid timeout as down instead of throwing', async () => {
    // Never connects: the check fails before it sends anything.
    const client = new Redis({ lazyConnect: true, port: 1 });
    const indicator = new RedisHealthIndicator(new HealthIndicatorService(), {
      client,
      owned: true,
      circuit: new RedisCircuit(250, () => client.ping()),
      reads: { client, circuit: new RedisCircuit(250, () => client.ping()) },
    });
    try {
      const result = await indicator.isHealthy('cache', { timeout: 'soon' as Duration });
      expect(result.cache).toEqual({
        status: 'down',
        mode: 'standalone',
        reason: expect.stringContaining('"timeout"'),
      });
      expect(client.status).toBe('wait');
    } finally {
      client.disconnect();
    }
  });
});

import type { INestApplicationContext } from '@nestjs/common';
import { CACHE_REDIS_CONNECTION, type RedisConnection } from '@app/cache';
import { waitUntil } from '../harness';

/**
 * Waits until the app's Redis client is ready. The module waits at most `connectTimeout` at boot
 * and then serves without Redis; on a loaded machine a Cluster can take longer than that to load
 * its slots, and a spec that expects Redis to answer must not race it.
 */
export async function waitForRedis(
  app: INestApplicationContext,
  timeoutMs = 10_000,
): Promise<void> {
  const connection = app.get<RedisConnection | null>(CACHE_REDIS_CONNECTION, { strict: false });
  if (!connection) return;
  await waitUntil(async () => connection.client.status === 'ready', {
    what: 'the Redis client to be ready',
    timeoutMs,
    intervalMs: 20,
  });
}

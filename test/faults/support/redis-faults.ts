import { waitUntil, type RedisServer } from '../../harness';

/** `redis-cli shutdown nosave`, then waits until the process has exited. */
export async function shutdownNosave(redis: RedisServer): Promise<void> {
  // The connection drops as the server exits, which redis-cli may report as an error.
  await redis.cli('SHUTDOWN', 'NOSAVE').catch(() => undefined);
  await waitUntil(async () => !redis.running, {
    what: 'redis-server to exit after SHUTDOWN NOSAVE',
    timeoutMs: 5000,
    intervalMs: 5,
  });
}

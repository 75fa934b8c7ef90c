import type { RedisServer } from '../../harness';
import { now, sleep } from './clock';

/** When a replica became master, and when the app first used it (runner clock; Infinity: never). */
export interface Promotion {
  promotedAt: number;
  usedAt: number;
}

/**
 * Polls a replica every 50 ms for at most `forMs`: its role, then its command stats (reset before
 * the fault), until `used(stats)` says the app's commands reach it. A node busy failing over may
 * not answer redis-cli at once; such a poll is skipped.
 */
export async function watchPromotion(
  replica: RedisServer,
  forMs: number,
  used: (stats: Record<string, number>) => boolean,
): Promise<Promotion> {
  const watch: Promotion = { promotedAt: Infinity, usedAt: Infinity };
  const deadline = now() + forMs;
  while (now() < deadline && !Number.isFinite(watch.usedAt)) {
    try {
      if (!Number.isFinite(watch.promotedAt) && (await replica.currentRole()) === 'master') {
        watch.promotedAt = now();
      }
      if (Number.isFinite(watch.promotedAt) && used(await replica.commandStats())) {
        watch.usedAt = now();
      }
    } catch {
      // busy failing over
    }
    await sleep(50);
  }
  return watch;
}

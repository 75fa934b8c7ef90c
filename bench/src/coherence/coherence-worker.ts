/**
 * Child process of the L1 coherence figure: one instance of the module (L1 + Redis) on the shared
 * namespace. The parent has it write, change or watch keys; times are `process.hrtime` (the
 * machine's monotonic clock, the same in every process).
 */
import 'reflect-metadata';
import { CacheStore, type CacheService } from '../../../libs/cache/src';
import { createModuleContext } from '../contenders/module-host';
import { makeUser } from '../fixtures';
import { failChild, tellParent, type ChildMessage } from '../infra/child';
import { COHERENCE_OPS, type CoherenceOp } from './coherence-ops';

/** Longest a watch waits for the change before it reports a timeout. */
const WATCH_LIMIT_MS = 5000;

const now = (): string => process.hrtime.bigint().toString();
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function main(): Promise<void> {
  const [namespace] = process.argv.slice(2);
  const { app, cache } = await createModuleContext(
    {
      namespace,
      ttl: '1h',
      redis: { url: process.env.BENCH_REDIS_URL ?? '' },
      l1: { maxEntries: 10_000, ttl: '10m' },
    },
    async (id) => makeUser(id),
  );
  const store = app.get<CacheStore>(CacheStore);

  const handle = async (message: ChildMessage): Promise<void> => {
    const key = String(message.key);
    switch (message.type) {
      case 'write':
        await cache.set(key, 'old', { tags: [`tag:${key}`] });
        return tellParent({ type: 'written' });
      case 'prime':
        // Read until the entry sits in L1 (the bus is subscribed and the read filled it).
        for (let tries = 0; store.peek?.(key) === undefined; tries++) {
          if (tries > 1000) throw new Error(`${key} never reached L1`);
          await cache.get(key);
          await nextTurn();
        }
        return tellParent({ type: 'primed' });
      case 'watch':
        tellParent({ type: 'watching' });
        return tellParent({ type: 'seen', ...(await watch(cache, key)) });
      case 'change':
        await COHERENCE_OPS[message.op as CoherenceOp](cache, key);
        return tellParent({ type: 'changed', at: now() });
    }
  };
  process.on('message', (message: ChildMessage) => void handle(message).catch(failChild));
  process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
  tellParent({ type: 'ready' });
}

/** Reads `key` once per event-loop turn until it is no longer the old value. */
async function watch(
  cache: CacheService,
  key: string,
): Promise<{ lastOld: string; reads: number; timedOut: boolean }> {
  const deadline = Date.now() + WATCH_LIMIT_MS;
  let lastOld = now();
  let reads = 0;
  for (;;) {
    const value = await cache.get(key);
    reads++;
    if (value !== 'old') return { lastOld, reads, timedOut: false };
    lastOld = now();
    if (Date.now() > deadline) return { lastOld, reads, timedOut: true };
    await nextTurn();
  }
}

main().catch(failChild);

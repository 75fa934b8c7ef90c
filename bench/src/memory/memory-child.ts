/**
 * Child process (run with --expose-gc) of the L1/memory figure: writes many distinct keys through
 * one path and samples memory after a full GC, or fills an `L1Cache` bounded by `maxBytes` (values
 * decoded once and held with their bytes, as the module's L1 holds them).
 */
import 'reflect-metadata';
import { L1Cache } from '../../../libs/cache/src';
import { JsonSerializer } from '../../../libs/cache/src/serialization/json.serializer';
import { createModuleContext } from '../contenders/module-host';
import { makeUser } from '../fixtures';
import { failChild, tellParent } from '../infra/child';

export interface MemorySample {
  keys: number;
  rss: number;
  heapUsed: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

function sample(keys: number): MemorySample {
  gc?.();
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { keys, rss, heapUsed };
}

/** `count` distinct keys through `write`, sampling every `every` keys once `warmup` were written. */
async function writeMany(
  count: number,
  every: number,
  warmup: number,
  write: (i: number) => Promise<unknown>,
): Promise<MemorySample[]> {
  const samples: MemorySample[] = [];
  for (let i = 1; i <= count; i++) {
    await write(i);
    if (i >= warmup && i % every === 0) samples.push(sample(i));
  }
  return samples;
}

async function distinctKeys(
  mode: 'store' | 'cacheable',
  count: number,
  every: number,
  warmup: number,
) {
  const { app, repo, cache } = await createModuleContext(
    { namespace: 'p8', ttl: '1h' },
    async (id) => makeUser(id),
  );
  const write =
    mode === 'store'
      ? (i: number) => cache.set(`user:${i}`, makeUser(String(i)))
      : (i: number) => repo.findOne(String(i));
  const samples = await writeMany(count, every, warmup, write);
  const stats = cache.stats();
  await app.close();
  return { samples, sets: stats.sets, loads: stats.loads };
}

/** Offers `entries` entries of about `payloadBytes` each to an L1 capped at `maxBytes`. */
function fillL1(entries: number, payloadBytes: number, maxBytes: number) {
  const before = sample(0);
  const serializer = new JsonSerializer();
  const l1 = new L1Cache(
    { maxEntries: Number.MAX_SAFE_INTEGER, maxTtl: 3_600_000, maxBytes },
    (payload) => serializer.deserialize(payload),
  );
  const now = Date.now();
  const padding = 'x'.repeat(Math.max(0, payloadBytes - 160));
  for (let i = 0; i < entries; i++) {
    const payload = `J${JSON.stringify({ ...makeUser(String(i)), bio: padding })}`;
    l1.set(`user:${i}`, { payload, createdAt: now, freshUntil: now + 3_600_000, tags: [] }, now);
  }
  const after = sample(entries);
  return {
    payloadBytes,
    maxBytes,
    heldBytes: l1.heldBytes,
    held: l1.size,
    heapGrowth: after.heapUsed - before.heapUsed,
    rssGrowth: after.rss - before.rss,
  };
}

async function main(): Promise<void> {
  const [mode, ...numbers] = process.argv.slice(2);
  const [count, every, warmup] = numbers.map(Number);
  if (!gc) throw new Error('run with --expose-gc');
  tellParent({ type: 'ready' });
  if (mode === 'store' || mode === 'cacheable') {
    tellParent({ type: 'result', ...(await distinctKeys(mode, count, every, warmup)) });
  } else {
    const maxBytes = 10 * 1024 * 1024;
    tellParent({
      type: 'result',
      l1: [fillL1(count, 1024, maxBytes), fillL1(count, 200, maxBytes)],
    });
  }
}

main().catch(failChild);

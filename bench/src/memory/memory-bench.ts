import type { BenchConfig } from '../config';
import { BenchChild, type ChildMessage } from '../infra/child';
import type { MemorySample } from './memory-child';

export interface DistinctKeysResult {
  path: string;
  samples: MemorySample[];
  /** RSS growth from the first sample after warm-up to the last, as a fraction of the first. */
  rssGrowth: number;
  heapGrowth: number;
  error?: string;
}

export interface L1BytesResult {
  payloadBytes: number;
  maxBytes: number;
  heldBytes: number;
  held: number;
  heapGrowth: number;
  rssGrowth: number;
}

export interface MemoryResults {
  keys: number;
  distinct: DistinctKeysResult[];
  l1: L1BytesResult[];
  error?: string;
}

/** P8: each path in a fresh process, so one's garbage never shows in another's samples. */
export async function runMemory(config: BenchConfig): Promise<MemoryResults> {
  const { keys, sampleEvery, warmup, l1Entries } = config.memory;
  const out: MemoryResults = { keys, distinct: [], l1: [] };
  const paths = [
    ['store', 'CacheService.set, memory store (default maxEntries 10,000)'],
    ['cacheable', '@Cacheable, memory store (default maxEntries 10,000)'],
  ] as const;
  for (const [mode, path] of paths) {
    try {
      const reply = await runChild([mode, String(keys), String(sampleEvery), String(warmup)]);
      const samples = reply.samples as MemorySample[];
      const first = samples[0];
      const last = samples[samples.length - 1];
      out.distinct.push({
        path,
        samples,
        rssGrowth: (last.rss - first.rss) / first.rss,
        heapGrowth: (last.heapUsed - first.heapUsed) / first.heapUsed,
      });
    } catch (error) {
      out.distinct.push({
        path,
        samples: [],
        rssGrowth: NaN,
        heapGrowth: NaN,
        error: String(error),
      });
    }
  }
  try {
    out.l1 = (await runChild(['l1', String(l1Entries)])).l1 as L1BytesResult[];
  } catch (error) {
    out.error = String(error);
  }
  return out;
}

async function runChild(args: string[]): Promise<ChildMessage> {
  const { child } = await BenchChild.start('memory/memory-child', args, {}, ['--expose-gc']);
  try {
    return await child.next('result');
  } finally {
    await child.stop();
  }
}

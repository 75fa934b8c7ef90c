import { now, sleep } from './clock';
import type { HttpClient } from './http-client';

/** One `/health/ready` answer. */
export interface ReadinessSample {
  instance: number;
  start: number;
  end: number;
  status: number;
}

/** Cache counters of one instance, read from `/metrics` (`CacheService.stats()`). */
export interface CacheCounters {
  instance: number;
  t: number;
  hits: number;
  misses: number;
  errors: number;
}

/**
 * Polls something on every instance until stopped: each instance in its own loop, one request at a
 * time, one every `intervalMs` (or as soon as the previous answer came, if it was slower).
 */
abstract class Poller<T> {
  readonly samples: T[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    protected readonly clients: readonly HttpClient[],
    private readonly intervalMs: number,
  ) {}

  start(): this {
    this.running = true;
    this.loops = this.clients.map((client, instance) => this.loop(client, instance));
    return this;
  }

  async stop(): Promise<T[]> {
    this.running = false;
    await Promise.all(this.loops);
    return this.samples;
  }

  protected abstract poll(client: HttpClient, instance: number): Promise<T | undefined>;

  private async loop(client: HttpClient, instance: number): Promise<void> {
    while (this.running) {
      const began = now();
      const sample = await this.poll(client, instance);
      if (sample !== undefined) this.samples.push(sample);
      await sleep(this.intervalMs - (now() - began));
    }
  }
}

/** `/health/ready` every 100 ms per instance (2 s timeout per poll). */
export class ReadinessPoller extends Poller<ReadinessSample> {
  constructor(clients: readonly HttpClient[], intervalMs = 100) {
    super(clients, intervalMs);
  }

  protected async poll(client: HttpClient, instance: number): Promise<ReadinessSample> {
    const { start, end, status } = await client.get('/health/ready', { timeoutMs: 2000 });
    return { instance, start, end, status };
  }
}

/** Cache hit/miss/error counters from `/metrics` every 500 ms per instance. */
export class CacheCountersPoller extends Poller<CacheCounters> {
  constructor(clients: readonly HttpClient[], intervalMs = 500) {
    super(clients, intervalMs);
  }

  protected async poll(client: HttpClient, instance: number): Promise<CacheCounters | undefined> {
    return readCacheCounters(client, instance);
  }
}

/** The cache counters of one instance now, or undefined if `/metrics` did not answer. */
export async function readCacheCounters(
  client: HttpClient,
  instance: number,
): Promise<CacheCounters | undefined> {
  const result = await client.get('/metrics', { timeoutMs: 2000 });
  if (result.status !== 200 || typeof result.body !== 'string') return undefined;
  const value = (name: string): number => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(result.body as string);
    return match ? Number(match[1]) : NaN;
  };
  return {
    instance,
    t: result.end,
    hits: value('cache_hits'),
    misses: value('cache_misses'),
    errors: value('cache_errors'),
  };
}

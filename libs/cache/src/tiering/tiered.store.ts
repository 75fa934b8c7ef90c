import type { CacheStore, StoredEntry, StoreWrite } from '../stores/cache-store.interface';
import type { Invalidation, InvalidationBus, InvalidationListener } from './invalidation-bus';
import type { L1Cache } from './l1-cache';

/**
 * Two tiers behind the one store contract: an in-process L1 in front of a shared store (Redis).
 * L1 hits cost no round trip. Every change made here is applied to L1 at once and published, so
 * the other instances drop what they hold; L1 is only used while the bus is subscribed.
 *
 * A read fills L1 only if no invalidation arrived while it was in flight (a generation counter),
 * so a value read just before a concurrent update can never settle in L1.
 */
export class TieredStore implements CacheStore, InvalidationListener {
  private generation = 0;
  private bus!: InvalidationBus;
  private wasUsable = true;
  /** The L2 store's, when it has one (see `CacheStore.extendLock`). */
  readonly extendLock?: (key: string, token: string, ttl: number) => Promise<boolean>;

  constructor(
    private readonly l2: CacheStore,
    private readonly l1: L1Cache,
    connectBus: (listener: InvalidationListener) => InvalidationBus,
  ) {
    this.bus = connectBus(this);
    if (l2.extendLock) this.extendLock = (key, token, ttl) => l2.extendLock!(key, token, ttl);
  }

  /** L1 holds fresh entries only: it drops each one when its freshness ends, if not before. */
  peek(key: string): StoredEntry | undefined {
    return this.l1Usable() ? this.l1.get(key, Date.now()) : undefined;
  }

  async get(key: string, tags?: readonly string[]): Promise<StoredEntry | undefined> {
    const hit = this.peek(key);
    if (hit) return hit;
    const generation = this.generation;
    const entry = await this.l2.get(key, tags);
    return entry && this.fill(key, entry, generation);
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    if (!this.l1Usable()) return this.l2.getMany(keys);
    const now = Date.now();
    const found = keys.map((key) => this.l1.get(key, now));
    const missing = keys.filter((_, i) => found[i] === undefined);
    if (missing.length === 0) return found;
    const generation = this.generation;
    const loaded = await this.l2.getMany(missing);
    let next = 0;
    return found.map((entry, i) => {
      if (entry) return entry;
      const fetched = loaded[next++];
      return fetched && this.fill(keys[i], fetched, generation);
    });
  }

  async set(writes: readonly StoreWrite[]): Promise<number | void> {
    const keys = writes.map((write) => write.key);
    // Not written through to L1: only a read knows whether the store accepted the entry (a tag
    // invalidated since its load began makes it a miss), so L1 fills on the next read.
    this.changed({ keys });
    const refused = await this.l2.set(writes);
    await this.bus.publish({ keys });
    return refused;
  }

  async delete(keys: readonly string[]): Promise<void> {
    await this.evict({ keys }, () => this.l2.delete(keys));
  }

  async invalidateTags(tags: readonly string[], at: number): Promise<void> {
    await this.evict({ tags }, () => this.l2.invalidateTags(tags, at));
  }

  async deleteByPattern(pattern: string): Promise<number> {
    let deleted = 0;
    await this.evict({ patterns: [pattern] }, async () => {
      deleted = await this.l2.deleteByPattern(pattern);
    });
    return deleted;
  }

  async clear(): Promise<void> {
    await this.evict({ clear: true }, () => this.l2.clear());
  }

  lock(key: string, token: string, ttl: number): Promise<boolean> {
    return this.l2.lock(key, token, ttl);
  }

  unlock(key: string, token: string, fenceFor?: number): Promise<void> {
    return this.l2.unlock(key, token, fenceFor);
  }

  async close(): Promise<void> {
    await this.bus.close();
    this.l1.clear();
    await this.l2.close();
  }

  /** From another instance: drop what it changed. */
  invalidate(invalidation: Invalidation): void {
    this.changed(invalidation);
  }

  trustChanged(): void {
    // Whatever was missed while untrusted may be in L1: start over either way.
    this.generation++;
    this.l1.clear();
  }

  /** Number of entries held in L1 (for tests and metrics). */
  get l1Size(): number {
    return this.l1.size;
  }

  private async evict(invalidation: Invalidation, inL2: () => Promise<unknown>): Promise<void> {
    this.changed(invalidation);
    await inL2();
    await this.bus.publish(invalidation);
  }

  private changed({ keys, tags, patterns, clear }: Invalidation): void {
    this.generation++;
    if (clear) return this.l1.clear();
    if (keys?.length) this.l1.delete(keys);
    if (tags?.length) this.l1.deleteTagged(tags);
    for (const pattern of patterns ?? []) this.l1.deleteMatching(pattern);
  }

  /**
   * L1 is used while the bus is subscribed and Redis takes writes: while it does not, other
   * instances' evictions cannot be published either, so L1 is dropped, as when the bus is lost.
   */
  private l1Usable(): boolean {
    const usable = this.bus.trusted && this.l2.readable !== false;
    if (!usable && this.wasUsable) this.trustChanged();
    this.wasUsable = usable;
    return usable;
  }

  /** Puts a fresh entry read from L2 into L1; returns the entry to hand to the reader. */
  private fill(key: string, entry: StoredEntry, generation: number): StoredEntry {
    const now = Date.now();
    if (!this.l1Usable() || generation !== this.generation || entry.freshUntil <= now) {
      return entry;
    }
    return this.l1.set(key, entry, now);
  }
}

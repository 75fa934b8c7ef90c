import { globToRegExp } from '../keys/escape-pattern';
import type { CacheStore, StoredEntry, StoreWrite } from './cache-store.interface';

interface Slot {
  entry: StoredEntry;
  expiresAt: number;
}

interface TagMark {
  /** When the tag was last invalidated (0: never). */
  invalidatedAt: number;
  /** The mark is kept at least as long as any entry carrying the tag. */
  keepUntil: number;
}

/** How long an invalidation is remembered when no entry carries the tag yet (a load may be in flight). */
export const TAG_MARK_FLOOR_MS = 10 * 60_000;

/**
 * An in-process store: a bounded LRU (Map insertion order) that honours TTLs. Like the Redis store,
 * it keeps serialized payloads, so callers never share a mutable object through it.
 */
export class MemoryStore implements CacheStore {
  private readonly entries = new Map<string, Slot>();
  private readonly tags = new Map<string, TagMark>();
  private readonly locks = new Map<string, { token: string; until: number }>();

  constructor(private readonly maxEntries: number) {}

  peek(key: string): StoredEntry | undefined {
    const now = Date.now();
    const entry = this.read(key, now);
    return entry && entry.freshUntil > now ? entry : undefined;
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    return this.read(key, Date.now());
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    const now = Date.now();
    return keys.map((key) => this.read(key, now));
  }

  async set(writes: readonly StoreWrite[]): Promise<void> {
    const now = Date.now();
    for (const { key, entry, keepFor } of writes) {
      const expiresAt = now + keepFor;
      for (const tag of entry.tags) this.keepTag(tag, expiresAt, now);
      this.entries.delete(key);
      this.entries.set(key, { entry, expiresAt });
    }
    this.evictOverflow();
    this.sweepTags(now);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async invalidateTags(tags: readonly string[], at: number): Promise<void> {
    for (const tag of tags) {
      const mark = this.tags.get(tag);
      const keepUntil = Math.max(mark?.keepUntil ?? 0, at + TAG_MARK_FLOOR_MS);
      const invalidatedAt = Math.max(mark?.invalidatedAt ?? 0, at);
      this.tags.set(tag, { invalidatedAt, keepUntil });
    }
    this.sweepTags(Date.now());
  }

  async deleteByPattern(pattern: string): Promise<number> {
    const matcher = globToRegExp(pattern);
    let deleted = 0;
    for (const key of [...this.entries.keys()]) {
      if (matcher.test(key) && this.entries.delete(key)) deleted++;
    }
    return deleted;
  }

  async clear(): Promise<void> {
    this.entries.clear();
    this.tags.clear();
    this.locks.clear();
  }

  async lock(key: string, token: string, ttl: number): Promise<boolean> {
    const now = Date.now();
    const held = this.locks.get(key);
    if (held && held.until > now) return false;
    this.locks.set(key, { token, until: now + ttl });
    return true;
  }

  async unlock(key: string, token: string): Promise<void> {
    if (this.locks.get(key)?.token === token) this.locks.delete(key);
  }

  async close(): Promise<void> {
    await this.clear();
  }

  /** Number of entries held, expired ones included until they are read or pushed out. */
  get size(): number {
    return this.entries.size;
  }

  private read(key: string, now: number): StoredEntry | undefined {
    const slot = this.entries.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt <= now || this.isInvalidated(slot.entry, now)) {
      this.entries.delete(key);
      return undefined;
    }
    // Refresh the LRU position.
    this.entries.delete(key);
    this.entries.set(key, slot);
    return slot.entry;
  }

  private isInvalidated(entry: StoredEntry, now: number): boolean {
    for (const tag of entry.tags) {
      const mark = this.tags.get(tag);
      if (!mark) continue;
      if (mark.keepUntil <= now) this.tags.delete(tag);
      else if (entry.createdAt <= mark.invalidatedAt) return true;
    }
    return false;
  }

  private keepTag(tag: string, until: number, now: number): void {
    const mark = this.tags.get(tag);
    if (!mark || mark.keepUntil <= now) this.tags.set(tag, { invalidatedAt: 0, keepUntil: until });
    else if (mark.keepUntil < until) mark.keepUntil = until;
  }

  /** Drops lapsed tag marks once there are more than entries, so marks stay bounded too. */
  private sweepTags(now: number): void {
    if (this.tags.size <= this.maxEntries) return;
    for (const [tag, mark] of this.tags) {
      if (mark.keepUntil <= now) this.tags.delete(tag);
    }
  }

  private evictOverflow(): void {
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

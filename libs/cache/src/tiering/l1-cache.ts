import { globToRegExp } from '../keys/escape-pattern';
import type { StoredEntry } from '../stores/cache-store.interface';

interface Slot {
  entry: StoredEntry;
  expiresAt: number;
  bytes: number;
}

/** Bounds of the in-process first tier. */
export interface L1Limits {
  maxEntries: number;
  /** Longest an entry stays in L1, whatever its own TTL. */
  maxTtl: number;
  /** Upper bound of the payload bytes held; 0 for none. */
  maxBytes: number;
}

/**
 * The first tier: serialized entries in a bounded LRU. Holding bytes rather than objects means
 * every hit decodes its own copy, so no caller can change what the next one gets, and it makes
 * `maxBytes` a measure of what is really held.
 */
export class L1Cache {
  private readonly slots = new Map<string, Slot>();
  private bytes = 0;

  constructor(private readonly limits: L1Limits) {}

  get(key: string, now: number): StoredEntry | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt <= now) {
      this.remove(key, slot);
      return undefined;
    }
    this.slots.delete(key);
    this.slots.set(key, slot);
    return slot.entry;
  }

  /** Keeps a fresh entry until its freshness ends or the L1 cap, whichever comes first. */
  set(key: string, entry: StoredEntry, now: number): void {
    const expiresAt = Math.min(entry.freshUntil, now + this.limits.maxTtl);
    const existing = this.slots.get(key);
    if (existing) this.remove(key, existing);
    if (expiresAt <= now) return;
    const bytes = this.limits.maxBytes > 0 ? byteLength(entry.payload) : 0;
    if (this.limits.maxBytes > 0 && bytes > this.limits.maxBytes) return;
    this.slots.set(key, { entry, expiresAt, bytes });
    this.bytes += bytes;
    this.evictOverflow();
  }

  delete(keys: readonly string[]): void {
    for (const key of keys) {
      const slot = this.slots.get(key);
      if (slot) this.remove(key, slot);
    }
  }

  deleteTagged(tags: readonly string[]): void {
    const wanted = new Set(tags);
    for (const [key, slot] of this.slots) {
      if (slot.entry.tags.some((tag) => wanted.has(tag))) this.remove(key, slot);
    }
  }

  deleteMatching(pattern: string): void {
    const matcher = globToRegExp(pattern);
    for (const [key, slot] of this.slots) if (matcher.test(key)) this.remove(key, slot);
  }

  clear(): void {
    this.slots.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.slots.size;
  }

  /** Payload bytes held (counted only when `maxBytes` is set). */
  get heldBytes(): number {
    return this.bytes;
  }

  private remove(key: string, slot: Slot): void {
    this.slots.delete(key);
    this.bytes -= slot.bytes;
  }

  private evictOverflow(): void {
    const { maxEntries, maxBytes } = this.limits;
    while (this.slots.size > maxEntries || (maxBytes > 0 && this.bytes > maxBytes)) {
      const [key, slot] = this.slots.entries().next().value as [string, Slot];
      this.remove(key, slot);
    }
  }
}

function byteLength(payload: string | Buffer): number {
  return typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
}

import { globToRegExp } from '../keys/escape-pattern';
import { measureCopyable } from '../serialization/value-copy';
import type { StoredEntry } from '../stores/cache-store.interface';

interface Slot {
  entry: StoredEntry;
  expiresAt: number;
  bytes: number;
  /** The insertion count when the slot was last moved to the recent end. */
  placedAt: number;
}

/** Bounds of the in-process first tier. */
export interface L1Limits {
  maxEntries: number;
  /** Longest an entry stays in L1, whatever its own TTL. */
  maxTtl: number;
  /** Upper bound of the bytes held (entries weighed as {@link L1Cache} says); 0 for none. */
  maxBytes: number;
}

/**
 * What an entry costs besides its value: the LRU's map slot, the slot and entry objects and their
 * numbers (an estimate for a 64-bit V8 heap, checked by `npm run bench`, figure P8).
 */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * The first tier: a bounded LRU of entries. With `decode`, each value is decoded once when it is
 * set, and every hit hands out a deep copy of it (`StoredEntry.decoded`; about a fifth of the cost
 * of decoding again on a small record), so no caller can change what the next one gets. A value
 * that cannot be copied (`measureCopyable`) is decoded by each reader from its bytes.
 *
 * Entries are weighed against `maxBytes` as their key, tags, bytes and decoded value (estimated)
 * plus a fixed overhead, so the bound tracks the memory really held.
 */
export class L1Cache {
  private readonly slots = new Map<string, Slot>();
  private bytes = 0;
  /** Slots placed at the recent end so far (sets and moves). */
  private placements = 0;

  constructor(
    private readonly limits: L1Limits,
    private readonly decode?: (payload: string | Buffer) => unknown,
  ) {}

  get(key: string, now: number): StoredEntry | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    if (slot.expiresAt <= now) {
      this.remove(key, slot);
      return undefined;
    }
    // Nearly LRU: a hit moves its slot to the recent end only once enough slots were placed after
    // it (moveAfter), so a hot entry is not moved on every hit, and still never reaches the
    // evicting end unread.
    if (this.placements - slot.placedAt > this.moveAfter()) {
      this.slots.delete(key);
      this.slots.set(key, slot);
      slot.placedAt = this.placements++;
    }
    return slot.entry;
  }

  /**
   * Keeps a fresh entry until its freshness ends or the L1 cap, whichever comes first. Returns the
   * entry as held (with its decoded value when there is one) for the reader at hand.
   */
  set(key: string, entry: StoredEntry, now: number): StoredEntry {
    const expiresAt = Math.min(entry.freshUntil, now + this.limits.maxTtl);
    const existing = this.slots.get(key);
    if (existing) this.remove(key, existing);
    if (expiresAt <= now) return entry;
    const { held, valueBytes } = this.prepare(entry);
    const bytes = ENTRY_OVERHEAD_BYTES + key.length + tagBytes(entry.tags) + valueBytes;
    if (this.limits.maxBytes > 0 && bytes > this.limits.maxBytes) return held;
    this.slots.set(key, { entry: held, expiresAt, bytes, placedAt: this.placements++ });
    this.bytes += bytes;
    this.evictOverflow();
    return held;
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

  /** Bytes held, entries weighed as the class comment says. */
  get heldBytes(): number {
    return this.bytes;
  }

  private prepare(entry: StoredEntry): { held: StoredEntry; valueBytes: number } {
    const bytes = payloadBytes(entry.payload);
    if (!this.decode) return { held: entry, valueBytes: bytes };
    let value: unknown;
    try {
      value = this.decode(entry.payload);
    } catch {
      return { held: entry, valueBytes: bytes }; // the reader's own decode reports it
    }
    const decodedBytes = measureCopyable(value);
    if (decodedBytes === undefined) return { held: entry, valueBytes: bytes };
    // Spelled out: an object spread here takes about three times the heap of this literal.
    const { payload, createdAt, freshUntil, tags } = entry;
    const held = { payload, createdAt, freshUntil, tags, decoded: { value } };
    return { held, valueBytes: bytes + decodedBytes };
  }

  /**
   * How many placements after a slot make a hit move it. Bound by `maxEntries` alone, a slot can
   * only be evicted once `maxEntries` slots were placed after it, so half of that is early enough,
   * and a cache far from full moves nothing. Bound by bytes too, entries of any size can push it
   * out, so it is half of what is held now.
   */
  private moveAfter(): number {
    return (this.limits.maxBytes > 0 ? this.slots.size : this.limits.maxEntries) >> 1;
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

function payloadBytes(payload: string | Buffer): number {
  return typeof payload === 'string' ? 16 + payload.length : 96 + payload.byteLength;
}

function tagBytes(tags: readonly string[]): number {
  let bytes = 0;
  for (const tag of tags) bytes += 24 + tag.length;
  return bytes;
}

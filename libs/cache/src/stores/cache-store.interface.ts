import { Inject } from '@nestjs/common';

/** One cache entry as a store keeps it: the serialized value and the facts needed to judge it. */
export interface StoredEntry {
  /** The serialized value. */
  payload: string | Buffer;
  /** Epoch ms when the value was loaded; a tag invalidated at or after this makes the entry a miss. */
  createdAt: number;
  /** Epoch ms until which the entry is fresh; past it, it is stale (served only within grace). */
  freshUntil: number;
  /** Tags the entry was stored with. */
  tags: readonly string[];
  /**
   * Set by an in-process tier that decoded the value once: each reader takes its own copy of it
   * (`copyValue`) instead of decoding `payload` again.
   */
  readonly decoded?: { readonly value: unknown };
}

/**
 * A write: the entry and how long the store keeps it (its TTL plus grace), in ms. An entry is
 * never fresh for longer than it is kept: `entry.freshUntil <= now + keepFor`.
 */
export interface StoreWrite {
  key: string;
  entry: StoredEntry;
  keepFor: number;
  /**
   * A value a loader read from its source, its load begun at `entry.createdAt`. A store shared by
   * several instances refuses it when, at or after then, the key was deleted or one of the entry's
   * tags invalidated, or when the key holds an entry created later: what the load read may predate
   * another instance's update. Other writes (`set`, `@CachePut`) are changes of their own and
   * always stored.
   */
  loaded?: boolean;
}

/**
 * The contract every backend implements (memory, Redis standalone/Sentinel/Cluster). Keys are the
 * caller's keys; the store adds its namespace. Every method may reject when the backend fails.
 */
export interface CacheStore {
  /**
   * False while the store's entries may be stale because writes (evictions included) do not reach
   * it; reads are then skipped. Stores that cannot tell leave it undefined.
   */
  readonly readable?: boolean;
  /**
   * Reads one entry; an entry with an invalidated tag is a miss. `tags` are the tags the caller
   * expects the entry to carry: a store may check them in the same round trip as the read.
   */
  get(key: string, tags?: readonly string[]): Promise<StoredEntry | undefined>;
  /**
   * The entry at `key` if it is fresh and the store can answer without waiting (an in-process
   * tier), else `undefined`: the caller then reads it with {@link get}. Lets a hit skip the
   * asynchronous path.
   */
  peek?(key: string): StoredEntry | undefined;
  /** Reads many entries in one round trip, in order. */
  getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]>;
  /**
   * Writes entries (one round trip for many). May resolve to how many `loaded` writes it refused
   * (nothing: none).
   */
  set(writes: readonly StoreWrite[]): Promise<number | void>;
  /** Removes entries. */
  delete(keys: readonly string[]): Promise<void>;
  /** Makes every entry created at or before `at` with one of `tags` a miss. */
  invalidateTags(tags: readonly string[], at: number): Promise<void>;
  /** Removes the entries whose key matches the glob (Redis glob syntax); returns how many. */
  deleteByPattern(pattern: string): Promise<number>;
  /** Removes every entry and tag of the namespace. */
  clear(): Promise<void>;
  /**
   * Takes the lock of `key` for `ttl` ms under `token` (unique per attempt); false if it is held.
   * The caller owns the token, so it can release a lock whose reply it never got.
   */
  lock(key: string, token: string, ttl: number): Promise<boolean>;
  /**
   * Makes the lock `token` holds last `ttl` ms from now; false when the token no longer holds it.
   * Optional: without it, a lock is taken for the whole `lockTimeout`; with it, a lock is a short
   * lease that its holder renews while it loads, so one whose holder died or lost the store lapses
   * soon instead of making every reader of the key wait out `lockTimeout`.
   */
  extendLock?(key: string, token: string, ttl: number): Promise<boolean>;
  /**
   * Releases a lock, only if `token` still holds it. With `fenceFor` (ms), for a lock whose
   * `lock()` call got no answer: for that long, a `lock()` call of `token` that still lands (a
   * Cluster client retries a command on its own) does not take the lock, while other tokens may.
   * A store whose calls cannot land late (an in-process one) may ignore it.
   */
  unlock(key: string, token: string, fenceFor?: number): Promise<void>;
  /** Releases what the store owns (timers, connections it opened). */
  close(): Promise<void>;
}

export const CacheStore = Symbol('CacheStore');

/** Injects the module's {@link CacheStore}. */
export const InjectCacheStore = (): ParameterDecorator => Inject(CacheStore);

import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheSetOptions, GetOrSetOptions } from './cache-options.interface';
import { RESOLVED_CACHE_OPTIONS } from './cache.constants';
import { SingleFlight, type Flight } from './concurrency/single-flight';
import { CacheConfigError, CacheReadSkippedError } from './errors';
import { parseDuration } from './options/duration';
import type { ResolvedCacheOptions } from './options/resolve-options';
import { EvictionJournal, type PendingEviction } from './recovery/eviction-journal';
import { OwnChanges, type ChangeScope } from './recovery/own-changes';
import { copyValue, measureCopyable } from './serialization/value-copy';
import { CacheStore, type StoredEntry, type StoreWrite } from './stores/cache-store.interface';

/** Counters since the service started. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Expired values served within their grace period. */
  staleHits: number;
  loads: number;
  loadErrors: number;
  sets: number;
  deletes: number;
  /** Store failures and undecodable entries. */
  errors: number;
  /** (hits + staleHits) / (hits + staleHits + misses), 0 before the first read. */
  hitRate: number;
}

/** One entry of {@link CacheService.mset}. */
export interface CacheEntryInput<T = unknown> extends CacheSetOptions {
  key: string;
  value: T;
}

/** Options the decorators pass with durations already in milliseconds. */
export interface ResolvedWriteOptions {
  ttl?: number;
  tags?: readonly string[];
  grace?: number;
  /** When it returns false for a loaded value, the value is returned but not stored. */
  accept?: (value: unknown) => boolean;
}

const FAILED: unique symbol = Symbol('CACHE:FAILED');
type Failed = typeof FAILED;
const REPLAY_INTERVAL_MS = 200;
const MAX_POLL_DELAY_MS = 50;
/**
 * The shortest lease of a stampede lock (see {@link CacheService.lockLease}): a holder renews it
 * every third of it, so a pause of the holder's event loop shorter than two thirds of it (GC, a
 * busy machine) never lets another instance load too.
 */
const MIN_LOCK_LEASE_MS = 1000;
/** Locks whose reply was lost are released after recovery; past this many, the oldest lapse alone. */
const MAX_ABANDONED_LOCKS = 1000;
/** A load whose value the store refused (the key changed meanwhile) runs once more, not again. */
const MAX_LOAD_RUNS = 2;

/**
 * The cache: reads, writes, stampede protection, tags and patterns over the configured store.
 * A store failure never breaks the caller: reads become misses, loaders still run, failed
 * evictions are journaled and replayed when the store is back.
 *
 * @example
 * const user = await cache.getOrSet(cacheKey('user', id), () => repo.find(id), { ttl: '1m', tags: ['users'] });
 */
@Injectable()
export class CacheService implements OnApplicationShutdown {
  private readonly logger = new Logger(CacheService.name);
  private readonly counters = {
    hits: 0,
    misses: 0,
    staleHits: 0,
    loads: 0,
    loadErrors: 0,
    sets: 0,
    deletes: 0,
    errors: 0,
  };
  /** Callers that join another's read or load get their own copy of its value. */
  private readonly flights = new SingleFlight<unknown>(ownCopy);
  private readonly refreshes = new SingleFlight<void>();
  private readonly journal = new EvictionJournal();
  /** Locks whose SET NX or release got no answer, to release after recovery (token -> key). */
  private readonly abandonedLocks = new Map<string, string>();
  /** Drops of undecodable entries under way, by key (see {@link drop}). */
  private readonly drops = new Map<string, Promise<unknown>>();
  private readonly ownChanges = new OwnChanges();
  private outageSince: number | undefined;
  private replayTimer: NodeJS.Timeout | undefined;
  private replaying = false;
  private closed = false;

  /**
   * How long a stampede lock lasts unless its holder renews it. A store that can renew locks
   * (Redis) takes them as short leases, renewed while the load runs and for at most `lockTimeout`
   * in all, so a lock whose holder died or lost Redis (its circuit open, say, while a Cluster
   * fails over another master) lapses within a lease, not `lockTimeout`. Four command timeouts
   * give a renewal time to land.
   */
  private readonly lockLease: number;

  constructor(
    @Inject(CacheStore) private readonly store: CacheStore,
    @Inject(RESOLVED_CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
  ) {
    const lease = Math.max(MIN_LOCK_LEASE_MS, 4 * (options.redis?.commandTimeout ?? 0));
    this.lockLease = store.extendLock ? Math.min(options.lockTimeout, lease) : options.lockTimeout;
  }

  /** The fresh value at `key`, or `undefined` on a miss (a stored `null` is returned as `null`). */
  async get<T>(key: string): Promise<T | undefined> {
    const hit = this.peekFresh(key);
    if (hit !== FAILED) return hit as T;
    const entry = await this.read(key);
    if (entry === undefined || entry.freshUntil <= Date.now()) {
      this.counters.misses++;
      return undefined;
    }
    const value = this.decode(key, entry);
    if (value === FAILED) {
      this.counters.misses++;
      return undefined;
    }
    this.counters.hits++;
    return value as T;
  }

  /** Fresh values for many keys, in order, in one round trip. */
  async mget<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    const entries = this.journal.size > 0 ? FAILED : await this.attempt(this.store.getMany(keys));
    const now = Date.now();
    return keys.map((key, i) => {
      const entry = entries === FAILED ? undefined : entries[i];
      const value = entry && entry.freshUntil > now ? this.decode(key, entry) : FAILED;
      if (value === FAILED) this.counters.misses++;
      else this.counters.hits++;
      return value === FAILED ? undefined : (value as T);
    });
  }

  /** Stores `value` at `key`. Storing `undefined` deletes the key: a miss already means undefined. */
  async set<T>(key: string, value: T, options: CacheSetOptions = {}): Promise<void> {
    if (value === undefined) return this.del(key);
    const write = this.toWrite(key, value, this.resolveWrite(options), Date.now());
    await this.changing([key], () => this.write([write]));
  }

  /** Stores many entries in one round trip. */
  async mset(entries: readonly CacheEntryInput[]): Promise<void> {
    const now = Date.now();
    const writes: StoreWrite[] = [];
    const removed: string[] = [];
    for (const { key, value, ...options } of entries) {
      if (value === undefined) removed.push(key);
      else writes.push(this.toWrite(key, value, this.resolveWrite(options), now));
    }
    await Promise.all([
      this.changing(
        writes.map((write) => write.key),
        () => this.write(writes),
      ),
      removed.length > 0 ? this.del(removed) : undefined,
    ]);
  }

  /** Removes one key or many. */
  async del(keys: string | readonly string[]): Promise<void> {
    const list = typeof keys === 'string' ? [keys] : [...keys];
    if (list.length === 0) return;
    this.counters.deletes += list.length;
    await this.evict({ kind: 'delete', keys: list });
  }

  /**
   * The value at `key`, loading and storing it on a miss. Concurrent callers in this process share
   * one loader call, and across processes sharing Redis a short lock makes the others wait for the
   * first one's value. With `grace`, an expired value is served while one caller refreshes it, and
   * when the loader throws.
   */
  getOrSet<T>(
    key: string,
    loader: () => T | Promise<T>,
    options: GetOrSetOptions = {},
  ): Promise<T> {
    return this.getOrLoad(key, loader, this.resolveWrite(options));
  }

  /** Same as {@link getOrSet} with options already in milliseconds (used by the decorators). */
  getOrLoad<T>(
    key: string,
    loader: () => T | Promise<T>,
    options: ResolvedWriteOptions,
  ): Promise<T> {
    const hit = this.peekFresh(key);
    if (hit !== FAILED) return Promise.resolve(hit as T);
    return this.flights.run(key, (flight) =>
      this.resolve(key, loader, options, flight),
    ) as Promise<T>;
  }

  /** Stores a value with options already in milliseconds (used by `@CachePut`). */
  async put(key: string, value: unknown, options: ResolvedWriteOptions): Promise<void> {
    if (value === undefined) return;
    await this.changing([key], () => this.storeValue(key, value, options, Date.now(), false));
  }

  /** Makes every entry stored with one of `tags` a miss, on every instance sharing the store. */
  async invalidateTags(tags: string | readonly string[]): Promise<void> {
    const list = typeof tags === 'string' ? [tags] : [...tags];
    assertTags(list);
    if (list.length > 0) await this.evict({ kind: 'tags', tags: list, at: Date.now() });
  }

  /**
   * Removes the keys of this namespace that match a Redis glob (`user:*`). Scans, never KEYS.
   * Use {@link escapePattern} on any user-supplied part: `deleteByPattern(`user:${escapePattern(id)}:*`)`.
   */
  async deleteByPattern(pattern: string): Promise<void> {
    if (typeof pattern !== 'string' || pattern.length === 0) {
      throw new CacheConfigError('pattern', 'deleteByPattern() needs a non-empty glob');
    }
    await this.evict({ kind: 'pattern', pattern });
  }

  /** Removes every entry of this namespace (never FLUSHDB). */
  async clear(): Promise<void> {
    await this.evict({ kind: 'clear' });
  }

  /** Counters since start. */
  stats(): CacheStats {
    const { hits, staleHits, misses } = this.counters;
    const reads = hits + staleHits + misses;
    return { ...this.counters, hitRate: reads === 0 ? 0 : (hits + staleHits) / reads };
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.replayTimer);
    this.replayTimer = undefined;
    await this.store.close();
  }

  /** Not async: a hit pays the store's promise and this `then`, nothing more. */
  private resolve<T>(
    key: string,
    loader: () => T | Promise<T>,
    options: ResolvedWriteOptions,
    flight: Flight,
  ): Promise<T> {
    // While evictions wait to be replayed, the store may hold values they would have removed.
    if (this.journal.size > 0) return this.loadMissing(key, loader, options, flight);
    let read: Promise<StoredEntry | undefined>;
    try {
      read = this.store.get(key, options.tags);
    } catch (error) {
      read = Promise.reject(error);
    }
    const settled = (entry: StoredEntry | undefined): T | Promise<T> => {
      try {
        return this.resolved(key, entry, loader, options, flight);
      } catch (error) {
        flight.release(); // never leave a failed execution for later callers to join
        throw error;
      }
    };
    return read.then(
      (entry) => {
        this.answered();
        return settled(entry);
      },
      (error: unknown) => {
        this.failed(error);
        return settled(undefined);
      },
    );
  }

  /** A hit from `entry` (or a stale one with grace), else the load of the missing value. */
  private resolved<T>(
    key: string,
    entry: StoredEntry | undefined,
    loader: () => T | Promise<T>,
    options: ResolvedWriteOptions,
    flight: Flight,
  ): T | Promise<T> {
    if (entry !== undefined) {
      const value = this.decode(key, entry);
      if (value !== FAILED) {
        if (entry.freshUntil > Date.now()) {
          this.counters.hits++;
          flight.release();
          return value as T;
        }
        if (options.grace) {
          this.counters.staleHits++;
          flight.release();
          this.refreshInBackground(key, loader, options);
          return value as T;
        }
      }
    }
    return this.loadMissing(key, loader, options, flight);
  }

  /** Loads a missing value; the flight holds the key until the load settles. */
  private loadMissing<T>(
    key: string,
    loader: () => T | Promise<T>,
    options: ResolvedWriteOptions,
    flight: Flight,
  ): Promise<T> {
    this.counters.misses++;
    const loading = this.loadUnderLock(key, loader, options, flight);
    const release = (): void => flight.release();
    loading.then(release, release);
    return loading;
  }

  /**
   * Loads a missing value, making other processes wait for it: the lock holder loads and stores;
   * the others poll the entry until it appears, the lock frees up, or the lock timeout passes.
   */
  private async loadUnderLock<T>(
    key: string,
    loader: () => T | Promise<T>,
    options: ResolvedWriteOptions,
    flight: Flight,
  ): Promise<T> {
    // After an undecodable entry: its drop first, or the read below may find it again.
    await this.drops.get(key);
    const deadline = Date.now() + this.options.lockTimeout;
    let delay = 5;
    for (;;) {
      const token = await this.takeLock(key);
      if (token === FAILED) return this.load(key, loader, options, flight);
      if (token !== undefined) return this.loadLocked(key, token, loader, options, flight);
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_POLL_DELAY_MS);
      const found = await this.readFresh(key, options.tags);
      if (found !== FAILED) return found as T;
      if (Date.now() >= deadline) return this.load(key, loader, options, flight);
    }
  }

  private async loadLocked<T>(
    key: string,
    token: string,
    loader: () => T | Promise<T>,
    options: ResolvedWriteOptions,
    flight: Flight,
  ): Promise<T> {
    const renewal = this.renewLock(key, token);
    try {
      // Another process may have stored the value between our miss and our lock.
      const found = await this.readFresh(key, options.tags);
      if (found !== FAILED) return found as T;
      return await this.load(key, loader, options, flight);
    } finally {
      clearInterval(renewal);
      await this.releaseLock(key, token);
    }
  }

  /**
   * Runs the loader and stores its value, unless a change to the key came meanwhile: one made
   * here detaches the flight; one made by another instance makes the store refuse the value, and
   * the loader runs once more, so that no caller who joined after that change gets what was read
   * before it.
   */
  private async load<T>(
    key: string,
    loader: () => T | Promise<T>,
    options: ResolvedWriteOptions,
    flight: Flight,
  ): Promise<T> {
    for (let run = 1; ; run++) {
      await this.ownChanges.passed(key, options.tags);
      const startedAt = Date.now();
      let value: T;
      try {
        value = await loader();
      } catch (error) {
        this.counters.loadErrors++;
        throw error;
      }
      this.counters.loads++;
      if (flight.detached || value === undefined) return value;
      if (options.accept !== undefined && !options.accept(value)) return value;
      const refused = await this.storeValue(key, value, options, startedAt, true);
      if (!refused || run === MAX_LOAD_RUNS || flight.detached) return value;
    }
  }

  private refreshInBackground<T>(
    key: string,
    loader: () => T | Promise<T>,
    options: ResolvedWriteOptions,
  ): void {
    if (this.refreshes.has(key)) return;
    void this.refreshes.run(key, async (flight) => {
      try {
        const token = await this.takeLock(key);
        if (token === undefined) return; // another process is refreshing it
        const renewal = token === FAILED ? undefined : this.renewLock(key, token);
        try {
          await this.load(key, loader, options, flight);
        } catch (error) {
          this.logger.debug(
            `Refreshing "${key}" failed; serving the stale value: ${String(error)}`,
          );
        } finally {
          clearInterval(renewal);
          if (token !== FAILED) await this.releaseLock(key, token);
        }
      } finally {
        flight.release();
      }
    });
  }

  /**
   * Takes the stampede lock of `key`: its token, `undefined` when another caller holds it, or
   * FAILED when the store did not answer. A SET NX whose reply was lost may still run when Redis
   * answers again (a frozen server runs what it had received), so its token is kept and the lock
   * released after recovery, instead of making every reader of the key wait until it lapses.
   */
  private async takeLock(key: string): Promise<string | undefined | Failed> {
    const token = randomUUID();
    const taken = await this.attempt(this.store.lock(key, token, this.lockLease));
    if (taken !== FAILED) return taken ? token : undefined;
    this.abandonLock(key, token);
    return FAILED;
  }

  /**
   * Renews a lock taken as a lease every third of the lease, until `lockTimeout` after it was
   * taken or until the token no longer holds it; the caller clears the returned timer when done.
   * A renewal that fails is not retried: the lease then lapses, and the readers load themselves.
   */
  private renewLock(key: string, token: string): NodeJS.Timeout | undefined {
    const extend = this.store.extendLock?.bind(this.store);
    if (!extend || this.lockLease >= this.options.lockTimeout) return undefined;
    const until = Date.now() + this.options.lockTimeout;
    const timer: NodeJS.Timeout = setInterval(() => {
      const left = until - Date.now();
      if (left <= 0 || this.closed) return clearInterval(timer);
      void this.attempt(extend(key, token, Math.min(this.lockLease, left))).then((held) => {
        if (held === false) clearInterval(timer);
      });
    }, this.lockLease / 3);
    timer.unref();
    return timer;
  }

  /** A release that fails is retried after recovery: readers would otherwise wait out the lock. */
  private async releaseLock(key: string, token: string): Promise<void> {
    if ((await this.attempt(this.store.unlock(key, token))) === FAILED)
      this.abandonLock(key, token);
  }

  private abandonLock(key: string, token: string): void {
    if (this.abandonedLocks.size >= MAX_ABANDONED_LOCKS) return;
    this.abandonedLocks.set(token, key);
    this.scheduleReplay();
  }

  private read(key: string, tags?: readonly string[]): Promise<StoredEntry | undefined> {
    // While evictions wait to be replayed, the store may hold values they would have removed.
    if (this.journal.size > 0) return Promise.resolve(undefined);
    return this.settle(this.store.get(key, tags), undefined);
  }

  /** A fresh hit the store can give without waiting (an in-process tier), counted; else FAILED. */
  private peekFresh(key: string): unknown {
    if (this.store.peek === undefined || this.journal.size > 0) return FAILED;
    const entry = this.store.peek(key);
    if (entry === undefined) return FAILED;
    const value = this.decode(key, entry);
    if (value !== FAILED) this.counters.hits++;
    return value;
  }

  private async readFresh(key: string, tags?: readonly string[]): Promise<unknown> {
    const entry = await this.read(key, tags);
    if (entry === undefined || entry.freshUntil <= Date.now()) return FAILED;
    return this.decode(key, entry);
  }

  private decode(key: string, entry: StoredEntry): unknown {
    if (entry.decoded) return copyValue(entry.decoded.value);
    try {
      return this.options.serializer.deserialize(entry.payload);
    } catch (error) {
      this.counters.errors++;
      this.logger.warn(`Dropping undecodable cache entry "${key}": ${String(error)}`);
      this.drop(key);
      return FAILED;
    }
  }

  /** Deletes an undecodable entry; a load of the key waits for the delete to land. */
  private drop(key: string): void {
    const dropped = this.attempt(this.store.delete([key])).finally(() => {
      if (this.drops.get(key) === dropped) this.drops.delete(key);
    });
    this.ownChanges.record({ keys: [key] });
    this.drops.set(key, dropped);
  }

  private toWrite(
    key: string,
    value: unknown,
    options: ResolvedWriteOptions,
    createdAt: number,
    loaded = false,
  ): StoreWrite {
    const ttl = options.ttl ?? this.options.ttl;
    // Whole milliseconds, so that both times in a Redis entry's header are read digit by digit.
    const jittered = Math.ceil(ttl * (1 + Math.random() * this.options.jitter));
    const now = Date.now();
    return {
      key,
      entry: {
        payload: this.options.serializer.serialize(value),
        createdAt,
        freshUntil: now + jittered,
        tags: options.tags ?? [],
      },
      keepFor: jittered + (options.grace ?? 0),
      loaded,
    };
  }

  /**
   * Stores a value (a `loaded` one only if its key did not change since `createdAt`, see
   * `StoreWrite.loaded`); resolves to true if the store refused it. A value that cannot be
   * serialized is returned to the caller, just not stored.
   */
  private async storeValue(
    key: string,
    value: unknown,
    options: ResolvedWriteOptions,
    createdAt: number,
    loaded: boolean,
  ): Promise<boolean> {
    let write: StoreWrite;
    try {
      write = this.toWrite(key, value, options, createdAt, loaded);
    } catch (error) {
      this.counters.errors++;
      this.logger.warn(
        `Not caching "${key}": its value cannot be serialized: ${describeError(error)}`,
      );
      return false;
    }
    return (await this.write([write])) > 0;
  }

  /** Resolves to how many (loaded) writes the store refused. */
  private async write(writes: StoreWrite[]): Promise<number> {
    if (writes.length === 0) return 0;
    const refused = await this.attempt(this.store.set(writes));
    if (refused === FAILED) return 0;
    this.counters.sets += writes.length - (refused ?? 0);
    return refused ?? 0;
  }

  /**
   * Applies a change of the caller's to `keys` (every key without them). A change makes the loads
   * in flight for its keys out of date: they must not store what they loaded, and a caller arriving
   * after the change must not join them. They are detached before the change is applied (so no
   * older load stores over it) and again once it is (a load that started while it was applied may
   * have read the old entry). A load's own store is not a change.
   */
  private async changing(
    keys: readonly string[] | undefined,
    apply: () => Promise<unknown>,
  ): Promise<void> {
    this.detachLoads(keys);
    try {
      await apply();
    } finally {
      this.detachLoads(keys);
    }
  }

  private detachLoads(keys?: readonly string[]): void {
    this.flights.forget(keys);
    this.refreshes.forget(keys);
  }

  private resolveWrite(options: GetOrSetOptions): ResolvedWriteOptions {
    if (options.tags !== undefined) assertTags(options.tags);
    return {
      ttl:
        options.ttl === undefined ? undefined : positive(parseDuration(options.ttl, 'ttl'), 'ttl'),
      grace: options.grace === undefined ? undefined : parseDuration(options.grace, 'grace'),
      tags: options.tags,
    };
  }

  /**
   * Evictions only remove, so they commute: a new one is applied at once even while older ones
   * wait in the journal (queuing it would let other instances read the old value meanwhile).
   */
  private evict(eviction: PendingEviction): Promise<void> {
    const keys = eviction.kind === 'delete' ? eviction.keys : undefined;
    return this.changing(keys, async () => {
      if ((await this.attempt(this.apply(eviction))) === FAILED) {
        this.journal.add(eviction);
        this.scheduleReplay();
      }
    });
  }

  /** Makes the store apply an eviction, noted as this instance's change when asked and when done. */
  private apply(eviction: PendingEviction): Promise<unknown> {
    const scope: ChangeScope =
      eviction.kind === 'delete'
        ? { keys: eviction.keys }
        : eviction.kind === 'tags'
          ? { tags: eviction.tags }
          : { any: true }; // a pattern's keys are dated as the scan reaches them
    const applied = this.applyToStore(eviction);
    this.ownChanges.record(scope);
    return applied.finally(() => this.ownChanges.record(scope));
  }

  private applyToStore(eviction: PendingEviction): Promise<unknown> {
    switch (eviction.kind) {
      case 'delete':
        return this.store.delete(eviction.keys);
      case 'tags':
        return this.store.invalidateTags(eviction.tags, eviction.at);
      case 'pattern':
        return this.store.deleteByPattern(eviction.pattern);
      case 'clear':
        return this.store.clear();
    }
  }

  private scheduleReplay(): void {
    if (this.replayTimer || this.closed) return;
    this.replayTimer = setInterval(() => void this.replay(), REPLAY_INTERVAL_MS);
    this.replayTimer.unref();
  }

  private async replay(): Promise<void> {
    if (this.replaying) return;
    this.replaying = true;
    try {
      if (this.journal.size > 0) {
        await this.journal.replay((eviction) => this.apply(eviction).then(() => undefined));
        this.logger.log('Replayed the evictions that failed while the cache store was unavailable');
      }
      await this.releaseAbandonedLocks();
      clearInterval(this.replayTimer);
      this.replayTimer = undefined;
      this.noteRecovery();
    } catch {
      // Still down: the timer tries again.
    } finally {
      this.replaying = false;
    }
  }

  /**
   * Releases the locks whose calls got no answer, fencing each against its own call: a Cluster
   * client may still deliver that call after this release, and the lock would then be held, with
   * no holder, for the whole lock time.
   */
  private async releaseAbandonedLocks(): Promise<void> {
    for (const [token, key] of this.abandonedLocks) {
      await this.store.unlock(key, token, this.options.lockTimeout);
      this.abandonedLocks.delete(token);
    }
  }

  /** Every store call goes through here: a failure is counted, logged once per outage, and swallowed. */
  private attempt<T>(call: Promise<T>): Promise<T | Failed> {
    return this.settle(call, FAILED);
  }

  /**
   * {@link attempt}, settling with `failed` when the call fails. Not async: a read pays one promise
   * hop here, not three. (`failed` has no default: `undefined` is a value callers pass.)
   */
  private settle<T, F>(call: Promise<T>, failed: F): Promise<T | F> {
    return call.then(
      (value) => {
        this.answered();
        return value;
      },
      (error: unknown) => {
        this.failed(error);
        return failed;
      },
    );
  }

  /** The store answered a call. */
  private answered(): void {
    if (this.outageSince !== undefined) this.noteRecovery();
    // The store answers again: replay now rather than at the next tick of the timer.
    if (this.journal.size > 0 || this.abandonedLocks.size > 0) void this.replay();
  }

  /** A store call failed: counted, and logged once per outage. */
  private failed(error: unknown): void {
    // Skipped on purpose while writes do not reach the store: neither a failure nor a recovery.
    if (error instanceof CacheReadSkippedError) return;
    this.counters.errors++;
    if (this.outageSince === undefined) {
      this.outageSince = Date.now();
      this.logger.warn(
        `Cache store unavailable; serving without it until it answers again: ${describeError(error)}`,
      );
    }
  }

  private noteRecovery(): void {
    if (this.outageSince === undefined) return;
    const seconds = ((Date.now() - this.outageSince) / 1000).toFixed(1);
    this.outageSince = undefined;
    this.logger.log(`Cache store is answering again after ${seconds}s`);
  }
}

/**
 * A copy of `value` of the caller's own, when the copier knows every part of it (see
 * `value-copy.ts`); anything else (class instances a loader returned, say) is handed over as is.
 */
function ownCopy(value: unknown): unknown {
  return measureCopyable(value) === undefined ? value : copyValue(value);
}

function assertTags(tags: readonly unknown[]): void {
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag.length === 0)) {
    throw new CacheConfigError('tags', 'expected a list of non-empty strings');
  }
}

function positive(ms: number, option: string): number {
  if (ms <= 0) throw new CacheConfigError(option, 'expected more than 0 ms');
  return ms;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

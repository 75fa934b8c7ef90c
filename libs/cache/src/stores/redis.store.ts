import type { Cluster, Redis } from 'ioredis';
import { CacheDecodeError, CacheReadSkippedError } from '../errors';
import { TAG_MARK_FLOOR_MS } from './memory.store';
import type { CacheStore, StoredEntry, StoreWrite } from './cache-store.interface';
import { decodeEnvelope, encodeEnvelope } from './entry-envelope';
import { PassBatcher } from '../concurrency/pass-batcher';
import { callThrough, type RedisCircuit } from '../redis/redis-circuit';
import { closeClient, type RedisLane } from '../redis/redis-connection';
import {
  EXTEND_LOCK,
  FENCE_LOCK,
  INVALIDATE_TAGS,
  KEEP_TAG_KEYS,
  MARK_EVICTED,
  RELEASE_LOCK,
  SET_ENTRY,
  TAKE_LOCK,
} from './redis.scripts';

const SCAN_COUNT = 500;

/**
 * How far apart two instances' clocks may be without a lock that landed on time being taken for
 * one that landed after its call timed out (see `lock`).
 */
const LOCK_CLOCK_SKEW_MS = 1000;

/**
 * How long a deleted key keeps its eviction mark: a load that began before the delete, on any
 * instance, and stores within this time is refused (see {@link RedisStore}).
 */
export const EVICTION_MARK_MS = 60_000;
/** The first character of an eviction mark (`~when`); an encoded entry starts with `[`. */
const MARK = 126;

export interface RedisStoreOptions {
  namespace: string;
  /** Read values as Buffers (binary serializers) instead of strings. */
  binary: boolean;
  /** Whether the module opened this client, and so closes it. */
  owned: boolean;
  /** Every call goes through it when given (the module passes its connection's circuit). */
  circuit?: RedisCircuit;
  /**
   * A connection of the store's own for reads (closed with the store), so that no write held by
   * the server delays them. Without it, reads share the client.
   */
  reads?: RedisLane;
}

type Raw = string | Buffer | null;

/** A read waiting for its batch: the values of `keys`, in order. */
interface PendingRead {
  readonly keys: string[];
  resolve(values: Raw[]): void;
  reject(error: unknown): void;
}

/** The most reads one MGET carries. */
const MAX_READS_PER_CALL = 64;

/**
 * How long after writes reach Redis again reads trust it again: long enough for every instance to
 * replay the evictions it could not apply meanwhile (each reconnects within 500 ms, and probes
 * Redis at most every 200 ms).
 */
export const READ_TRUST_DELAY_MS = 1000;

/**
 * How often an instance that reads checks, with one small write, that Redis still takes writes.
 * An instance that only reads would otherwise never notice a write pause.
 */
const WRITE_HEARTBEAT_MS = 200;

/**
 * The Redis store, for standalone, Sentinel and Cluster. Key layout (the only place keys get their
 * prefix): entries `ns:key`, tag marks `ns#tag:tag`, locks `ns#lock:key`.
 *
 * Reads are plain MGET/GET, never scripts: they stay cheap for Redis, and a write pause
 * (`CLIENT PAUSE WRITE`, which holds every script) does not hold them. Tag marks are read with the
 * entry, in the same MGET, when the caller names the tags it expects (the decorators always do);
 * an entry carrying other tags costs one more round trip for their marks. On standalone and
 * Sentinel the reads of a pass through the event loop share one MGET (see {@link PassBatcher}):
 * at 64 reads in flight, a hit then costs less CPU than a GET of its own through ioredis.
 *
 * Reads are refused while writes do not reach Redis (the circuit is open), and for
 * `READ_TRUST_DELAY_MS` after they do again (the circuit closed, or the writing connection is
 * ready again after a loss): an eviction another instance could not apply meanwhile would leave a
 * stale entry readable (a write pause holds writes, not reads; a restarted server may take a
 * load's value before another instance has replayed the eviction that would have refused it).
 *
 * A delete leaves an eviction mark (`~when`) at the entry key for `EVICTION_MARK_MS`, read as a
 * miss. A loaded value (`StoreWrite.loaded`) is stored by a script that refuses it when the key
 * was evicted at or after its load began, or holds an entry created later: a load on one instance
 * that read the source before another instance's update cannot store what it read over that
 * update's delete. The mark shares the entry's slot on a Cluster. Times are the instances' clocks,
 * as for tags.
 */
export class RedisStore implements CacheStore {
  private readonly entryPrefix: string;
  private readonly tagPrefix: string;
  private readonly lockPrefix: string;
  private readonly cluster: boolean;

  private readonly reader: Redis | Cluster;
  private readonly readCircuit: RedisCircuit | undefined;
  /** Standalone and Sentinel: the reads of a pass share one MGET (keys of a Cluster span slots). */
  private readonly reads: PassBatcher<PendingRead> | undefined;
  private readonly aliveKey: string;
  private readonly heartbeat: NodeJS.Timeout | undefined;
  private readSinceHeartbeat = false;
  /** The writing connection dropped (or never came up) and is not ready again yet. */
  private disconnected = false;
  /** When it was ready again, until `READ_TRUST_DELAY_MS` has passed since. */
  private reconnectedAt: number | undefined;
  /**
   * A lock that landed this long after it was asked for was given up on by its holder. Without a
   * circuit a call has no deadline, so no lock is ever late.
   */
  private readonly lateLockAfter: number;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly options: RedisStoreOptions,
  ) {
    this.reader = options.reads?.client ?? client;
    this.readCircuit = options.reads ? options.reads.circuit : options.circuit;
    this.entryPrefix = `${options.namespace}:`;
    this.tagPrefix = `${options.namespace}#tag:`;
    this.lockPrefix = `${options.namespace}#lock:`;
    this.lateLockAfter = options.circuit
      ? options.circuit.timeout + LOCK_CLOCK_SKEW_MS
      : Number.MAX_SAFE_INTEGER;
    this.cluster = (client as Cluster).isCluster === true;
    if (!this.cluster) {
      this.reads = new PassBatcher((batch) => this.sendReads(batch), MAX_READS_PER_CALL);
    }
    this.aliveKey = `${options.namespace}#alive`;
    if (options.circuit && options.reads) {
      this.heartbeat = setInterval(() => this.checkWrites(), WRITE_HEARTBEAT_MS);
      this.heartbeat.unref();
    }
    client.on('close', this.connectionLost);
    client.on('ready', this.connectionReady);
  }

  /** Not async: a hit pays the circuit's promise and one `then`, nothing more (this is the hot path). */
  get(key: string, tags?: readonly string[]): Promise<StoredEntry | undefined> {
    if (!this.readable) return Promise.reject(readSkipped());
    this.readSinceHeartbeat = true;
    const entryKey = this.entryPrefix + key;
    if (tags === undefined || tags.length === 0) {
      return this.readRaw([entryKey]).then((values) => {
        const raw = values[0];
        return isEntry(raw) ? this.checkTags(decodeSafely(raw)) : undefined;
      });
    }
    const keys = [entryKey];
    for (const tag of tags) keys.push(this.tagPrefix + tag);
    return this.readRaw(keys).then((values) => {
      const raw = values[0];
      if (!isEntry(raw)) return undefined;
      return this.checkTags(decodeSafely(raw), toMarks(tags, values.slice(1)));
    });
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    if (keys.length === 0) return [];
    this.assertReadable();
    this.readSinceHeartbeat = true;
    const entryKeys = keys.map((key) => this.entryPrefix + key);
    const raws = await this.readRaw(entryKeys);
    const entries = raws.map((raw) => (isEntry(raw) ? decodeSafely(raw) : undefined));
    const tags = [...new Set(entries.flatMap((entry) => entry?.tags ?? []))];
    if (tags.length === 0) return entries;
    const marks = toMarks(tags, await this.readRaw(tags.map((tag) => this.tagPrefix + tag)));
    return entries.map((entry) => entry && (isValid(entry, marks) ? entry : undefined));
  }

  /** Resolves to how many loaded writes were refused (see the class comment). */
  async set(writes: readonly StoreWrite[]): Promise<number> {
    const stored = await Promise.all(writes.map((write) => this.write(write)));
    return stored.filter((done) => !done).length;
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.markEvicted(
      this.client,
      keys.map((key) => this.entryPrefix + key),
      false,
    );
  }

  async invalidateTags(tags: readonly string[], at: number): Promise<void> {
    if (tags.length === 0) return;
    const tagKeys = tags.map((tag) => this.tagPrefix + tag);
    const args = [at, TAG_MARK_FLOOR_MS];
    await this.call<unknown>(() =>
      this.cluster
        ? Promise.all(tagKeys.map((key) => INVALIDATE_TAGS.run(this.client, [key], args)))
        : INVALIDATE_TAGS.run(this.client, tagKeys, args),
    );
  }

  /** Replaces the matching entries with eviction marks; returns how many entries there were. */
  async deleteByPattern(pattern: string): Promise<number> {
    return this.scanAll(this.entryPrefix + pattern, (node, keys) =>
      this.markEvicted(node, keys, true),
    );
  }

  /** Unlinks every key of the namespace: entries, marks, tags and locks. */
  async clear(): Promise<void> {
    const unlink = (node: Redis, keys: string[]): Promise<number> =>
      this.eachSlot(keys, (some) => node.unlink(...some));
    await this.scanAll(`${this.options.namespace}:*`, unlink);
    await this.scanAll(`${this.options.namespace}#*`, unlink);
  }

  /**
   * Takes the stampede lock of `key` for `ttl` ms. Its value records when it was asked for, so that
   * a lock which landed long after its call timed out (see `TAKE_LOCK`) does not make every reader
   * of the key wait out its ttl: another caller takes it over.
   */
  async lock(key: string, token: string, ttl: number): Promise<boolean> {
    const ms = Math.max(1, Math.ceil(ttl));
    const now = Date.now();
    const args = [`${token}@${now}+${ms}`, ms, now, this.lateLockAfter];
    const reply = await this.call(() => TAKE_LOCK.run(this.client, [this.lockPrefix + key], args));
    return reply === 1;
  }

  async extendLock(key: string, token: string, ttl: number): Promise<boolean> {
    const ms = Math.max(1, Math.ceil(ttl));
    const args = [token, `${token}@${Date.now()}+${ms}`, ms];
    const reply = await this.call(() =>
      EXTEND_LOCK.run(this.client, [this.lockPrefix + key], args),
    );
    return reply === 1;
  }

  async unlock(key: string, token: string, fenceFor?: number): Promise<void> {
    const keys = [this.lockPrefix + key];
    if (fenceFor === undefined) {
      await this.call(() => RELEASE_LOCK.run(this.client, keys, [token]));
      return;
    }
    const ms = Math.max(1, Math.ceil(fenceFor));
    await this.call(() => FENCE_LOCK.run(this.client, keys, [token, ms]));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.client.off('close', this.connectionLost);
    this.client.off('ready', this.connectionReady);
    this.options.circuit?.close();
    this.options.reads?.circuit.close();
    await Promise.all([
      this.options.reads ? closeClient(this.options.reads.client) : undefined,
      this.options.owned ? closeClient(this.client) : undefined,
    ]);
  }

  /** Whether the entry was stored: a loaded one is refused over a later change. */
  private async write({ key, entry, keepFor, loaded }: StoreWrite): Promise<boolean> {
    const entryKey = this.entryPrefix + key;
    const value = encodeEnvelope(entry);
    const ms = Math.max(1, Math.ceil(keepFor));
    const since = loaded ? entry.createdAt : '';
    if (entry.tags.length === 0 && !loaded) {
      await this.call(() => this.client.set(entryKey, value, 'PX', ms));
      return true;
    }
    const tagKeys = entry.tags.map((tag) => this.tagPrefix + tag);
    if (this.cluster && tagKeys.length > 0) {
      // Tag marks first: a reader that finds the entry also finds marks that outlive it.
      const marks = await this.call(() =>
        Promise.all(tagKeys.map((tagKey) => KEEP_TAG_KEYS.run(this.client, [tagKey], [ms]))),
      );
      if (loaded && marks.some((mark) => Number(mark) >= entry.createdAt)) return false;
    }
    const keys = this.cluster ? [entryKey] : [entryKey, ...tagKeys];
    const stored = await this.call(() => SET_ENTRY.run(this.client, keys, [value, ms, since]));
    return stored === 1;
  }

  /** Replaces values with eviction marks (every key, or with `onlyValues` those holding one). */
  private async markEvicted(
    node: Redis | Cluster,
    keys: string[],
    onlyValues: boolean,
  ): Promise<number> {
    const args = [Date.now(), EVICTION_MARK_MS, onlyValues ? '1' : ''];
    return this.eachSlot(keys, (some) => MARK_EVICTED.run(node, some, args));
  }

  /**
   * Runs a multi-key command on `keys` at once, or on a Cluster once per key (keys span many
   * slots), and sums its integer replies.
   */
  private async eachSlot(
    keys: string[],
    command: (some: string[]) => Promise<unknown>,
  ): Promise<number> {
    const replies = await this.call(() =>
      this.cluster
        ? Promise.all(keys.map((key) => command([key])))
        : command(keys).then((reply) => [reply]),
    );
    return sum(replies);
  }

  /** Whether writes reach Redis, and have for long enough that reads can be trusted. */
  get readable(): boolean {
    // While disconnected, reads fail on their own (at once), and are counted and logged as failures.
    if (this.reconnectedAt !== undefined) {
      // Read the clock only in the second after a reconnection (this runs on every L1 hit).
      if (Date.now() - this.reconnectedAt < READ_TRUST_DELAY_MS) return false;
      this.reconnectedAt = undefined;
    }
    return !this.options.circuit?.openWithin(READ_TRUST_DELAY_MS);
  }

  private readonly connectionLost = (): void => {
    this.disconnected = true;
  };

  /** Ready after a loss: distrust reads a while longer (a first connection is trusted at once). */
  private readonly connectionReady = (): void => {
    if (!this.disconnected) return;
    this.disconnected = false;
    this.reconnectedAt = Date.now();
  };

  /** One small write after reads, unless the circuit already knows writes are not getting through. */
  private checkWrites(): void {
    if (!this.readSinceHeartbeat || this.options.circuit!.isOpen) return;
    this.readSinceHeartbeat = false;
    this.call(() => this.client.set(this.aliveKey, '1', 'PX', 1000)).catch(() => undefined);
  }

  private assertReadable(): void {
    if (!this.readable) throw readSkipped();
  }

  private call<T>(command: () => Promise<T>): Promise<T> {
    return callThrough(this.options.circuit, command);
  }

  /**
   * The values of `keys` (entries or tag marks), in order. The reads of a pass share one MGET
   * (see {@link PassBatcher}); on a Cluster, whose keys span slots, each key is one GET, sent
   * together.
   */
  private readRaw(keys: string[]): Promise<Raw[]> {
    const reads = this.reads;
    if (reads === undefined) {
      return callThrough(this.readCircuit, () =>
        Promise.all(
          keys.map((key) =>
            this.options.binary ? this.reader.getBuffer(key) : this.reader.get(key),
          ),
        ),
      );
    }
    return new Promise((resolve, reject) => reads.add('', { keys, resolve, reject }));
  }

  /** Reads the keys of a batch of reads in one MGET and hands each read its values. */
  private sendReads(batch: PendingRead[]): void {
    const keys = batch.length === 1 ? batch[0].keys : batch.flatMap((pending) => pending.keys);
    const reader = this.reader as Redis;
    const binary = this.options.binary;
    // A lone key (a read that came alone) is a GET: its reply is no array.
    const command = (): Promise<Raw[]> =>
      keys.length === 1
        ? (binary ? reader.getBuffer(keys[0]) : reader.get(keys[0])).then((value) => [value])
        : binary
          ? reader.mgetBuffer(keys)
          : reader.mget(keys);
    callThrough(this.readCircuit, command, { immediate: true }).then(
      (values) => {
        if (batch.length === 1) return batch[0].resolve(values);
        let at = 0;
        for (const pending of batch) pending.resolve(values.slice(at, (at += pending.keys.length)));
      },
      (error: unknown) => {
        for (const pending of batch) pending.reject(error);
      },
    );
  }

  /**
   * The entry if none of its tags was invalidated at or after it was created. Marks read with the
   * entry are used; the marks of any other tag it carries are read now. Answers without a promise
   * when it needs no read: a promise returned from `get` would cost every hit two more hops.
   */
  private checkTags(
    entry: StoredEntry,
    known?: ReadonlyMap<string, string | null>,
  ): StoredEntry | undefined | Promise<StoredEntry | undefined> {
    if (entry.tags.length === 0) return entry;
    const unknown = known ? entry.tags.filter((tag) => !known.has(tag)) : entry.tags;
    if (unknown.length === 0) return isValid(entry, known!) ? entry : undefined;
    return this.readRaw(unknown.map((tag) => this.tagPrefix + tag)).then((marks) => {
      const all = new Map([...(known ?? []), ...toMarks(unknown, marks)]);
      return isValid(entry, all) ? entry : undefined;
    });
  }

  /** Scans every primary for `match` and hands each batch of keys to `act`; sums what it returns. */
  private async scanAll(
    match: string,
    act: (node: Redis, keys: string[]) => Promise<number>,
  ): Promise<number> {
    const nodes = this.cluster ? (this.client as Cluster).nodes('master') : [this.client as Redis];
    let total = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await this.call(() =>
          node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT),
        );
        cursor = next;
        if (keys.length > 0) total += await act(node, keys);
      } while (cursor !== '0');
    }
    return total;
  }
}

function readSkipped(): CacheReadSkippedError {
  return new CacheReadSkippedError(
    'Redis does not take writes: its entries may be stale, so reads skip it',
  );
}

/** An encoded entry, not a miss or an eviction mark. */
function isEntry(raw: Raw): raw is string | Buffer {
  if (raw === null) return false;
  return (typeof raw === 'string' ? raw.charCodeAt(0) : raw[0]) !== MARK;
}

function sum(counts: readonly unknown[]): number {
  return counts.reduce<number>((total, count) => total + Number(count), 0);
}

/** Tags with their marks as read (a binary store reads them as Buffers, read here as text). */
function toMarks(tags: readonly string[], marks: readonly Raw[]): Map<string, string | null> {
  return new Map(
    tags.map((tag, i) => {
      const mark = marks[i];
      return [tag, mark === null || typeof mark === 'string' ? mark : mark.toString()];
    }),
  );
}

/** No tag of the entry was invalidated at or after its creation (a missing mark never was). */
function isValid(entry: StoredEntry, marks: ReadonlyMap<string, string | null>): boolean {
  return entry.tags.every((tag) => {
    const mark = marks.get(tag);
    return mark === null || mark === undefined || Number(mark) < entry.createdAt;
  });
}

/**
 * An entry without a valid header is handed on with its raw bytes as payload: the serializer then
 * rejects it, and the service deletes and counts it like any other undecodable entry.
 */
function decodeSafely(raw: string | Buffer): StoredEntry {
  try {
    return decodeEnvelope(raw);
  } catch (error) {
    if (error instanceof CacheDecodeError) return corruptEntry(raw);
    throw error;
  }
}

function corruptEntry(raw: string | Buffer): StoredEntry {
  return { payload: raw, createdAt: 0, freshUntil: Number.POSITIVE_INFINITY, tags: [] };
}

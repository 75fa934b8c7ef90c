import type { Cluster, Redis } from 'ioredis';
import { CacheDecodeError, CacheReadSkippedError } from '../errors';
import { TAG_MARK_FLOOR_MS } from './memory.store';
import type { CacheStore, StoredEntry, StoreWrite } from './cache-store.interface';
import { decodeEnvelope, encodeEnvelope } from './entry-envelope';
import { callThrough, type RedisCircuit } from '../redis/redis-circuit';
import { closeClient, type RedisLane } from '../redis/redis-connection';
import { INVALIDATE_TAGS, KEEP_TAG_KEYS, RELEASE_LOCK, SET_TAGGED_ENTRY } from './redis.scripts';

const SCAN_COUNT = 500;

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

/**
 * How long after writes reach Redis again reads trust it again: long enough for every instance to
 * replay the evictions it could not apply meanwhile (each probes Redis at most every 200 ms).
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
 * Reads are plain GET/MGET, never scripts: they stay cheap for Redis, and a write pause
 * (`CLIENT PAUSE WRITE`, which holds every script) does not hold them. Tag marks are read with the
 * entry, in the same round trip, when the caller names the tags it expects (the decorators
 * always do); an entry carrying other tags costs one more round trip for their marks.
 *
 * Reads are refused while writes do not reach Redis, and for `READ_TRUST_DELAY_MS` after they do
 * again: an eviction another instance could not apply meanwhile would leave a stale entry
 * readable (a write pause holds writes, not reads).
 */
export class RedisStore implements CacheStore {
  private readonly entryPrefix: string;
  private readonly tagPrefix: string;
  private readonly lockPrefix: string;
  private readonly cluster: boolean;

  private readonly reader: Redis | Cluster;
  private readonly readCircuit: RedisCircuit | undefined;
  private readonly aliveKey: string;
  private readonly heartbeat: NodeJS.Timeout | undefined;
  private readSinceHeartbeat = false;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly options: RedisStoreOptions,
  ) {
    this.reader = options.reads?.client ?? client;
    this.readCircuit = options.reads ? options.reads.circuit : options.circuit;
    this.entryPrefix = `${options.namespace}:`;
    this.tagPrefix = `${options.namespace}#tag:`;
    this.lockPrefix = `${options.namespace}#lock:`;
    this.cluster = (client as Cluster).isCluster === true;
    this.aliveKey = `${options.namespace}#alive`;
    if (options.circuit && options.reads) {
      this.heartbeat = setInterval(() => this.checkWrites(), WRITE_HEARTBEAT_MS);
      this.heartbeat.unref();
    }
  }

  async get(key: string, tags?: readonly string[]): Promise<StoredEntry | undefined> {
    this.assertReadable();
    this.readSinceHeartbeat = true;
    const entryKey = this.entryPrefix + key;
    if (tags === undefined || tags.length === 0) {
      const raw = await this.read(() => this.rawGet(entryKey));
      return raw === null ? undefined : this.checkTags(decodeSafely(raw));
    }
    const [raw, marks] = await this.read(() =>
      Promise.all([this.rawGet(entryKey), this.readMarks(tags)]),
    );
    return raw === null ? undefined : this.checkTags(decodeSafely(raw), toMarks(tags, marks));
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    if (keys.length === 0) return [];
    this.assertReadable();
    this.readSinceHeartbeat = true;
    const entryKeys = keys.map((key) => this.entryPrefix + key);
    const raws = await this.read(() => this.rawGetMany(entryKeys));
    const entries = raws.map((raw) => (raw === null ? undefined : decodeSafely(raw)));
    const tags = [...new Set(entries.flatMap((entry) => entry?.tags ?? []))];
    if (tags.length === 0) return entries;
    const marks = toMarks(tags, await this.read(() => this.readMarks(tags)));
    return entries.map((entry) => entry && (isValid(entry, marks) ? entry : undefined));
  }

  async set(writes: readonly StoreWrite[]): Promise<void> {
    await Promise.all(writes.map((write) => this.write(write)));
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const entryKeys = keys.map((key) => this.entryPrefix + key);
    await this.call<unknown>(() =>
      this.cluster
        ? Promise.all(entryKeys.map((key) => this.client.unlink(key)))
        : this.client.unlink(...entryKeys),
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

  async deleteByPattern(pattern: string): Promise<number> {
    return this.scanAndUnlink(this.entryPrefix + pattern);
  }

  async clear(): Promise<void> {
    await this.scanAndUnlink(`${this.options.namespace}:*`);
    await this.scanAndUnlink(`${this.options.namespace}#*`);
  }

  async lock(key: string, token: string, ttl: number): Promise<boolean> {
    const lockKey = this.lockPrefix + key;
    const ms = Math.max(1, Math.ceil(ttl));
    const reply = await this.call(() => this.client.set(lockKey, token, 'PX', ms, 'NX'));
    return reply === 'OK';
  }

  async unlock(key: string, token: string): Promise<void> {
    await this.call(() => RELEASE_LOCK.run(this.client, [this.lockPrefix + key], [token]));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.options.circuit?.close();
    this.options.reads?.circuit.close();
    await Promise.all([
      this.options.reads ? closeClient(this.options.reads.client) : undefined,
      this.options.owned ? closeClient(this.client) : undefined,
    ]);
  }

  private async write({ key, entry, keepFor }: StoreWrite): Promise<void> {
    const entryKey = this.entryPrefix + key;
    const value = encodeEnvelope(entry);
    const ms = Math.max(1, Math.ceil(keepFor));
    if (entry.tags.length === 0) {
      await this.call(() => this.client.set(entryKey, value, 'PX', ms));
      return;
    }
    const tagKeys = entry.tags.map((tag) => this.tagPrefix + tag);
    if (!this.cluster) {
      await this.call(() => SET_TAGGED_ENTRY.run(this.client, [entryKey, ...tagKeys], [value, ms]));
      return;
    }
    // Tag marks first: a reader that finds the entry also finds marks that outlive it.
    await this.call(() =>
      Promise.all(tagKeys.map((tagKey) => KEEP_TAG_KEYS.run(this.client, [tagKey], [ms]))),
    );
    await this.call(() => this.client.set(entryKey, value, 'PX', ms));
  }

  /** Whether writes reach Redis, and have for long enough that reads can be trusted. */
  get readable(): boolean {
    return !this.options.circuit?.openWithin(READ_TRUST_DELAY_MS);
  }

  /** One small write after reads, unless the circuit already knows writes are not getting through. */
  private checkWrites(): void {
    if (!this.readSinceHeartbeat || this.options.circuit!.isOpen) return;
    this.readSinceHeartbeat = false;
    this.call(() => this.client.set(this.aliveKey, '1', 'PX', 1000)).catch(() => undefined);
  }

  private assertReadable(): void {
    if (!this.readable) {
      throw new CacheReadSkippedError(
        'Redis does not take writes: its entries may be stale, so reads skip it',
      );
    }
  }

  private call<T>(command: () => Promise<T>): Promise<T> {
    return callThrough(this.options.circuit, command);
  }

  private read<T>(command: () => Promise<T>): Promise<T> {
    return callThrough(this.readCircuit, command);
  }

  private rawGet(entryKey: string): Promise<Raw> {
    return this.options.binary ? this.reader.getBuffer(entryKey) : this.reader.get(entryKey);
  }

  private rawGetMany(entryKeys: string[]): Promise<Raw[]> {
    if (this.cluster) return Promise.all(entryKeys.map((key) => this.rawGet(key)));
    return this.options.binary
      ? this.reader.mgetBuffer(...entryKeys)
      : this.reader.mget(...entryKeys);
  }

  /** The invalidation times of `tags` (null: never invalidated), in order. */
  private readMarks(tags: readonly string[]): Promise<(string | null)[]> {
    const tagKeys = tags.map((tag) => this.tagPrefix + tag);
    // A Cluster spreads tag marks over slots: one GET each, sent together.
    if (this.cluster) return Promise.all(tagKeys.map((tagKey) => this.reader.get(tagKey)));
    return this.reader.mget(...tagKeys);
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
    return this.read(() => this.readMarks(unknown)).then((marks) => {
      const all = new Map([...(known ?? []), ...toMarks(unknown, marks)]);
      return isValid(entry, all) ? entry : undefined;
    });
  }

  private async scanAndUnlink(match: string): Promise<number> {
    const nodes = this.cluster ? (this.client as Cluster).nodes('master') : [this.client as Redis];
    let deleted = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await this.call(() =>
          node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT),
        );
        cursor = next;
        if (keys.length === 0) continue;
        // On a Cluster a node's keys span many slots, so each key is unlinked on its own.
        const counts = await this.call(() =>
          this.cluster
            ? Promise.all(keys.map((key) => node.unlink(key)))
            : node.unlink(...keys).then((count) => [count]),
        );
        deleted += counts.reduce((sum, count) => sum + count, 0);
      } while (cursor !== '0');
    }
    return deleted;
  }
}

function toMarks(
  tags: readonly string[],
  marks: readonly (string | null)[],
): Map<string, string | null> {
  return new Map(tags.map((tag, i) => [tag, marks[i]]));
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

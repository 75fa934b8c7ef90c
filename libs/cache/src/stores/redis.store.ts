import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { CacheDecodeError } from '../errors';
import { TAG_MARK_FLOOR_MS } from './memory.store';
import type { CacheStore, StoredEntry, StoreWrite } from './cache-store.interface';
import { decodeEnvelope, encodeEnvelope } from './entry-envelope';
import {
  GET_ENTRIES,
  GET_ENTRY,
  INVALIDATE_TAGS,
  KEEP_TAG_KEYS,
  RELEASE_LOCK,
  SET_TAGGED_ENTRY,
} from './redis.scripts';

const SCAN_COUNT = 500;

export interface RedisStoreOptions {
  namespace: string;
  /** Read values as Buffers (binary serializers) instead of strings. */
  binary: boolean;
  /** Whether the module opened this client, and so closes it. */
  owned: boolean;
}

/**
 * The Redis store, for standalone, Sentinel and Cluster. Key layout (the only place keys get their
 * prefix): entries `ns:key`, tag marks `ns#tag:tag`, locks `ns#lock:key`. Reads check tag validity
 * in the same round trip (one Lua script); on a Cluster, where a script cannot reach keys in other
 * slots, a tagged entry costs one more round trip for its tag marks.
 */
export class RedisStore implements CacheStore {
  private readonly entryPrefix: string;
  private readonly tagPrefix: string;
  private readonly lockPrefix: string;
  private readonly cluster: boolean;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly options: RedisStoreOptions,
  ) {
    this.entryPrefix = `${options.namespace}:`;
    this.tagPrefix = `${options.namespace}#tag:`;
    this.lockPrefix = `${options.namespace}#lock:`;
    this.cluster = (client as Cluster).isCluster === true;
  }

  async get(key: string): Promise<StoredEntry | undefined> {
    const entryKey = this.entryPrefix + key;
    if (this.cluster) return this.checkTagsOnCluster(entryKey, await this.rawGet(entryKey));
    const raw = (await this.runScript(GET_ENTRY, [entryKey], [this.tagPrefix])) as
      string | Buffer | null;
    return raw === null ? undefined : decodeSafely(raw);
  }

  async getMany(keys: readonly string[]): Promise<(StoredEntry | undefined)[]> {
    if (keys.length === 0) return [];
    if (this.cluster) return Promise.all(keys.map((key) => this.get(key)));
    const entryKeys = keys.map((key) => this.entryPrefix + key);
    const raws = (await this.runScript(GET_ENTRIES, entryKeys, [this.tagPrefix])) as (
      string | Buffer | null
    )[];
    return raws.map((raw) => (raw === null ? undefined : decodeSafely(raw)));
  }

  async set(writes: readonly StoreWrite[]): Promise<void> {
    await Promise.all(writes.map((write) => this.write(write)));
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const entryKeys = keys.map((key) => this.entryPrefix + key);
    if (this.cluster) await Promise.all(entryKeys.map((key) => this.client.unlink(key)));
    else await this.client.unlink(...entryKeys);
  }

  async invalidateTags(tags: readonly string[], at: number): Promise<void> {
    if (tags.length === 0) return;
    const tagKeys = tags.map((tag) => this.tagPrefix + tag);
    const args = [at, TAG_MARK_FLOOR_MS];
    if (this.cluster) {
      await Promise.all(tagKeys.map((key) => INVALIDATE_TAGS.run(this.client, [key], args)));
    } else {
      await INVALIDATE_TAGS.run(this.client, tagKeys, args);
    }
  }

  async deleteByPattern(pattern: string): Promise<number> {
    return this.scanAndUnlink(this.entryPrefix + pattern);
  }

  async clear(): Promise<void> {
    await this.scanAndUnlink(`${this.options.namespace}:*`);
    await this.scanAndUnlink(`${this.options.namespace}#*`);
  }

  async lock(key: string, ttl: number): Promise<string | undefined> {
    const token = randomUUID();
    const reply = await this.client.set(this.lockPrefix + key, token, 'PX', Math.max(1, ttl), 'NX');
    return reply === 'OK' ? token : undefined;
  }

  async unlock(key: string, token: string): Promise<void> {
    await RELEASE_LOCK.run(this.client, [this.lockPrefix + key], [token]);
  }

  async close(): Promise<void> {
    if (!this.options.owned) return;
    try {
      if (this.client.status === 'ready') await this.client.quit();
    } catch {
      // Down or frozen: nothing more to say to it.
    } finally {
      // Stops a pending reconnection too, which `quit` leaves scheduled when Redis is down.
      if (this.client.status !== 'end') this.client.disconnect();
    }
  }

  private async write({ key, entry, keepFor }: StoreWrite): Promise<void> {
    const entryKey = this.entryPrefix + key;
    const value = encodeEnvelope(entry);
    const ms = Math.max(1, Math.ceil(keepFor));
    if (entry.tags.length === 0) {
      await this.client.set(entryKey, value, 'PX', ms);
      return;
    }
    const tagKeys = entry.tags.map((tag) => this.tagPrefix + tag);
    if (!this.cluster) {
      await SET_TAGGED_ENTRY.run(this.client, [entryKey, ...tagKeys], [value, ms]);
      return;
    }
    // Tag marks first: a reader that finds the entry also finds marks that outlive it.
    await Promise.all(tagKeys.map((tagKey) => KEEP_TAG_KEYS.run(this.client, [tagKey], [ms])));
    await this.client.set(entryKey, value, 'PX', ms);
  }

  private rawGet(entryKey: string): Promise<string | Buffer | null> {
    return this.options.binary ? this.client.getBuffer(entryKey) : this.client.get(entryKey);
  }

  private runScript(
    script: typeof GET_ENTRY,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    return this.options.binary
      ? script.runBuffer(this.client, keys, args)
      : script.run(this.client, keys, args);
  }

  private async checkTagsOnCluster(
    entryKey: string,
    raw: string | Buffer | null,
  ): Promise<StoredEntry | undefined> {
    if (raw === null) return undefined;
    const entry = decodeSafely(raw);
    if (entry.tags.length === 0) return entry;
    const marks = await Promise.all(entry.tags.map((tag) => this.client.get(this.tagPrefix + tag)));
    if (marks.every((mark) => mark === null || Number(mark) < entry.createdAt)) return entry;
    await this.client.unlink(entryKey);
    return undefined;
  }

  private async scanAndUnlink(match: string): Promise<number> {
    const nodes = this.cluster ? (this.client as Cluster).nodes('master') : [this.client as Redis];
    let deleted = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
        cursor = next;
        if (keys.length === 0) continue;
        // On a Cluster a node's keys span many slots, so each key is unlinked on its own.
        const counts = this.cluster
          ? await Promise.all(keys.map((key) => node.unlink(key)))
          : [await node.unlink(...keys)];
        deleted += counts.reduce((sum, count) => sum + count, 0);
      } while (cursor !== '0');
    }
    return deleted;
  }
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

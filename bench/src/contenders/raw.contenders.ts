import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { User } from '../fixtures';
import type { ContenderSpec } from './contender';

const TTL_MS = 3_600_000;

/** ioredis GET + JSON.parse: the most a Redis hit can cost nothing more than. */
function rawIoredis(id: string, label: string, enableAutoPipelining: boolean): ContenderSpec {
  return {
    id,
    label,
    tier: 'redis',
    shared: true,
    reference: true,
    client: 'ioredis',
    async create({ redisUrl, loader, namespace }) {
      const client = new Redis(redisUrl, { enableAutoPipelining });
      await client.ping();
      const prefix = `${namespace}:user:`;
      return {
        async read(userId) {
          const key = prefix + userId;
          const raw = await client.get(key);
          if (raw !== null) return JSON.parse(raw) as User;
          const user = await loader(userId);
          await client.set(key, JSON.stringify(user), 'PX', TTL_MS);
          return user;
        },
        async close() {
          client.disconnect();
        },
      };
    },
  };
}

export const RAW_IOREDIS = rawIoredis('raw-ioredis', 'ioredis GET + JSON.parse', false);
export const RAW_IOREDIS_PIPELINED = rawIoredis(
  'raw-ioredis-autopipe',
  'ioredis GET + JSON.parse, auto-pipelining',
  true,
);

/** Map.get of the stored object: the most an in-process hit can cost nothing more than. */
export const MAP: ContenderSpec = {
  id: 'map',
  label: 'Map.get (shared object)',
  tier: 'memory',
  shared: false,
  reference: true,
  client: 'none',
  async create({ loader }) {
    const map = new Map<string, User>();
    return {
      read(userId) {
        const key = `user:${userId}`;
        const hit = map.get(key);
        if (hit !== undefined) return hit;
        return loader(userId).then((user) => (map.set(key, user), user));
      },
      async close() {
        map.clear();
      },
    };
  },
};

/** Map.get + JSON.parse: an in-process hit that hands every caller its own copy. */
export const MAP_JSON: ContenderSpec = {
  id: 'map-json',
  label: 'Map.get + JSON.parse (own copy)',
  tier: 'memory',
  shared: false,
  reference: true,
  client: 'none',
  async create({ loader }) {
    const map = new Map<string, string>();
    return {
      read(userId) {
        const key = `user:${userId}`;
        const hit = map.get(key);
        if (hit !== undefined) return JSON.parse(hit) as User;
        return loader(userId).then((user) => (map.set(key, JSON.stringify(user)), user));
      },
      async close() {
        map.clear();
      },
    };
  },
};

export const LRU: ContenderSpec = {
  id: 'lru-cache',
  label: 'lru-cache get (shared object)',
  tier: 'memory',
  shared: false,
  reference: true,
  client: 'none',
  async create({ loader }) {
    const lru = new LRUCache<string, User>({ max: 10_000, ttl: TTL_MS });
    return {
      read(userId) {
        const key = `user:${userId}`;
        const hit = lru.get(key);
        if (hit !== undefined) return hit;
        return loader(userId).then((user) => (lru.set(key, user), user));
      },
      async close() {
        lru.clear();
      },
    };
  },
};

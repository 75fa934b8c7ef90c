import { Cluster } from 'ioredis';
import { CacheStore, type CacheModuleOptions, type CacheService } from '@app/cache';
import type { INestApplicationContext } from '@nestjs/common';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { startCluster, waitUntil, type RedisCluster } from '../harness';
import { cacheApp } from '../support/cache-app';
import { L1_CHANGES } from './l1-changes';
import { describeCacheService } from './cache-service.behaviour';

let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Reads `key` until the read is served from L1 (the bus is subscribed and the read filled it). */
async function inL1({ cache, store }: { cache: CacheService; store: CacheStore }, key: string) {
  await waitUntil(
    async () => {
      await cache.get(key);
      return store.peek?.(key) !== undefined;
    },
    { what: `${key} to be in L1`, timeoutMs: 5000 },
  );
}

describeCacheService('a Redis Cluster with L1', () => ({
  redis: { cluster: { nodes: cluster.startupNodes } },
  l1: {},
}));

/** L1 on a Redis Cluster: the bus uses sharded pub/sub (SPUBLISH/SSUBSCRIBE). */
describe('L1 on a Redis Cluster', () => {
  let namespace: string;
  const apps: INestApplicationContext[] = [];

  beforeEach(() => {
    namespace = uniqueNamespace();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  async function instance(extra: Partial<CacheModuleOptions> = {}) {
    const { app, cache } = await cacheApp({
      namespace,
      redis: { cluster: { nodes: cluster.startupNodes } },
      l1: {},
      jitter: 0,
      ...extra,
    });
    apps.push(app);
    return { cache, store: app.get<CacheStore>(CacheStore) };
  }

  /** Calls per command summed over the running nodes. */
  async function commandStats(): Promise<Record<string, number>> {
    const total: Record<string, number> = {};
    for (const node of cluster.nodes) {
      if (!node.running) continue;
      for (const [command, calls] of Object.entries(await node.commandStats()))
        total[command] = (total[command] ?? 0) + calls;
    }
    return total;
  }

  it.each(L1_CHANGES)(
    'drops the entry on another instance after %s',
    async (_name, change, expected) => {
      const a = await instance();
      const b = await instance();
      await a.cache.set('k', 'old', { tags: ['t'] });
      await inL1(b, 'k');
      await change(a.cache);
      await waitUntil(async () => (await b.cache.get('k')) === expected, {
        what: 'instance B to see the change',
        timeoutMs: 1000,
      });
    },
  );

  it('publishes with SPUBLISH to the shard of the channel, never with a broadcast PUBLISH', async () => {
    const a = await instance();
    const b = await instance();
    await a.cache.set('k', 'old');
    await inL1(b, 'k');
    const before = await commandStats();
    await a.cache.del('k');
    const after = await commandStats();
    expect((after.spublish ?? 0) - (before.spublish ?? 0)).toBe(1);
    expect((after.publish ?? 0) - (before.publish ?? 0)).toBe(0);
    expect(after.ssubscribe ?? 0).toBeGreaterThan(0);
  });

  it('stops trusting L1 while its shard subscriber is disconnected, and trusts it again once re-subscribed', async () => {
    const a = await instance();
    const b = await instance();
    await a.cache.set('k', 'old');
    await inL1(b, 'k');
    await Promise.all(
      cluster.nodes.map((node) => node.cli('CLIENT', 'KILL', 'TYPE', 'pubsub').catch(() => '')),
    );
    await a.cache.set('k', 'new'); // published while B's subscriber is gone
    await expect(b.cache.get('k')).resolves.toBe('new');
    await inL1(b, 'k'); // subscribed again
    await a.cache.set('k', 'newer');
    await waitUntil(async () => (await b.cache.get('k')) === 'newer', {
      what: 'instance B to see a change made after it re-subscribed',
      timeoutMs: 1000,
    });
  });

  it('serves nothing stale from L1 across a failover of the shard that owns the channel', async () => {
    const a = await instance();
    const b = await instance();
    await a.cache.set('k', 'old');
    await inL1(b, 'k');
    const probe = new Cluster(cluster.startupNodes);
    let owner: string;
    try {
      await probe.ping();
      const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', `${namespace}#l1`));
      owner = (probe as unknown as { slots: string[][] }).slots[slot][0];
    } finally {
      probe.disconnect();
    }
    const index = cluster.masters.findIndex((m) => `${m.host}:${m.port}` === owner);
    expect(index).toBeGreaterThanOrEqual(0);
    const killed = await cluster.killMaster(index);
    try {
      await cluster.waitForHealthy();
      // Whatever B missed, it must not read the old value once A's write is acknowledged.
      await waitUntil(
        async () => {
          try {
            await a.cache.set('k', 'after-failover');
            return true;
          } catch {
            return false;
          }
        },
        { what: 'A to write after the failover', timeoutMs: 10_000 },
      );
      await waitUntil(async () => (await a.cache.get('k')) === 'after-failover', {
        what: 'the write to land on the new master',
        timeoutMs: 10_000,
      });
      await expect(b.cache.get('k')).resolves.not.toBe('old');
      await inL1(b, 'k'); // trusted again on the promoted replica
      await a.cache.set('k', 'latest');
      await waitUntil(async () => (await b.cache.get('k')) === 'latest', {
        what: 'instance B to see a change made after the failover',
        timeoutMs: 2000,
      });
    } finally {
      await killed.restart();
      await cluster.waitForHealthy();
    }
  }, 60_000);
});

describe('L1 on a Redis Cluster without sharded pub/sub', () => {
  let legacy: RedisCluster;
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    // A server that does not know SSUBSCRIBE/SPUBLISH, as before Redis 7.
    const renamed = ['SSUBSCRIBE', 'SPUBLISH'].flatMap((c) => ['--rename-command', c, '']);
    legacy = await startCluster({ masters: 3, args: renamed });
  }, 60_000);

  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    await legacy?.stop();
  });

  it('falls back to classic pub/sub', async () => {
    const namespace = uniqueNamespace();
    const [a, b] = await Promise.all(
      [0, 1].map(async () => {
        const { app, cache } = await cacheApp({
          namespace,
          redis: { cluster: { nodes: legacy.startupNodes } },
          l1: {},
        });
        apps.push(app);
        return { cache, store: app.get<CacheStore>(CacheStore) };
      }),
    );
    await a.cache.set('k', 'old');
    await inL1(b, 'k');
    await a.cache.set('k', 'new');
    await waitUntil(async () => (await b.cache.get('k')) === 'new', {
      what: 'instance B to see the change',
      timeoutMs: 1000,
    });
  });
});

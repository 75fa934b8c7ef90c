import { Controller, Get } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { RateLimit, RedisRateLimitStore } from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { startCluster, type RedisCluster } from '../harness';
import { startRateLimitApp, type RateLimitApp } from './rate-limit-app';
import { describeRateLimitStoreContract } from './rate-limit-store.contract';

@Controller()
class ItemsController {
  @RateLimit([
    { name: 'burst', limit: 2, window: '10s' },
    { name: 'sustained', limit: 3, window: '1m', blockFor: '1m' },
  ])
  @Get('items')
  items(): string {
    return 'ok';
  }
}

let cluster: RedisCluster;
const clients: Cluster[] = [];

beforeAll(async () => {
  cluster = await startCluster({ masters: 3 });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.quit()));
  await cluster.stop();
});

describe('RateLimitGuard on a 3-master Redis Cluster', () => {
  let app: RateLimitApp;
  let namespace: string;

  beforeAll(async () => {
    namespace = uniqueNamespace();
    app = await startRateLimitApp({
      cache: {
        namespace,
        redis: { cluster: { nodes: cluster.startupNodes }, commandTimeout: '5s' },
        // A CROSSSLOT (or any Redis) error would be a 503 here, not a silent local decision.
        rateLimit: { limits: [{ limit: 100, window: '1m' }], onStoreFailure: 'closed' },
      },
      controllers: [ItemsController],
    });
  });

  afterAll(() => app.close());

  it('checks two named limits in one script (no CROSSSLOT) and enforces them', async () => {
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await app.get('/items')).status);
    expect(codes).toEqual([200, 200, 429]);
    const denied = await app.get('/items');
    expect(denied.headers['ratelimit']).toMatch(/^"burst";r=0;t=\d+, "sustained";r=1;t=60$/);
    expect(app.events.filter((e) => e.type === 'rateLimit.storeFailure')).toEqual([]);

    // Every key of the tracker sits in one slot on one master.
    const found: { port: number; key: string }[] = [];
    for (const master of cluster.masters) {
      const keys = await master.cli('--scan', '--pattern', `{${namespace}:rl:*`);
      for (const key of keys.split('\n').filter(Boolean)) found.push({ port: master.port, key });
    }
    expect(found.map((f) => f.key).sort()).toEqual([
      `{${namespace}:rl:ip:127.0.0.1}:burst:l:2:10000`,
      `{${namespace}:rl:ip:127.0.0.1}:sustained:l:3:60000`,
    ]);
    expect(new Set(found.map((f) => f.port)).size).toBe(1);
  });
});

async function clusterStore(namespace: string): Promise<RedisRateLimitStore> {
  const client = new Cluster(cluster.startupNodes, { enableAutoPipelining: true });
  clients.push(client);
  await new Promise<void>((resolve) => client.once('ready', () => resolve()));
  return new RedisRateLimitStore(client, { namespace });
}

describeRateLimitStoreContract('Redis Cluster', clusterStore);

describe('RedisRateLimitStore on a Cluster, hits made in one pass of the event loop', () => {
  it('are batched per tracker (one slot per call, no CROSSSLOT) and decided in order', async () => {
    const store = await clusterStore(uniqueNamespace());
    const trackers = ['ip:a', 'ip:b', 'ip:c', 'ip:d', 'ip:e'];
    const rules = [{ name: 'default', limit: 3, window: 60_000, blockFor: 0 }];
    const hits = [];
    for (let round = 0; round < 4; round++) {
      for (const tracker of trackers) hits.push(store.hit(tracker, rules, 'sliding-window'));
    }
    const decisions = await Promise.all(hits);
    for (let t = 0; t < trackers.length; t++) {
      const own = decisions.filter((_, i) => i % trackers.length === t);
      expect(own.map((d) => (d.allowed ? d.limits[0].remaining : 'denied'))).toEqual([
        2,
        1,
        0,
        'denied',
      ]);
    }
  });
});

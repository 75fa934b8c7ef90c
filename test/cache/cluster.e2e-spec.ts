import { Cluster } from 'ioredis';
import { RedisStore } from '@app/cache';
import { describeCacheStoreContract } from '../contract/cache-store.contract';
import { startCluster, type RedisCluster } from '../harness';
import { describeCacheService } from './cache-service.behaviour';

let cluster: RedisCluster;
const clients: Cluster[] = [];

beforeAll(async () => {
  cluster = await startCluster({ masters: 3 });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.quit()));
  await cluster.stop();
});

describeCacheStoreContract(
  'Redis Cluster',
  (namespace) => {
    const client = new Cluster(cluster.startupNodes, { enableAutoPipelining: true });
    clients.push(client);
    return new RedisStore(client, { namespace, binary: false, owned: false });
  },
  { shared: true },
);

describeCacheService('a 3-master Redis Cluster', () => ({
  redis: { cluster: { nodes: cluster.startupNodes } },
}));

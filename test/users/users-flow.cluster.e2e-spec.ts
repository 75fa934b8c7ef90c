import { startCluster, type RedisCluster } from '../harness';
import { describeUsersFlow } from './users-flow.behaviour';

let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startCluster({ masters: 3 });
});
afterAll(() => cluster?.stop());

describeUsersFlow('cluster', () => ({
  env: { REDIS_CLUSTER_NODES: cluster.startupNodes.map((n) => `${n.host}:${n.port}`).join(',') },
}));

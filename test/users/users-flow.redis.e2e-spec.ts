import { startRedis, type RedisServer } from '../harness';
import { describeUsersFlow } from './users-flow.behaviour';

// A server of its own (not standaloneRedis): the readiness test stops and restarts it.
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

describeUsersFlow('redis', () => ({ env: { REDIS_URL: redis.url }, redis }));

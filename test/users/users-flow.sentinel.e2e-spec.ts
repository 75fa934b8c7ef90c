import { startSentinel, type RedisSentinel } from '../harness';
import { describeUsersFlow } from './users-flow.behaviour';

let set: RedisSentinel;
beforeAll(async () => {
  set = await startSentinel({ name: 'users' });
});
afterAll(() => set?.stop());

describeUsersFlow('sentinel', () => ({
  env: {
    REDIS_SENTINELS: set.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    REDIS_SENTINEL_NAME: set.name,
  },
}));

import { startSentinel, type RedisSentinel } from '../harness';
import { describeCacheService } from './cache-service.behaviour';

let sentinel: RedisSentinel;

beforeAll(async () => {
  sentinel = await startSentinel();
}, 60_000);

afterAll(() => sentinel.stop());

describeCacheService('Redis behind Sentinel', () => ({
  redis: { sentinels: sentinel.sentinels, name: sentinel.name },
}));

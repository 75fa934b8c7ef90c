import { standaloneRedis, type StandaloneRedis } from '../harness';
import { describeCacheService } from './cache-service.behaviour';

let server: StandaloneRedis;
beforeAll(async () => {
  server = await standaloneRedis();
});
afterAll(() => server.release());

describeCacheService('standalone Redis', () => ({ redis: { url: server.url } }));
describeCacheService('standalone Redis with msgpack', () => ({
  redis: { url: server.url },
  serializer: 'msgpack',
}));

import { Redis } from 'ioredis';
import { RedisStore } from '@app/cache';
import { standaloneRedis, type StandaloneRedis } from '../harness';
import { describeCacheStoreContract } from '../contract/cache-store.contract';

let server: StandaloneRedis;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await standaloneRedis();
});

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.quit()));
  await server.release();
});

function open(namespace: string, binary: boolean): RedisStore {
  const client = new Redis(server.url, { enableAutoPipelining: true });
  clients.push(client);
  return new RedisStore(client, { namespace, binary, owned: false });
}

describeCacheStoreContract('Redis (strings)', (namespace) => open(namespace, false));
describeCacheStoreContract('Redis (buffers)', (namespace) => open(namespace, true), {
  binary: true,
});

describe('RedisStore on standalone Redis', () => {
  it('reads an entry and its tag marks in one round trip', async () => {
    const store = open(`rt-${Date.now()}`, false);
    const now = Date.now();
    await store.set([
      {
        key: 'k',
        entry: { payload: 'v', createdAt: now, freshUntil: now + 1000, tags: ['a', 'b'] },
        keepFor: 1000,
      },
    ]);
    await store.get('k'); // the script is loaded now
    await server.resetStats();
    await expect(store.get('k')).resolves.toMatchObject({ tags: ['a', 'b'] });
    const stats = await server.commandStats();
    // One client command; the GETs of the entry and its two tag marks ran inside the script.
    const { evalsha, get, 'config|resetstat': _reset, info: _info, ...others } = stats;
    expect({ evalsha, get, others }).toEqual({ evalsha: 1, get: 3, others: {} });
    await store.clear();
  });

  it('keeps every key it writes under its namespace', async () => {
    const namespace = `ns-${Date.now()}`;
    const store = open(namespace, false);
    const now = Date.now();
    await store.set([
      {
        key: 'k',
        entry: { payload: 'v', createdAt: now, freshUntil: now + 1000, tags: ['t'] },
        keepFor: 1000,
      },
    ]);
    await store.lock('k', 1000);
    await store.invalidateTags(['u'], now);
    const keys = (await server.cli('--scan', '--pattern', `${namespace}*`)).split('\n').sort();
    expect(keys).toEqual([
      `${namespace}#lock:k`,
      `${namespace}#tag:t`,
      `${namespace}#tag:u`,
      `${namespace}:k`,
    ]);
    await store.clear();
    await expect(server.cli('--scan', '--pattern', `${namespace}*`)).resolves.toBe('');
  });
});

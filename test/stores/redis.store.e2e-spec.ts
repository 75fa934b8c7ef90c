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
  const client = new Redis(server.url);
  clients.push(client);
  return new RedisStore(client, { namespace, binary, owned: false });
}

describeCacheStoreContract('Redis (strings)', (namespace) => open(namespace, false), {
  shared: true,
});
describeCacheStoreContract('Redis (buffers)', (namespace) => open(namespace, true), {
  binary: true,
  shared: true,
});

describe('RedisStore on standalone Redis', () => {
  it('reads an entry and the marks of the tags it expects in one round trip, without scripts', async () => {
    const store = open(`rt-${Date.now()}`, false);
    const client = clients[clients.length - 1];
    const now = Date.now();
    await store.set([
      {
        key: 'k',
        entry: { payload: 'v', createdAt: now, freshUntil: now + 1000, tags: ['a', 'b'] },
        keepFor: 1000,
      },
    ]);
    // Records when each command is written and when its reply comes back.
    const events: string[] = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: Parameters<typeof send>[0]) => {
      events.push(`send ${command.name}`);
      void command.promise.then(() => events.push(`reply ${command.name}`));
      return send(command);
    }) as typeof client.sendCommand;
    await server.resetStats();

    await expect(store.get('k', ['a', 'b'])).resolves.toMatchObject({ tags: ['a', 'b'] });

    expect(events).toEqual(['send get', 'send mget', 'reply get', 'reply mget']);
    const {
      get,
      mget,
      'config|resetstat': _reset,
      info: _info,
      ...others
    } = await server.commandStats();
    expect({ get, mget, others }).toEqual({ get: 1, mget: 1, others: {} });
    client.sendCommand = send;
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
    await store.lock('k', 'token', 1000);
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

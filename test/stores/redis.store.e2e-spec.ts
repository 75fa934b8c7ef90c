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

    expect(events).toEqual(['send mget', 'reply mget']); // the entry and both marks
    const {
      mget,
      'config|resetstat': _reset,
      info: _info,
      ...others
    } = await server.commandStats();
    expect({ mget, others }).toEqual({ mget: 1, others: {} });
    client.sendCommand = send;
    await store.clear();
  });

  it('shares one MGET among the reads of a pass, and hands each read its own values', async () => {
    const store = open(`pass-${Date.now()}`, false);
    const now = Date.now();
    const entry = (payload: string, tags: string[]) => ({
      payload,
      createdAt: now,
      freshUntil: now + 60_000,
      tags,
    });
    await store.set([
      { key: 'plain', entry: entry('p', []), keepFor: 60_000 },
      { key: 'tagged', entry: entry('t', ['x', 'y']), keepFor: 60_000 },
      { key: 'stale', entry: entry('s', ['z']), keepFor: 60_000 },
      { key: 'gone', entry: entry('g', []), keepFor: 60_000 },
    ]);
    await store.invalidateTags(['z'], now);
    await store.delete(['gone']);
    await server.resetStats();

    const reads = await Promise.all([
      store.get('plain'), // sent at once: the pass before held one read at most
      store.get('tagged', ['x', 'y']),
      store.get('missing'),
      store.get('stale', ['z']),
      store.get('gone'),
      store.get('plain', ['x']),
    ]);

    expect(reads.map((read) => read?.payload)).toEqual([
      'p',
      't',
      undefined,
      undefined,
      undefined,
      'p',
    ]);
    const { get, mget } = await server.commandStats();
    expect({ get, mget }).toEqual({ get: 1, mget: 1 });
    await store.clear();
  });

  it.each([false, true])(
    'reads the header of every entry it can, and hands on a malformed one whole (binary: %s)',
    async (binary) => {
      const namespace = `hdr-${binary}-${Date.now()}`;
      const store = open(namespace, binary);
      const client = clients[clients.length - 1];
      const raw = {
        whole: '[1700000000000,1700000060000]\nJ"v"',
        // Earlier versions wrote fractional times.
        fraction: '[1700000000000.25,1700000060000.5]\nJ"v"',
        tagged: '[1700000000000,1700000060000,["a","b"]]\nJ"v"',
        letters: '[17x0,1700000060000]\nJ"v"',
        empty: '[,1700000060000]\nJ"v"',
        tags: '[1700000000000,1700000060000,[1]]\nJ"v"',
        noHeader: 'J"v"',
      };
      for (const [key, value] of Object.entries(raw))
        await client.set(`${namespace}:${key}`, value);
      const read = async (key: keyof typeof raw) => {
        const entry = await store.get(key);
        return entry && { ...entry, payload: entry.payload.toString() };
      };

      const times = { createdAt: 1700000000000, freshUntil: 1700000060000 };
      await expect(read('whole')).resolves.toEqual({ ...times, payload: 'J"v"', tags: [] });
      await expect(read('fraction')).resolves.toEqual({
        createdAt: 1700000000000.25,
        freshUntil: 1700000060000.5,
        payload: 'J"v"',
        tags: [],
      });
      await expect(read('tagged')).resolves.toEqual({
        ...times,
        payload: 'J"v"',
        tags: ['a', 'b'],
      });
      // The serializer then rejects the whole text, and the service drops the entry.
      for (const key of ['letters', 'empty', 'tags', 'noHeader'] as const) {
        await expect(read(key)).resolves.toEqual({
          payload: raw[key],
          createdAt: 0,
          freshUntil: Number.POSITIVE_INFINITY,
          tags: [],
        });
      }
      await store.clear();
    },
  );

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

describe('RedisStore locks whose call got no answer (unlock with fenceFor)', () => {
  // What a Cluster client can do after a failover: it retries a lock call on its own after the
  // caller gave up on it, and the retry may land after the caller released the lock.
  it("keeps the lost call's late retry out for fenceFor, and lets every other token in", async () => {
    const store = open(`fence-${Date.now()}`, false);
    await store.unlock('k', 'lost', 5_000); // released before the retry landed
    await expect(store.lock('k', 'lost', 5_000)).resolves.toBe(false); // the late retry
    await expect(store.lock('k', 'reader', 5_000)).resolves.toBe(true);
    await expect(store.lock('k', 'another', 5_000)).resolves.toBe(false); // held by the reader
    await store.unlock('k', 'reader');
    await expect(store.lock('k', 'another', 5_000)).resolves.toBe(true);
  });

  it('fences a lock its token holds, and leaves alone a lock another token holds', async () => {
    const store = open(`fence-${Date.now()}`, false);
    await expect(store.lock('held', 'lost', 5_000)).resolves.toBe(true);
    await store.unlock('held', 'lost', 5_000);
    await expect(store.lock('held', 'lost', 5_000)).resolves.toBe(false);
    await expect(store.lock('held', 'reader', 5_000)).resolves.toBe(true);

    await expect(store.lock('other', 'holder', 5_000)).resolves.toBe(true);
    await store.unlock('other', 'lost', 5_000);
    await expect(store.lock('other', 'reader', 5_000)).resolves.toBe(false);
  });

  it('lets the fence lapse after fenceFor', async () => {
    const store = open(`fence-${Date.now()}`, false);
    await store.unlock('k', 'lost', 30);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await expect(store.lock('k', 'lost', 5_000)).resolves.toBe(true);
  });
});

describe('RedisStore lock leases (extendLock)', () => {
  it('renews a lock only for the token that holds it, and dates the renewal', async () => {
    const namespace = `lease-${Date.now()}`;
    const store = open(namespace, false);
    await expect(store.lock('k', 'holder', 200)).resolves.toBe(true);
    await expect(store.extendLock('k', 'other', 5_000)).resolves.toBe(false);
    await expect(store.extendLock('k', 'holder', 5_000)).resolves.toBe(true);
    const ttl = Number(await server.cli('PTTL', `${namespace}#lock:k`));
    expect(ttl).toBeGreaterThan(1_000); // renewed past the 200 ms it was taken for
    // Dated now: a renewed lock is not taken for one that landed late and taken over.
    await expect(store.lock('k', 'reader', 5_000)).resolves.toBe(false);
    await store.unlock('k', 'holder');
    await expect(store.extendLock('k', 'holder', 5_000)).resolves.toBe(false);
  });
});

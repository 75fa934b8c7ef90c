import { Logger, type INestApplicationContext } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { CACHE_REDIS_CONNECTION, type CacheService, type RedisConnection } from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { startRedis, waitUntil, type RedisServer } from '../harness';
import { cacheApp } from '../support/cache-app';

const COMMAND_TIMEOUT = 150;
// Generous: this bounds a hang, it does not measure speed (the machine is shared and noisy).
const BOUND = COMMAND_TIMEOUT + 600;

describe('CacheService when Redis misbehaves', () => {
  let server: RedisServer;
  let app: INestApplicationContext;
  let cache: CacheService;
  let namespace: string;

  beforeAll(async () => {
    server = await startRedis();
  });

  afterAll(() => server.stop());

  beforeEach(async () => {
    if (!server.running) await server.restart();
    namespace = uniqueNamespace();
    ({ app, cache } = await cacheApp({
      namespace,
      redis: { url: server.url, commandTimeout: COMMAND_TIMEOUT, connectTimeout: 300 },
    }));
    await cache.set('probe', 1); // the connection is up
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    if (server.running) {
      await server.resume();
      await server.cli('CLIENT', 'UNPAUSE');
      await cache.clear();
    }
    await app.close();
  });

  async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await work();
    return { value, ms: performance.now() - started };
  }

  it('returns the loader value at once when Redis is stopped', async () => {
    await server.stop();
    const { value, ms } = await timed(() => cache.getOrSet('k', () => 'from-db'));
    expect(value).toBe('from-db');
    expect(ms).toBeLessThan(BOUND);
    expect(cache.stats().errors).toBeGreaterThan(0);
  });

  it('returns the loader value within the command timeout when Redis is frozen', async () => {
    await server.pause();
    const { value, ms } = await timed(() => cache.getOrSet('k', () => 'from-db'));
    expect(value).toBe('from-db');
    expect(ms).toBeLessThan(BOUND);
    const read = await timed(() => cache.get('probe'));
    expect(read.value).toBeUndefined();
    expect(read.ms).toBeLessThan(BOUND);
  });

  it('stops sending commands to a frozen Redis after the first timeout, and takes no locks', async () => {
    const connection = app.get<RedisConnection>(CACHE_REDIS_CONNECTION);
    await server.pause();
    // The read times out, then the lock does: both connections' circuits open.
    await expect(cache.getOrSet('first', () => 0)).resolves.toBe(0);
    expect(connection.circuit.isOpen).toBe(true);
    expect(connection.reads.circuit.isOpen).toBe(true);
    const sent: string[] = [];
    const restore = [connection.client, connection.reads.client].map((client) => {
      const send = client.sendCommand.bind(client);
      client.sendCommand = ((command: Parameters<typeof send>[0]) => {
        sent.push(command.name);
        return send(command);
      }) as typeof client.sendCommand;
      return () => (client.sendCommand = send);
    });
    try {
      for (let i = 0; i < 10; i++) {
        await expect(cache.getOrSet(`k${i}`, () => i)).resolves.toBe(i);
      }
    } finally {
      restore.forEach((undo) => undo());
    }
    // The circuits' own probes (PING) are the only commands sent: no read, write or SET NX.
    expect(sent.filter((name) => name !== 'ping')).toEqual([]);
  });

  it('releases a stampede lock whose SET NX ran after its reply was given up on', async () => {
    const locked = `${namespace}#lock:k`;
    await app.close();
    ({ app, cache } = await cacheApp({
      namespace,
      lockTimeout: '30s', // far longer than the spec: only a release can remove the lock
      redis: { url: server.url, commandTimeout: COMMAND_TIMEOUT, connectTimeout: 300 },
    }));
    await server.pause();
    // Read, then SET NX: sent and given up on while frozen; the loader runs without the lock.
    await expect(cache.getOrSet('k', () => 'from-db')).resolves.toBe('from-db');
    await server.resume(); // Redis now runs the SET NX it had received
    // Released, and fenced against its own call (`!token`): any other caller may take it.
    await waitUntil(async () => (await server.cli('GET', locked)).startsWith('!'), {
      what: 'the abandoned lock to be released',
      timeoutMs: 5000,
    });
  });

  it('releases a held lock after recovery when its release got no answer', async () => {
    const locked = `${namespace}#lock:k`;
    await app.close();
    ({ app, cache } = await cacheApp({
      namespace,
      lockTimeout: '30s',
      redis: { url: server.url, commandTimeout: COMMAND_TIMEOUT, connectTimeout: 300 },
    }));
    // The lock is taken; Redis freezes while the loader runs, so the write and release fail.
    const loaded = cache.getOrSet('k', async () => {
      await server.pause();
      return 'from-db';
    });
    await expect(loaded).resolves.toBe('from-db');
    await server.resume();
    await waitUntil(async () => (await server.cli('GET', locked)).startsWith('!'), {
      what: 'the lock to be released once Redis answers',
      timeoutMs: 5000,
    });
  });

  it('answers reads at once while writes are paused (CLIENT PAUSE WRITE), and stops serving entries another instance could not evict once it notices', async () => {
    const other = await cacheApp({
      namespace,
      redis: { url: server.url, commandTimeout: COMMAND_TIMEOUT, connectTimeout: 300 },
    });
    try {
      await cache.set('user:1', 'old');
      await expect(other.cache.get('user:1')).resolves.toBe('old');
      await server.clientPause(1500, 'WRITE');
      const pausedAt = Date.now();
      // This instance updates the user: its eviction is held by Redis, then journaled.
      await cache.del('user:1');
      // The other instance's reads are answered (they are not held behind writes), and it writes
      // too (a miss stores its loaded value), so it learns that writes do not reach Redis.
      const stale: number[] = [];
      while (Date.now() - pausedAt < 2800) {
        const sentAt = Date.now() - pausedAt;
        const { value, ms } = await timed(() => other.cache.getOrSet('user:1', () => 'from-db'));
        expect(ms).toBeLessThan(BOUND);
        if (value === 'old') stale.push(sentAt);
        await sleep(20);
      }
      // It notices within one write heartbeat (200 ms) plus the held-write check; generous bound.
      expect(stale.filter((at) => at > 600)).toEqual([]);
      await expect(other.cache.get('user:1')).resolves.not.toBe('old');
    } finally {
      await other.app.close();
    }
  });

  it('returns the loader value within the command timeout during CLIENT PAUSE', async () => {
    await server.clientPause(1500, 'ALL');
    const { value, ms } = await timed(() => cache.getOrSet('k', () => 'from-db'));
    expect(value).toBe('from-db');
    expect(ms).toBeLessThan(BOUND);
  });

  it('logs one warning per outage, not one per request, and counts every failure', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    await server.stop();
    for (let i = 0; i < 20; i++) await cache.get(`k${i}`);
    const outageWarnings = warn.mock.calls.filter(([message]) =>
      /unavailable/.test(String(message)),
    );
    expect(outageWarnings).toHaveLength(1);
    // A failed read is a plain miss: nothing else is logged (no entry is "undecodable").
    expect(warn).toHaveBeenCalledTimes(1);
    expect(cache.stats().errors).toBeGreaterThanOrEqual(20);
  });

  it('replays an eviction that failed during an outage, so no stale value is read after it', async () => {
    await cache.set('user:1', 'old');
    await server.pause();
    await cache.del('user:1'); // times out: journaled
    await server.resume();
    await expect(cache.get('user:1')).resolves.toBeUndefined();
    // A delete replaces the entry with its eviction mark (`~<epoch ms>`).
    await waitUntil(async () => (await server.cli('GET', `${namespace}:user:1`)).startsWith('~'), {
      what: 'the journaled eviction to reach Redis',
      timeoutMs: 3000,
    });
    await expect(cache.get('user:1')).resolves.toBeUndefined();
  });

  it('replays a tag invalidation that failed during an outage', async () => {
    await cache.set('list', ['old'], { tags: ['users'] });
    await server.pause();
    await cache.invalidateTags(['users']);
    await server.resume();
    await expect(cache.get('list')).resolves.toBeUndefined();
    await sleep(400);
    await expect(cache.get('list')).resolves.toBeUndefined();
  });

  it('skips reads for a second after the connection comes back (another instance may not have replayed its evictions yet)', async () => {
    await cache.set('k', 'before');
    await server.stop(); // a clean shutdown: commands fail at once, none times out
    await expect(cache.get('k')).resolves.toBeUndefined();
    await server.restart(); // empty: the server keeps no data
    await waitUntil(
      async () => {
        await cache.set('k', 'after');
        return (await server.cli('EXISTS', `${namespace}:k`)) === '1';
      },
      { what: 'writes to reach the restarted server', timeoutMs: 5000, intervalMs: 20 },
    );
    // Written, but not read back yet: it could be a load's value that an eviction journaled by
    // another instance during the outage, and not replayed yet, would have refused.
    await expect(cache.get('k')).resolves.toBeUndefined();
    await waitUntil(async () => (await cache.get('k')) === 'after', {
      what: 'reads to trust Redis again',
      timeoutMs: 3000,
    });
  });

  it('never resends a command that timed out once Redis is back', async () => {
    await server.pause();
    await cache.set('late', 'v'); // written to the socket, times out
    await server.kill(); // the paused server dies with the command unread
    await server.restart();
    await waitUntil(
      async () => {
        await cache.set('after', 1);
        return (await server.cli('EXISTS', `${namespace}:after`)) === '1';
      },
      { what: 'writes to reach the restarted server', timeoutMs: 5000 },
    );
    await sleep(200);
    await expect(server.cli('EXISTS', `${namespace}:late`)).resolves.toBe('0');
  });
});

describe('CacheService started while Redis is down', () => {
  it('boots, serves loader values, and uses Redis once it comes up', async () => {
    const server = await startRedis();
    await server.stop();
    const namespace = uniqueNamespace();
    const { app, cache } = await cacheApp(
      {
        namespace,
        redis: { url: server.url, commandTimeout: COMMAND_TIMEOUT, connectTimeout: 300 },
      },
      {},
      { awaitRedis: false },
    );
    try {
      await expect(cache.getOrSet('k', () => 'loaded')).resolves.toBe('loaded');
      await server.restart();
      await waitUntil(
        async () => {
          await cache.set('k', 'stored');
          return (await cache.get('k')) === 'stored';
        },
        { what: 'the cache to use Redis once it is up', timeoutMs: 5000 },
      );
      expect(await server.cli('EXISTS', `${namespace}:k`)).toBe('1');
    } finally {
      await app.close();
      await server.stop();
    }
  });
});

describe('CacheService connection errors', () => {
  it('logs why it cannot connect, naming the cause but not the password', async () => {
    const server = await startRedis({ password: 'right-password' });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { app, cache } = await cacheApp(
      {
        namespace: uniqueNamespace(),
        redis: { url: `redis://:wrong-password@127.0.0.1:${server.port}`, connectTimeout: 300 },
      },
      {},
      { awaitRedis: false },
    );
    try {
      await expect(cache.getOrSet('k', () => 'loaded')).resolves.toBe('loaded');
      const messages = warn.mock.calls.map(([message]) => String(message));
      const connection = messages.filter((message) => message.startsWith('Redis connection error'));
      expect(
        connection.some((message) => /WRONGPASS|invalid username-password/.test(message)),
      ).toBe(true);
      expect(messages.join('\n')).not.toContain('wrong-password');
    } finally {
      warn.mockRestore();
      await app.close();
      await server.stop();
    }
  });
});

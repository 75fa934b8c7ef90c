import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheModuleOptions } from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { standaloneRedis, waitUntil, type StandaloneRedis } from '../harness';
import { cacheApp } from '../support/cache-app';

describe('stampede across processes sharing Redis', () => {
  let server: StandaloneRedis;
  beforeAll(async () => {
    server = await standaloneRedis();
  });
  afterAll(() => server.release());

  it('makes 4 services on separate connections call the loader once for 4 x 250 callers', async () => {
    const namespace = uniqueNamespace();
    const apps = await Promise.all(
      // The lock is what is proven here, not timeouts: a slow answer on a loaded machine must not
      // turn into "Redis is down, load it yourself".
      [1, 2, 3, 4].map(() =>
        cacheApp({ namespace, redis: { url: server.url, commandTimeout: '5s' } }),
      ),
    );
    try {
      await Promise.all(apps.map(({ cache }) => cache.set('warm', 1))); // every connection is up
      let calls = 0;
      const loader = async () => {
        calls++;
        await sleep(50);
        return { loadedBy: calls };
      };
      const results = await Promise.all(
        apps.flatMap(({ cache }) =>
          Array.from({ length: 250 }, () => cache.getOrSet('hot', loader)),
        ),
      );
      expect(calls).toBe(1);
      expect(results.every((r) => r.loadedBy === 1)).toBe(true);
    } finally {
      await apps[0].cache.clear();
      await Promise.all(apps.map(({ app }) => app.close()));
    }
  });

  it('lets waiters load themselves when the lock holder dies without storing a value', async () => {
    const namespace = uniqueNamespace();
    const { app, cache } = await cacheApp({
      namespace,
      lockTimeout: 300,
      redis: { url: server.url },
    });
    try {
      // A holder from another process that crashed: its lock is there, no value ever comes.
      await server.cli('SET', `${namespace}#lock:k`, 'dead-holder', 'PX', '200');
      const started = Date.now();
      await expect(cache.getOrSet('k', () => 'mine')).resolves.toBe('mine');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await cache.clear();
      await app.close();
    }
  });

  describe('a lock taken as a lease (1 s with the default commandTimeout)', () => {
    it('is renewed while a load outlasts the lease, so another instance waits for its value', async () => {
      const namespace = uniqueNamespace();
      const options: CacheModuleOptions = {
        namespace,
        lockTimeout: '10s',
        redis: { url: server.url },
      };
      const [holder, waiter] = await Promise.all([cacheApp(options), cacheApp(options)]);
      try {
        const held = holder.cache.getOrSet('k', async () => {
          await sleep(2_500); // two and a half leases
          return 'loaded by the holder';
        });
        await waitForLock(`${namespace}#lock:k`);
        let waiterCalls = 0;
        const waited = waiter.cache.getOrSet('k', () => `loaded by the waiter ${++waiterCalls}`);
        await expect(held).resolves.toBe('loaded by the holder');
        await expect(waited).resolves.toBe('loaded by the holder');
        expect(waiterCalls).toBe(0);
      } finally {
        await holder.cache.clear();
        await Promise.all([holder.app.close(), waiter.app.close()]);
      }
    });

    it('lapses within a lease once its holder stops renewing it, not after lockTimeout', async () => {
      const namespace = uniqueNamespace();
      const options: CacheModuleOptions = {
        namespace,
        lockTimeout: '30s',
        redis: { url: server.url },
      };
      const [holder, waiter] = await Promise.all([cacheApp(options), cacheApp(options)]);
      let finishLoad = (): void => undefined;
      try {
        const held = holder.cache.getOrSet(
          'k',
          () => new Promise<string>((resolve) => (finishLoad = () => resolve('late'))),
        );
        await waitForLock(`${namespace}#lock:k`);
        // The holder's process goes away mid-load: its lease is no longer renewed.
        await holder.app.close();
        const started = Date.now();
        await expect(waiter.cache.getOrSet('k', () => 'mine')).resolves.toBe('mine');
        // Generous: the lock lasts 30 s if the lease does not lapse.
        expect(Date.now() - started).toBeLessThan(5_000);
        finishLoad();
        await held.catch(() => undefined);
      } finally {
        finishLoad();
        await waiter.cache.clear();
        await waiter.app.close();
      }
    });

    function waitForLock(key: string): Promise<void> {
      return waitUntil(async () => (await server.cli('EXISTS', key)) === '1', {
        what: 'the holder to take the lock',
        timeoutMs: 5_000,
        intervalMs: 5,
      });
    }
  });

  describe('a lock that landed long after its holder asked for it', () => {
    // What a Cluster client leaves after a failover: it retries a SET NX on its own after the
    // caller timed out and loaded without the lock, and the retry lands once a replica is promoted.
    const lockValue = (askedAgo: number): string => `holder@${Date.now() - askedAgo}+30000`;

    it('is taken over at once, not waited out', async () => {
      const namespace = uniqueNamespace();
      const { app, cache } = await cacheApp({
        namespace,
        lockTimeout: '30s',
        redis: { url: server.url },
      });
      const locked = `${namespace}#lock:k`;
      try {
        await server.cli('SET', locked, lockValue(5000), 'PX', '30000');
        await expect(cache.getOrSet('k', () => 'mine')).resolves.toBe('mine');
        // Ours now, released after the load: nothing is left to wait for.
        await expect(server.cli('EXISTS', locked)).resolves.toBe('0');
      } finally {
        await cache.clear();
        await app.close();
      }
    });

    it('is told apart from one that landed on time, which is waited for', async () => {
      const namespace = uniqueNamespace();
      const options: CacheModuleOptions = {
        namespace,
        lockTimeout: '30s',
        redis: { url: server.url },
      };
      const [waiter, holder] = await Promise.all([cacheApp(options), cacheApp(options)]);
      const locked = `${namespace}#lock:k`;
      try {
        await server.cli('SET', locked, lockValue(0), 'PX', '30000');
        let calls = 0;
        let settled = false;
        const read = waiter.cache
          .getOrSet('k', () => `loaded by the waiter ${++calls}`)
          .finally(() => (settled = true));
        await sleep(200); // the waiter polls the lock every 5 to 50 ms meanwhile
        expect(settled).toBe(false);
        await holder.cache.set('k', 'stored by the holder');
        await expect(read).resolves.toBe('stored by the holder');
        expect(calls).toBe(0);
      } finally {
        await waiter.cache.clear();
        await Promise.all([waiter.app.close(), holder.app.close()]);
      }
    });
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import type { INestApplicationContext } from '@nestjs/common';
import { cacheKey, escapePattern, type CacheModuleOptions, type CacheService } from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { waitUntil } from '../harness/wait';
import { cacheApp } from '../support/cache-app';

/** CacheService behaviour that must hold on every store; `options()` picks the store. */
export function describeCacheService(name: string, options: () => CacheModuleOptions): void {
  describe(`CacheService on ${name}`, () => {
    let app: INestApplicationContext;
    let cache: CacheService;

    beforeEach(async () => {
      ({ app, cache } = await cacheApp({ ...options(), namespace: uniqueNamespace(), jitter: 0 }));
    });

    afterEach(async () => {
      await cache.clear();
      await app.close();
    });

    it('returns undefined on a miss and a stored null as null', async () => {
      await expect(cache.get('nothing')).resolves.toBeUndefined();
      await cache.set('nil', null);
      await expect(cache.get('nil')).resolves.toBeNull();
    });

    it('round-trips dates, bigints, maps, sets, buffers and nested undefined', async () => {
      const value = {
        at: new Date('2026-01-02T03:04:05.678Z'),
        big: 2n ** 70n,
        map: new Map<unknown, unknown>([[1, 'one']]),
        set: new Set(['a']),
        buf: Buffer.from([1, 2, 3]),
        nested: { missing: undefined },
      };
      await cache.set('rich', value);
      const read = await cache.get<typeof value>('rich');
      expect(read).toEqual(value);
      expect(read?.at).toBeInstanceOf(Date);
      expect('missing' in (read?.nested ?? {})).toBe(true);
    });

    it('expires an entry after its TTL', async () => {
      // 200 ms: the write and the first read take a few round trips (and a publish with L1) on a
      // busy machine; the TTL must outlast them.
      await cache.set('short', 1, { ttl: 200 });
      await expect(cache.get('short')).resolves.toBe(1);
      await sleep(240);
      await expect(cache.get('short')).resolves.toBeUndefined();
    });

    it('accepts TTLs as strings with units', async () => {
      await cache.set('minute', 'v', { ttl: '1m' });
      await expect(cache.get('minute')).resolves.toBe('v');
    });

    it('refuses a bad TTL with an error naming the option', async () => {
      await expect(cache.set('k', 1, { ttl: '5 minutes' as never })).rejects.toThrow(/"ttl"/);
    });

    it('deletes one key or many', async () => {
      await cache.mset([
        { key: 'a', value: 1 },
        { key: 'b', value: 2 },
        { key: 'c', value: 3 },
      ]);
      await cache.del('a');
      await cache.del(['b']);
      await expect(cache.mget(['a', 'b', 'c'])).resolves.toEqual([undefined, undefined, 3]);
    });

    it('treats setting undefined as a delete', async () => {
      await cache.set('k', 1);
      await cache.set('k', undefined);
      await expect(cache.get('k')).resolves.toBeUndefined();
    });

    it('shares one loader call among 1000 concurrent callers of a missing key', async () => {
      let calls = 0;
      const loader = async () => {
        calls++;
        await sleep(50);
        return { id: 1 };
      };
      const results = await Promise.all(
        Array.from({ length: 1000 }, () => cache.getOrSet('hot', loader)),
      );
      expect(calls).toBe(1);
      expect(results.every((r) => r.id === 1)).toBe(true);
      await expect(cache.get('hot')).resolves.toEqual({ id: 1 });
    });

    it('gives each read-through hit its own value: what one caller changes, the next does not see', async () => {
      await cache.set('profile', { name: 'Ada', roles: ['admin'] });
      const loader = jest.fn(() => ({ name: 'loaded', roles: [] as string[] }));
      const first = await cache.getOrSet('profile', loader);
      first.name = 'changed by the first caller';
      first.roles.push('intruder');
      const second = await cache.getOrSet('profile', loader);
      expect(second).toEqual({ name: 'Ada', roles: ['admin'] });
      expect(loader).not.toHaveBeenCalled();
    });

    it('gives concurrent callers of one key values of their own, whether they share a read or a load', async () => {
      await cache.set('read', { list: [1] });
      const loader = jest.fn(async () => {
        await sleep(20);
        return { list: [1] };
      });
      for (const key of ['read', 'load']) {
        const [first, joiner] = await Promise.all([
          cache.getOrSet(key, loader),
          cache.getOrSet(key, loader),
        ]);
        first.list.push(2);
        expect(joiner).toEqual({ list: [1] });
      }
      expect(loader).toHaveBeenCalledTimes(1);
    });

    it('reads through again once a hit has expired (a settled read is not served again)', async () => {
      await cache.set('brief', 'stored', { ttl: 200 });
      const loader = jest.fn(() => 'loaded');
      await expect(cache.getOrSet('brief', loader)).resolves.toBe('stored');
      await sleep(240);
      await expect(cache.getOrSet('brief', loader)).resolves.toBe('loaded');
      expect(loader).toHaveBeenCalledTimes(1);
    });

    it('does not store an undefined loader result', async () => {
      await expect(cache.getOrSet('u', () => undefined)).resolves.toBeUndefined();
      expect(cache.stats().sets).toBe(0);
    });

    it('does not cache a loader error', async () => {
      await expect(
        cache.getOrSet('boom', () => {
          throw new Error('db down');
        }),
      ).rejects.toThrow('db down');
      await expect(cache.getOrSet('boom', () => 'ok')).resolves.toBe('ok');
    });

    it('starts a new load for a caller that comes after a delete, and drops the older load', async () => {
      let db = 'old';
      const finish: Array<() => void> = [];
      const loader = () =>
        new Promise<string>((resolve) => {
          const seen = db;
          finish.push(() => resolve(seen));
        });
      const before = cache.getOrSet('raced', loader);
      await waitUntil(async () => finish.length === 1, { what: 'the first load', timeoutMs: 2000 });
      db = 'new';
      await cache.del('raced');
      const after = cache.getOrSet('raced', loader);
      finish[0]();
      await expect(before).resolves.toBe('old');
      // Joining the first load would have handed `after` the value read before the delete.
      await waitUntil(async () => finish.length === 2, { what: 'a second load', timeoutMs: 2000 });
      finish[1]();
      await expect(after).resolves.toBe('new');
      await expect(cache.get('raced')).resolves.toBe('new');
    });

    it('loads once, and stores, when a read-through follows its own change at once', async () => {
      // A store dates changes to the millisecond: a load begun in the change's millisecond must
      // not be taken for one that may have read the source before it.
      let calls = 0;
      const load = (value: number) => () => {
        calls++;
        return value;
      };
      const changes: [string, () => Promise<unknown>, string[]?][] = [
        ['del', () => cache.del('changed')],
        ['invalidateTags', () => cache.invalidateTags('t'), ['t']],
        ['deleteByPattern', () => cache.deleteByPattern('chan*')],
      ];
      for (const [name, change, tags] of changes) {
        for (let i = 0; i < 30; i++) {
          await cache.set('changed', -1, { tags });
          await change();
          calls = 0;
          await expect(cache.getOrSet('changed', load(i), { tags })).resolves.toBe(i);
          expect({ after: name, calls }).toEqual({ after: name, calls: 1 });
          expect({ after: name, stored: await cache.get('changed') }).toEqual({
            after: name,
            stored: i,
          });
        }
      }
    });

    it('does not store a load over a value set while it ran', async () => {
      let finish: (() => void) | undefined;
      const loading = cache.getOrSet(
        'raced',
        () => new Promise<string>((resolve) => (finish = () => resolve('loaded'))),
      );
      await waitUntil(async () => finish !== undefined, { what: 'the load', timeoutMs: 2000 });
      await cache.set('raced', 'set');
      finish!();
      await expect(loading).resolves.toBe('loaded');
      await expect(cache.get('raced')).resolves.toBe('set');
    });

    it('serves an expired value within grace while one caller refreshes it', async () => {
      await cache.getOrSet('g', () => 'v1', { ttl: 40, grace: '10s' });
      await sleep(60);
      let refreshes = 0;
      const loader = async () => {
        refreshes++;
        await sleep(20);
        return 'v2';
      };
      const stale = await Promise.all(
        [1, 2, 3].map(() => cache.getOrSet('g', loader, { ttl: '1m', grace: '10s' })),
      );
      expect(stale).toEqual(['v1', 'v1', 'v1']);
      await sleep(60);
      expect(refreshes).toBe(1);
      await expect(cache.get('g')).resolves.toBe('v2');
      expect(cache.stats().staleHits).toBeGreaterThanOrEqual(1);
    });

    it('serves the expired value within grace when the loader throws', async () => {
      await cache.getOrSet('g', () => 'v1', { ttl: 30, grace: '10s' });
      await sleep(50);
      const failing = () => Promise.reject(new Error('db down'));
      await expect(cache.getOrSet('g', failing, { ttl: 30, grace: '10s' })).resolves.toBe('v1');
      await sleep(20);
      expect(cache.stats().loadErrors).toBe(1);
    });

    it('makes tagged entries a miss after invalidateTags, and leaves the rest', async () => {
      await cache.set('u1', 'a', { tags: ['users', 'user:1'] });
      await cache.set('u2', 'b', { tags: ['users'] });
      await cache.set('p1', 'c', { tags: ['posts'] });
      await cache.invalidateTags(['user:1']);
      await expect(cache.mget(['u1', 'u2', 'p1'])).resolves.toEqual([undefined, 'b', 'c']);
      await cache.invalidateTags('users');
      await expect(cache.mget(['u1', 'u2', 'p1'])).resolves.toEqual([undefined, undefined, 'c']);
    });

    it('deletes by pattern, and an escaped user id can never widen it', async () => {
      const hostile = 'a*?[x]\\:';
      await cache.set(cacheKey('user', hostile, 'profile'), 1);
      await cache.set(cacheKey('user', 'abc', 'profile'), 2);
      await cache.set('user:a', 3);
      await cache.deleteByPattern(`${escapePattern(cacheKey('user', hostile))}:*`);
      await expect(cache.get(cacheKey('user', hostile, 'profile'))).resolves.toBeUndefined();
      await expect(cache.get(cacheKey('user', 'abc', 'profile'))).resolves.toBe(2);
      await expect(cache.get('user:a')).resolves.toBe(3);
    });

    it('clears its namespace only', async () => {
      const other = await cacheApp({ ...options(), namespace: uniqueNamespace() });
      try {
        await other.cache.set('k', 'theirs');
        await cache.set('k', 'mine');
        await cache.clear();
        await expect(cache.get('k')).resolves.toBeUndefined();
        await expect(other.cache.get('k')).resolves.toBe('theirs');
      } finally {
        await other.cache.clear();
        await other.app.close();
      }
    });

    it('counts hits, misses, loads and sets', async () => {
      await cache.getOrSet('k', () => 1);
      await cache.getOrSet('k', () => 1);
      await cache.get('nope');
      expect(cache.stats()).toMatchObject({
        hits: 1,
        misses: 2,
        loads: 1,
        sets: 1,
        hitRate: 1 / 3,
      });
    });
  });
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { INestApplicationContext } from '@nestjs/common';
import type { CacheModuleOptions, CacheService } from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { standaloneRedis, waitUntil, type StandaloneRedis } from '../harness';
import { cacheApp } from '../support/cache-app';

/**
 * A load on one instance that read the source before another instance's update must not store
 * what it read over that update's eviction, nor hand it to callers who asked after the update.
 */
describe.each<[string, Omit<CacheModuleOptions, 'redis'>]>([
  ['Redis', {}],
  ['Redis with L1', { l1: {} }],
])('loads racing another instance’s change (%s)', (_name, extra) => {
  let server: StandaloneRedis;
  let a: { app: INestApplicationContext; cache: CacheService };
  let b: { app: INestApplicationContext; cache: CacheService };

  beforeAll(async () => {
    server = await standaloneRedis();
  });
  afterAll(() => server.release());

  beforeEach(async () => {
    const options = { ...extra, namespace: uniqueNamespace(), redis: { url: server.url } };
    [a, b] = await Promise.all([cacheApp(options), cacheApp(options)]);
  });
  afterEach(async () => {
    await a.cache.clear();
    await Promise.all([a.app.close(), b.app.close()]);
  });

  /** The source of truth, and a loader whose first read waits until `release()`. */
  function source(initial: string) {
    let current = initial;
    let calls = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    return {
      update: (value: string) => void (current = value),
      release: () => release(),
      calls: () => calls,
      load: async () => {
        calls++;
        const read = current;
        if (calls === 1) await held;
        return read;
      },
    };
  }

  it('reloads when another instance deleted the key meanwhile: later callers and Redis get the new value', async () => {
    const db = source('v1');
    const first = a.cache.getOrSet('user:1', db.load);
    await waitUntil(async () => db.calls() === 1, {
      what: 'the first load to start',
      intervalMs: 5,
    });
    db.update('v2');
    await b.cache.del('user:1'); // acknowledged: every read sent from now on must see v2
    await sleep(2); // the reload begins in a later millisecond (one begun in the same is refused too)
    const joined = a.cache.getOrSet('user:1', db.load);
    db.release();
    await expect(joined).resolves.toBe('v2');
    await expect(first).resolves.toBe('v2');
    expect(db.calls()).toBe(2);
    await expect(b.cache.get('user:1')).resolves.toBe('v2');
    await expect(a.cache.get('user:1')).resolves.toBe('v2');
  });

  it('reloads when another instance invalidated a tag of the key meanwhile', async () => {
    const db = source('v1');
    const first = a.cache.getOrSet('user:2', db.load, { tags: ['users'] });
    await waitUntil(async () => db.calls() === 1, {
      what: 'the first load to start',
      intervalMs: 5,
    });
    db.update('v2');
    await b.cache.invalidateTags('users');
    await sleep(2);
    const joined = a.cache.getOrSet('user:2', db.load, { tags: ['users'] });
    db.release();
    await expect(joined).resolves.toBe('v2');
    await expect(first).resolves.toBe('v2');
    await expect(b.cache.getOrSet('user:2', db.load, { tags: ['users'] })).resolves.toBe('v2');
    expect(db.calls()).toBe(2);
  });

  it('stores and returns a load that no change overlapped, with one loader call', async () => {
    const db = source('v1');
    const first = a.cache.getOrSet('user:3', db.load);
    await waitUntil(async () => db.calls() === 1, {
      what: 'the first load to start',
      intervalMs: 5,
    });
    await b.cache.del('user:4'); // another key: not a change of this one
    db.release();
    await expect(first).resolves.toBe('v1');
    expect(db.calls()).toBe(1);
    await expect(b.cache.get('user:3')).resolves.toBe('v1');
  });
});

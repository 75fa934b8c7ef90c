import { JsonSerializer } from '../serialization/json.serializer';
import type { StoredEntry } from '../stores/cache-store.interface';
import { L1Cache } from './l1-cache';

const serializer = new JsonSerializer();
const decode = (payload: string | Buffer): unknown => serializer.deserialize(payload);
const NOW = 1_000_000;

function entry(value: unknown, tags: string[] = []): StoredEntry {
  return { payload: serializer.serialize(value), createdAt: NOW, freshUntil: NOW + 60_000, tags };
}

function l1(limits: Partial<ConstructorParameters<typeof L1Cache>[0]> = {}, withDecode = true) {
  return new L1Cache(
    { maxEntries: 100, maxTtl: 60_000, maxBytes: 0, ...limits },
    withDecode ? decode : undefined,
  );
}

describe('L1Cache', () => {
  it('holds a value decoded once, beside its bytes', () => {
    const cache = l1();
    const held = cache.set('k', entry({ n: 1 }), NOW);
    expect(held.decoded).toEqual({ value: { n: 1 } });
    expect(held.payload).toBe(serializer.serialize({ n: 1 }));
    expect(cache.get('k', NOW)).toBe(held);
  });

  it('keeps only the bytes of a value it cannot copy, and without a decoder', () => {
    const classy = new L1Cache({ maxEntries: 10, maxTtl: 60_000, maxBytes: 0 }, () => new Date(0));
    expect(classy.set('date', entry('x'), NOW).decoded).toBeDefined();
    const instances = new L1Cache(
      { maxEntries: 10, maxTtl: 60_000, maxBytes: 0 },
      () => new (class User {})(),
    );
    expect(instances.set('user', entry('x'), NOW).decoded).toBeUndefined();
    const failing = new L1Cache({ maxEntries: 10, maxTtl: 60_000, maxBytes: 0 }, () => {
      throw new Error('corrupt');
    });
    expect(failing.set('bad', entry('x'), NOW).decoded).toBeUndefined();
    expect(l1({}, false).set('k', entry('x'), NOW).decoded).toBeUndefined();
  });

  it('evicts the least recently read entry past maxEntries', () => {
    const cache = l1({ maxEntries: 4 });
    for (let i = 0; i < 4; i++) cache.set(`k${i}`, entry(i), NOW);
    cache.get('k0', NOW); // k0 is in the older half: moved to the recent end
    cache.set('k4', entry(4), NOW);
    expect(cache.get('k1', NOW)).toBeUndefined();
    expect(cache.get('k0', NOW)).toBeDefined();
    expect(cache.size).toBe(4);
  });

  it('never evicts an entry read in every round of inserts', () => {
    const cache = l1({ maxEntries: 10 });
    cache.set('hot', entry('hot'), NOW);
    for (let i = 0; i < 1000; i++) {
      cache.set(`cold${i}`, entry(i), NOW);
      expect(cache.get('hot', NOW)).toBeDefined();
    }
    expect(cache.size).toBe(10);
  });

  it('never evicts an entry read at least once every maxEntries / 2 - 1 inserts', () => {
    const cache = l1({ maxEntries: 10 });
    cache.set('hot', entry('hot'), NOW);
    for (let i = 0; i < 1000; i++) {
      cache.set(`cold${i}`, entry(i), NOW);
      if (i % 4 === 3) expect(cache.get('hot', NOW)).toBeDefined();
    }
  });

  it('holds at most maxBytes, weighing key, bytes and decoded value', () => {
    const cache = l1({ maxBytes: 10_000, maxEntries: 10_000 });
    for (let i = 0; i < 200; i++) cache.set(`k${i}`, entry({ bio: 'x'.repeat(200) }), NOW);
    expect(cache.heldBytes).toBeLessThanOrEqual(10_000);
    // About 256 bookkeeping + 2 x 200 value bytes (bytes and decoded) per entry.
    expect(cache.size).toBeGreaterThan(10);
    expect(cache.size).toBeLessThan(20);
    expect(cache.get('k199', NOW)).toBeDefined();
    expect(cache.get('k0', NOW)).toBeUndefined();
  });

  it('refuses an entry larger than maxBytes on its own', () => {
    const cache = l1({ maxBytes: 500 });
    cache.set('big', entry('x'.repeat(1000)), NOW);
    expect(cache.size).toBe(0);
    expect(cache.heldBytes).toBe(0);
  });

  it('drops an entry at its freshness end or at the L1 ttl, whichever comes first', () => {
    const cache = l1({ maxTtl: 1000 });
    cache.set('short', { ...entry(1), freshUntil: NOW + 500 }, NOW);
    cache.set('long', entry(2), NOW);
    expect(cache.get('short', NOW + 499)).toBeDefined();
    expect(cache.get('short', NOW + 500)).toBeUndefined();
    expect(cache.get('long', NOW + 999)).toBeDefined();
    expect(cache.get('long', NOW + 1000)).toBeUndefined();
    expect(cache.heldBytes).toBe(0);
  });

  it('drops entries by key, tag, pattern and all at once', () => {
    const cache = l1();
    cache.set('user:1', entry(1, ['users']), NOW);
    cache.set('user:2', entry(2), NOW);
    cache.set('post:1', entry(3), NOW);
    cache.set('post:2', entry(4), NOW);
    cache.deleteTagged(['users']);
    cache.delete(['user:2']);
    cache.deleteMatching('post:1*');
    expect(['user:1', 'user:2', 'post:1', 'post:2'].map((k) => !!cache.get(k, NOW))).toEqual([
      false,
      false,
      false,
      true,
    ]);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.heldBytes).toBe(0);
  });
});

import { MemoryStore } from '@app/cache';
import { describeCacheStoreContract } from '../contract/cache-store.contract';

// Each memory store is its own world: namespaces need no prefix.
const shared = new Map<string, MemoryStore>();
describeCacheStoreContract(
  'memory',
  (namespace) => {
    const existing = shared.get(namespace);
    if (existing) return existing;
    const store = new MemoryStore(10_000);
    shared.set(namespace, store);
    return store;
  },
  { peeks: true },
);

describe('MemoryStore bounds', () => {
  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const store = new MemoryStore(3);
    const now = Date.now();
    const entry = { payload: 'x', createdAt: now, freshUntil: now + 60_000, tags: [] };
    for (const key of ['a', 'b', 'c']) await store.set([{ key, entry, keepFor: 60_000 }]);
    await store.get('a'); // a is now the most recently used
    await store.set([{ key: 'd', entry, keepFor: 60_000 }]);
    expect(store.size).toBe(3);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBeDefined();
    expect(await store.get('d')).toBeDefined();
  });
});

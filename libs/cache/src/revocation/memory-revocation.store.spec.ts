import { MemoryRevocationStore } from './memory-revocation.store';

describe('MemoryRevocationStore', () => {
  let now: number;
  let store: MemoryRevocationStore;

  beforeEach(() => {
    now = 1_700_000_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    store = new MemoryRevocationStore();
  });

  afterEach(() => jest.restoreAllMocks());

  it('revokes one token of a subject for keepFor ms', async () => {
    await store.revokeToken('ann', 't1', 1000);
    await expect(store.isRevoked('ann', 't1', 0)).resolves.toBe(true);
    await expect(store.isRevoked('ann', 't2', 0)).resolves.toBe(false);
    await expect(store.isRevoked('bea', 't1', 0)).resolves.toBe(false);
    now += 1000;
    await expect(store.isRevoked('ann', 't1', 0)).resolves.toBe(false);
  });

  it('revokes tokens issued at or before the cutoff, never lowering it or shortening its life', async () => {
    await store.revokeSubject('ann', 100, 5000);
    await store.revokeSubject('ann', 50, 1000);
    await expect(store.isRevoked('ann', 't', 100)).resolves.toBe(true);
    await expect(store.isRevoked('ann', 't', 101)).resolves.toBe(false);
    now += 4999;
    await expect(store.isRevoked('ann', 't', 100)).resolves.toBe(true);
    now += 1;
    await expect(store.isRevoked('ann', 't', 100)).resolves.toBe(false);
  });

  it('keeps subjects and tokens apart whatever characters they hold', async () => {
    await store.revokeToken('a","b', 'c', 1000);
    await expect(store.isRevoked('a', 'b","c', 0)).resolves.toBe(false);
  });
});

import type { CacheService } from '@app/cache';

/**
 * Every kind of change one instance can make to key `k` (stored with tag `t`), and what another
 * instance must read afterwards: each one must reach the other instance's L1.
 */
export const L1_CHANGES: [string, (cache: CacheService) => Promise<unknown>, unknown][] = [
  ['set', (cache) => cache.set('k', 'new'), 'new'],
  ['del', (cache) => cache.del('k'), undefined],
  ['invalidateTags', (cache) => cache.invalidateTags(['t']), undefined],
  ['deleteByPattern', (cache) => cache.deleteByPattern('k*'), undefined],
  ['clear', (cache) => cache.clear(), undefined],
];

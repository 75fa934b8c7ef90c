import type { CacheService } from '../../../libs/cache/src';

/** The changes instance A makes; each one must reach instance B's L1. */
export const COHERENCE_OPS = {
  set: (cache: CacheService, key: string) => cache.set(key, 'new'),
  del: (cache: CacheService, key: string) => cache.del(key),
  invalidateTags: (cache: CacheService, key: string) => cache.invalidateTags(`tag:${key}`),
  deleteByPattern: (cache: CacheService, key: string) => cache.deleteByPattern(key),
  clear: (cache: CacheService) => cache.clear(),
} as const;

export type CoherenceOp = keyof typeof COHERENCE_OPS;

import type { ContenderSpec } from './contender';
import { MODULE_GET_REDIS, MODULE_L1, MODULE_MEMORY, MODULE_REDIS } from './module.contenders';
import { LRU, MAP, MAP_JSON, RAW_IOREDIS, RAW_IOREDIS_PIPELINED } from './raw.contenders';
import {
  BENTO_L1L2,
  BENTO_L2,
  CACHE_MANAGER_MEMORY,
  CACHE_MANAGER_MEMORY_WRAP,
  CACHE_MANAGER_REDIS,
  CACHE_MANAGER_REDIS_WRAP,
  TYPE_CACHEABLE_LRU,
  TYPE_CACHEABLE_REDIS,
} from './rival.contenders';

/** Contenders of the hit-path microbenchmarks, Redis hits first, then in-process hits. */
export const HIT_PATH_CONTENDERS: readonly ContenderSpec[] = [
  RAW_IOREDIS,
  RAW_IOREDIS_PIPELINED,
  MODULE_REDIS,
  MODULE_GET_REDIS,
  CACHE_MANAGER_REDIS,
  TYPE_CACHEABLE_REDIS,
  BENTO_L2,
  MAP,
  MAP_JSON,
  LRU,
  MODULE_MEMORY,
  MODULE_L1,
  CACHE_MANAGER_MEMORY,
  TYPE_CACHEABLE_LRU,
  BENTO_L1L2,
];

/** Contenders of the stampede: every read-through API (raw ioredis is the unprotected yardstick). */
export const STAMPEDE_CONTENDERS: readonly ContenderSpec[] = [
  RAW_IOREDIS,
  MODULE_MEMORY,
  MODULE_REDIS,
  MODULE_L1,
  CACHE_MANAGER_REDIS_WRAP,
  CACHE_MANAGER_MEMORY_WRAP,
  TYPE_CACHEABLE_REDIS,
  TYPE_CACHEABLE_LRU,
  BENTO_L2,
  BENTO_L1L2,
];

export function contenderById(id: string): ContenderSpec {
  const spec = [...HIT_PATH_CONTENDERS, ...STAMPEDE_CONTENDERS].find((c) => c.id === id);
  if (!spec) throw new Error(`Unknown contender '${id}'`);
  return spec;
}

export const CACHEABLE_METADATA = 'CACHE:CACHEABLE';
export const CACHE_EVICT_METADATA = 'CACHE:CACHE_EVICT';
export const CACHE_PUT_METADATA = 'CACHE:CACHE_PUT';
/** Marks a method the explorer already wrapped, so two modules never wrap it twice. */
export const CACHE_WRAPPED = Symbol('CACHE:WRAPPED');
/** The validated options with their defaults, as the module's providers see them. */
export const RESOLVED_CACHE_OPTIONS = Symbol('CACHE:RESOLVED_OPTIONS');
/** The module's Redis connection (`{ client, owned }`), or `null` on the in-memory store. */
export const CACHE_REDIS_CONNECTION = Symbol('CACHE:REDIS_CONNECTION');

export const DEFAULT_NAMESPACE = 'cache';
export const DEFAULT_TTL_MS = 5 * 60_000;
export const DEFAULT_JITTER = 0.1;
export const DEFAULT_MAX_ENTRIES = 10_000;
export const DEFAULT_COMMAND_TIMEOUT_MS = 250;
export const DEFAULT_CONNECT_TIMEOUT_MS = 1000;
export const DEFAULT_LOCK_TIMEOUT_MS = 5000;
export const DEFAULT_L1_MAX_ENTRIES = 1000;
export const DEFAULT_L1_TTL_MS = 60_000;

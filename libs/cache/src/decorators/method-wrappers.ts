import type { Logger } from '@nestjs/common';
import type { CacheService, ResolvedWriteOptions } from '../cache.service';
import { CacheKeyError } from '../errors';
import type {
  CacheableOptions,
  CacheEvictOptions,
  CachePutOptions,
} from './cache-decorator.options';
import { compileDuration, compileKey, compileKeys, compileTags } from './compile-options';

export type Method = (this: unknown, ...args: unknown[]) => unknown;

/** `@Cacheable`: read through the cache; a key that cannot be built bypasses the cache. */
export function cacheableWrapper(
  original: Method,
  options: CacheableOptions,
  cache: CacheService,
  where: string,
  logger: Logger,
): Method {
  const keyOf = compileKey(options.key, where);
  const tagsOf = compileTags(options.tags, where);
  const ttl = compileDuration(options.ttl, 'ttl', `@Cacheable ${where}`);
  const grace = compileDuration(options.grace, 'grace', `@Cacheable ${where}`);
  const { condition, unless, type } = options;
  const rebuild = type && ((value: unknown): unknown => rebuildAs(type, value));
  let warned = false;
  // One options object for every call when none of it depends on the call's arguments (nothing
  // downstream writes to it).
  const shared: ResolvedWriteOptions | undefined =
    tagsOf === undefined && unless === undefined ? { ttl, grace } : undefined;
  /** The write options for `args`; throws a `CacheKeyError` when a tag cannot be built. */
  const writeFor = (args: unknown[]): ResolvedWriteOptions =>
    shared ?? {
      ttl,
      grace,
      tags: tagsOf?.(args),
      accept: unless && ((result) => unless(result, ...args) !== true),
    };
  /** Whether the key or tags of a call could not be built: warned once, then the call bypasses the cache. */
  const unbuildable = (error: unknown): boolean => {
    if (!(error instanceof CacheKeyError)) return false;
    if (!warned) logger.warn(`${where}: ${error.message}; calling it without the cache`);
    warned = true;
    return true;
  };

  // Not an async function: a hit costs the caller no promise hop beyond the cache's own.
  return function cached(this: unknown, ...args: unknown[]): Promise<unknown> {
    try {
      if (condition?.(...args) === false) return Promise.resolve(original.apply(this, args));
      let key: string;
      let write: ResolvedWriteOptions;
      try {
        key = keyOf(args);
        write = writeFor(args);
      } catch (error) {
        if (!unbuildable(error)) throw error;
        return Promise.resolve(original.apply(this, args));
      }
      const value = cache.getOrLoad(key, () => original.apply(this, args), write);
      return rebuild ? value.then(rebuild) : value;
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/** `@CachePut`: always run the method, then store its result. */
export function putWrapper(
  original: Method,
  options: CachePutOptions,
  cache: CacheService,
  where: string,
): Method {
  const keyOf = compileKey(options.key, where);
  const tagsOf = compileTags(options.tags, where);
  const ttl = compileDuration(options.ttl, 'ttl', `@CachePut ${where}`);

  return async function putting(this: unknown, ...args: unknown[]): Promise<unknown> {
    const result = await original.apply(this, args);
    await cache.put(keyOf(args), result, { ttl, tags: tagsOf?.(args) });
    return result;
  };
}

/** `@CacheEvict`: evict after success (or before the call with `beforeInvocation`). */
export function evictWrapper(
  original: Method,
  options: CacheEvictOptions,
  cache: CacheService,
  where: string,
): Method {
  const keysOf = options.key === undefined ? undefined : compileKeys(options.key, where);
  const tagsOf = compileTags(options.tags, where);
  const evict = async (args: readonly unknown[]): Promise<void> => {
    if (options.allEntries) return cache.clear();
    await Promise.all([
      keysOf ? cache.del(keysOf(args)) : undefined,
      tagsOf ? cache.invalidateTags(tagsOf(args)) : undefined,
    ]);
  };

  return async function evicting(this: unknown, ...args: unknown[]): Promise<unknown> {
    if (options.beforeInvocation) await evict(args);
    const result = await original.apply(this, args);
    if (!options.beforeInvocation) await evict(args);
    return result;
  };
}

function rebuildAs(type: abstract new (...args: never[]) => unknown, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => rebuildAs(type, item));
  if (value === null || typeof value !== 'object' || value instanceof type) return value;
  return Object.assign(Object.create(type.prototype as object) as object, value);
}

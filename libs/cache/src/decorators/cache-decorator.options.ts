import type { Duration } from '../options/duration';

/** A key: a template over the method's arguments (`'user:{0}'`, `'user:{0.id}'`) or a function of them. */
// The arguments are typed loosely on purpose: a decorator cannot see its method's parameter types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KeyOption = string | ((...args: any[]) => string);

/** Tags: a list (entries may be templates like `'user:{0}'`) or a function of the arguments. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TagsOption = readonly string[] | ((...args: any[]) => readonly string[]);

/** Options of `@Cacheable()`. */
export interface CacheableOptions {
  /** Default: `ClassName.method:` followed by a hash of the arguments. */
  key?: KeyOption;
  /** Default: the module's `ttl`. */
  ttl?: Duration;
  tags?: TagsOption;
  /** When it returns `false`, the call bypasses the cache. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  condition?: (...args: any[]) => boolean;
  /** When it returns `true` for a result, the result is returned but not stored. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  unless?: (result: any, ...args: any[]) => boolean;
  /** How long past its TTL a value may be served while it is refreshed, or when the method throws. */
  grace?: Duration;
  /**
   * A class to rebuild cached values with (its prototype, not its constructor, is applied: the
   * cached own properties are copied onto `Object.create(type.prototype)`). Arrays are rebuilt
   * element by element.
   */
  type?: abstract new (...args: never[]) => unknown;
}

/** Options of `@CacheEvict()`. */
export interface CacheEvictOptions {
  /** One key, several keys, or a function of the arguments returning either. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  key?: string | readonly string[] | ((...args: any[]) => string | readonly string[]);
  tags?: TagsOption;
  /** Removes every entry of the module's namespace. */
  allEntries?: boolean;
  /** Evict before the method runs (and so even when it throws). Default: after it succeeds. */
  beforeInvocation?: boolean;
}

/** Options of `@CachePut()`. */
export interface CachePutOptions {
  key: KeyOption;
  ttl?: Duration;
  tags?: TagsOption;
}

/**
 * Base class of every error the cache library throws. Match on `code`, which is stable, rather than
 * on the message or the class name.
 */
export class CacheError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable code, e.g. `'CACHE_DECODE'`. */
    readonly code: string = 'CACHE_ERROR',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A module, decorator or store option is invalid; the message names the option. */
export class CacheConfigError extends CacheError {
  /**
   * @example new CacheConfigError('serializer', "expected 'json' or 'msgpack'")
   */
  constructor(
    /** Name of the offending option, e.g. `'serializer'`. */
    readonly option: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`Invalid cache option "${option}": ${problem}`, 'CACHE_CONFIG', options);
  }
}

/** Stored bytes could not be decoded (corrupt, foreign, or unsafe data). */
export class CacheDecodeError extends CacheError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'CACHE_DECODE', options);
  }
}

/** A cache key could not be built from the given arguments. */
export class CacheKeyError extends CacheError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'CACHE_KEY', options);
  }
}

/** The backing store failed (connection, command or script error). */
export class CacheStoreError extends CacheError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'CACHE_STORE', options);
  }
}

/**
 * A read skipped on purpose: the store does not take writes (or only just took them again), so an
 * entry another instance failed to evict may still be in it. Not a failure of its own.
 */
export class CacheReadSkippedError extends CacheError {
  constructor(message: string) {
    super(message, 'CACHE_READ_SKIPPED');
  }
}

/** A store call did not finish within its time budget. */
export class CacheTimeoutError extends CacheError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'CACHE_TIMEOUT', options);
  }
}

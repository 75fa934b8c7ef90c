import {
  CacheConfigError,
  CacheDecodeError,
  CacheError,
  CacheKeyError,
  CacheReadSkippedError,
  CacheStoreError,
  CacheTimeoutError,
} from './errors';

describe('cache errors', () => {
  it.each([
    [new CacheDecodeError('x'), 'CacheDecodeError', 'CACHE_DECODE'],
    [new CacheKeyError('x'), 'CacheKeyError', 'CACHE_KEY'],
    [new CacheStoreError('x'), 'CacheStoreError', 'CACHE_STORE'],
    [new CacheTimeoutError('x'), 'CacheTimeoutError', 'CACHE_TIMEOUT'],
    [new CacheReadSkippedError('x'), 'CacheReadSkippedError', 'CACHE_READ_SKIPPED'],
    [new CacheConfigError('ttl', 'x'), 'CacheConfigError', 'CACHE_CONFIG'],
  ])('%s has its name, a stable code and the CacheError base', (error, name, code) => {
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
  });

  it('keeps the cause', () => {
    const cause = new Error('socket closed');
    expect(new CacheStoreError('GET failed', { cause }).cause).toBe(cause);
  });

  it('names the option in a CacheConfigError', () => {
    const error = new CacheConfigError('serializer', "expected 'json' or 'msgpack'");
    expect(error.option).toBe('serializer');
    expect(error.message).toBe(`Invalid cache option "serializer": expected 'json' or 'msgpack'`);
  });
});

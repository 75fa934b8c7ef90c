import { CacheConfigError } from '../errors';
import { resolveCacheOptions } from '../options/resolve-options';
import { resolveRateLimitOptions, type RateLimitOptions } from './rate-limit.options';

const resolve = (options: unknown) => resolveRateLimitOptions(options as RateLimitOptions);

function optionOf(options: unknown): string | undefined {
  try {
    resolve(options);
  } catch (error) {
    if (error instanceof CacheConfigError) return error.option;
    throw error;
  }
  return undefined;
}

describe('resolveRateLimitOptions', () => {
  it('fills in the defaults and turns durations into milliseconds', () => {
    expect(resolve({ limits: [{ limit: 100, window: '1m' }] })).toEqual({
      limits: [{ name: 'default', limit: 100, window: 60_000, blockFor: 0 }],
      named: new Map(),
      keyBy: 'ip',
      algorithm: 'sliding-window',
      onStoreFailure: 'local',
      headers: 'both',
    });
  });

  it('keeps the values it is given', () => {
    const keyBy = () => 'k';
    const resolved = resolve({
      limits: [
        { name: 'burst', limit: 10, window: 1000, blockFor: '5m' },
        { name: 'daily', limit: 1000, window: '1d' },
      ],
      keyBy,
      algorithm: 'fixed-window',
      onStoreFailure: 'closed',
      headers: false,
    });
    expect(resolved.limits[0]).toEqual({
      name: 'burst',
      limit: 10,
      window: 1000,
      blockFor: 300_000,
    });
    expect(resolved.limits[1].window).toBe(86_400_000);
    expect(resolved).toMatchObject({ keyBy, algorithm: 'fixed-window', onStoreFailure: 'closed' });
    expect(resolved.headers).toBe(false);
  });

  it.each([
    ['not an object', 'fast', 'rateLimit'],
    ['an unknown option', { limits: [{ limit: 1, window: 1 }], limit: 5 }, 'rateLimit.limit'],
    ['no limits', {}, 'rateLimit.limits'],
    ['an empty list of limits', { limits: [] }, 'rateLimit.limits'],
    ['a limit that is not an object', { limits: [5] }, 'rateLimit.limits[0]'],
    ['a zero limit', { limits: [{ limit: 0, window: 1 }] }, 'rateLimit.limits[0].limit'],
    ['a fractional limit', { limits: [{ limit: 1.5, window: 1 }] }, 'rateLimit.limits[0].limit'],
    [
      'a limit given as a string',
      { limits: [{ limit: '5', window: 1 }] },
      'rateLimit.limits[0].limit',
    ],
    ['a missing window', { limits: [{ limit: 1 }] }, 'rateLimit.limits[0].window'],
    ['a zero window', { limits: [{ limit: 1, window: 0 }] }, 'rateLimit.limits[0].window'],
    ['a negative window', { limits: [{ limit: 1, window: -5 }] }, 'rateLimit.limits[0].window'],
    [
      'an unparsable window',
      { limits: [{ limit: 1, window: '1 week' }] },
      'rateLimit.limits[0].window',
    ],
    [
      'a bad blockFor',
      { limits: [{ limit: 1, window: 1, blockFor: 'x' }] },
      'rateLimit.limits[0].blockFor',
    ],
    [
      'an unknown rule option',
      { limits: [{ limit: 1, window: 1, ttl: 5 }] },
      'rateLimit.limits[0].ttl',
    ],
    [
      'a name with a colon',
      { limits: [{ name: 'a:b', limit: 1, window: 1 }] },
      'rateLimit.limits[0].name',
    ],
    ['an empty name', { limits: [{ name: '', limit: 1, window: 1 }] }, 'rateLimit.limits[0].name'],
    [
      'two limits with one name',
      {
        limits: [
          { name: 'a', limit: 1, window: 1 },
          { name: 'a', limit: 2, window: 1 },
        ],
      },
      'rateLimit.limits[1].name',
    ],
    [
      'two unnamed limits',
      {
        limits: [
          { limit: 1, window: 1 },
          { limit: 2, window: '1h' },
        ],
      },
      'rateLimit.limits[1].name',
    ],
    [
      'a bad window in the second limit',
      {
        limits: [
          { name: 'a', limit: 1, window: 1 },
          { name: 'b', limit: 2, window: 0 },
        ],
      },
      'rateLimit.limits[1].window',
    ],
    [
      'an unknown keyBy',
      { limits: [{ limit: 1, window: 1 }], keyBy: 'session' },
      'rateLimit.keyBy',
    ],
    [
      'an unknown algorithm',
      { limits: [{ limit: 1, window: 1 }], algorithm: 'leaky' },
      'rateLimit.algorithm',
    ],
    [
      'an unknown onStoreFailure',
      { limits: [{ limit: 1, window: 1 }], onStoreFailure: 'retry' },
      'rateLimit.onStoreFailure',
    ],
    ['headers: true', { limits: [{ limit: 1, window: 1 }], headers: true }, 'rateLimit.headers'],
    ['named as a list', { limits: [{ limit: 1, window: 1 }], named: [] }, 'rateLimit.named'],
    [
      'a set name with a space',
      { limits: [{ limit: 1, window: 1 }], named: { 'log in': { limit: 1, window: 1 } } },
      "rateLimit.named['log in']",
    ],
    [
      'an empty named set',
      { limits: [{ limit: 1, window: 1 }], named: { login: [] } },
      'rateLimit.named.login',
    ],
    [
      'a bad limit in a named set',
      { limits: [{ limit: 1, window: 1 }], named: { login: { limit: -1, window: '1m' } } },
      'rateLimit.named.login.limit',
    ],
    [
      'a bad window in a named list',
      {
        limits: [{ limit: 1, window: 1 }],
        named: {
          login: [
            { name: 'a', limit: 1, window: 1 },
            { name: 'b', limit: 1, window: 'x' },
          ],
        },
      },
      'rateLimit.named.login[1].window',
    ],
    [
      'keyBys that differ within a named set',
      {
        limits: [{ limit: 1, window: 1 }],
        named: {
          login: [
            { name: 'a', limit: 1, window: 1, keyBy: 'ip' },
            { name: 'b', limit: 1, window: 1, keyBy: 'user' },
          ],
        },
      },
      'rateLimit.named.login[1].keyBy',
    ],
  ])('rejects %s with a CacheConfigError naming the option', (_, options, option) => {
    expect(optionOf(options)).toBe(option);
  });

  it('resolves each named set like the limits of @RateLimit()', () => {
    const resolved = resolve({
      limits: [{ limit: 100, window: '1m' }],
      named: {
        login: { name: 'login', limit: 5, window: '1m', blockFor: '15m' },
        export: [
          { name: 'burst', limit: 2, window: '1s', keyBy: 'user' },
          { name: 'daily', limit: 50, window: '1d' },
        ],
      },
    });
    expect(resolved.named.get('login')).toEqual({
      limits: [{ name: 'login', limit: 5, window: 60_000, blockFor: 900_000 }],
      keyBy: undefined,
    });
    expect(resolved.named.get('export')).toEqual({
      limits: [
        { name: 'burst', limit: 2, window: 1000, blockFor: 0 },
        { name: 'daily', limit: 50, window: 86_400_000, blockFor: 0 },
      ],
      keyBy: 'user',
    });
  });

  it('names the option in the message', () => {
    expect(() =>
      resolve({
        limits: [
          { limit: 1, window: 1 },
          { name: 'b', limit: 1, window: 'x' },
        ],
      }),
    ).toThrow(
      /^Invalid cache option "rateLimit\.limits\[1\]\.window": expected a number of milliseconds/,
    );
  });

  it('is applied by resolveCacheOptions', () => {
    expect(() => resolveCacheOptions({ rateLimit: { limits: [] } })).toThrow(CacheConfigError);
    expect(
      resolveCacheOptions({ rateLimit: { limits: [{ limit: 1, window: '1s' }] } }).rateLimit,
    ).toMatchObject({ limits: [{ name: 'default', window: 1000 }] });
    expect(resolveCacheOptions({}).rateLimit).toBeUndefined();
  });
});

import { Reflector } from '@nestjs/core';
import { CacheConfigError } from '../errors';
import { RATE_LIMIT_METADATA, SKIP_RATE_LIMIT_METADATA } from './rate-limit.constants';
import { RateLimit, SkipRateLimit, type RateLimitDecoratorRule } from './rate-limit.decorator';

const reflector = new Reflector();

function thrownOption(define: () => unknown): string | undefined {
  try {
    define();
  } catch (error) {
    if (error instanceof CacheConfigError) return error.option;
    throw error;
  }
  return undefined;
}

describe('@RateLimit', () => {
  it('records validated limits, in milliseconds, on a class and on a handler', () => {
    const keyBy = () => 'tenant';
    @RateLimit({ limit: 10, window: '1m' })
    class Reports {
      @RateLimit([
        { name: 'burst', limit: 1, window: '1s', keyBy },
        { name: 'daily', limit: 100, window: '1d', blockFor: '1h' },
      ])
      export(): void {}
    }
    expect(reflector.get(RATE_LIMIT_METADATA, Reports)).toEqual({
      limits: [{ name: 'default', limit: 10, window: 60_000, blockFor: 0 }],
      keyBy: undefined,
    });
    expect(reflector.get(RATE_LIMIT_METADATA, Reports.prototype.export)).toEqual({
      limits: [
        { name: 'burst', limit: 1, window: 1000, blockFor: 0 },
        { name: 'daily', limit: 100, window: 86_400_000, blockFor: 3_600_000 },
      ],
      keyBy,
    });
  });

  it('throws at class definition, naming the bad option', () => {
    expect(
      thrownOption(() => {
        @RateLimit({ limit: 5, window: 'soon' as RateLimitDecoratorRule['window'] })
        class Bad {}
        return Bad;
      }),
    ).toBe('@RateLimit().window');
    expect(
      thrownOption(() => {
        class Bad {
          @RateLimit([
            { name: 'a', limit: 1, window: 1 },
            { name: 'b', limit: 0, window: 1 },
          ])
          handler(): void {}
        }
        return Bad;
      }),
    ).toBe('@RateLimit()[1].limit');
  });

  it.each([
    ['an empty list', [], '@RateLimit()'],
    [
      'duplicate names',
      [
        { limit: 1, window: 1 },
        { limit: 2, window: 2 },
      ],
      '@RateLimit()[1].name',
    ],
    ['an unknown keyBy', { limit: 1, window: 1, keyBy: 'cookie' }, '@RateLimit().keyBy'],
    [
      'two different keyBy in one list',
      [
        { name: 'a', limit: 1, window: 1, keyBy: 'ip' },
        { name: 'b', limit: 1, window: 1, keyBy: 'user' },
      ],
      '@RateLimit()[1].keyBy',
    ],
  ])('rejects %s', (_, rules, option) => {
    expect(thrownOption(() => RateLimit(rules as RateLimitDecoratorRule[]))).toBe(option);
  });
});

describe('@SkipRateLimit', () => {
  it('records the name of a module set, and refuses a name that could not be one', () => {
    class Auth {
      @RateLimit('login')
      login(): void {}
    }
    expect(reflector.get(RATE_LIMIT_METADATA, Auth.prototype.login)).toEqual({ named: 'login' });
    expect(thrownOption(() => RateLimit(''))).toBe('@RateLimit()');
    expect(thrownOption(() => RateLimit('log in'))).toBe('@RateLimit()');
  });

  it('records true for every limit, or the names to skip', () => {
    class Health {
      @SkipRateLimit()
      all(): void {}
      @SkipRateLimit('burst', 'daily')
      some(): void {}
    }
    expect(reflector.get(SKIP_RATE_LIMIT_METADATA, Health.prototype.all)).toBe(true);
    expect(reflector.get(SKIP_RATE_LIMIT_METADATA, Health.prototype.some)).toEqual([
      'burst',
      'daily',
    ]);
  });

  it('rejects an empty name', () => {
    expect(thrownOption(() => SkipRateLimit('burst', ''))).toBe('@SkipRateLimit()[1]');
  });
});

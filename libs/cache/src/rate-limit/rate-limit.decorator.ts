import { SetMetadata } from '@nestjs/common';
import { CacheConfigError } from '../errors';
import { describe } from '../options/duration';
import { RATE_LIMIT_METADATA, SKIP_RATE_LIMIT_METADATA } from './rate-limit.constants';
import {
  checkSetName,
  resolveLimitSet,
  type RateLimitDecoratorRule,
  type ResolvedLimitSet,
} from './rate-limit.options';

export type { RateLimitDecoratorRule } from './rate-limit.options';

/**
 * What `@RateLimit()` records: its limits, already validated, or the name of a set in the
 * module's `rateLimit.named`.
 */
export type RateLimitMetadata = ResolvedLimitSet | { named: string };

/** What `@SkipRateLimit()` records: `true` skips every limit, a list skips those names. */
export type SkipRateLimitMetadata = true | readonly string[];

/**
 * Replaces the module's limits for a controller or a handler (a handler's beats its class's).
 * The options are validated here, so a bad one fails when the class is defined, with a
 * `CacheConfigError` naming it. Limits with the same name, limit and window share one budget per
 * tracker wherever they are declared; give a limit its own name to count it on its own.
 *
 * Given a name instead, the route takes that set of the module's `rateLimit.named`, which is
 * read with the module's options (from `forRootAsync`'s factory, say); a name that no set has
 * fails the application's startup.
 *
 * @example
 * @RateLimit({ name: 'login', limit: 5, window: '1m', blockFor: '15m' })
 * @Post('login')
 * login() {}
 *
 * @RateLimit('login') // CacheModule.forRootAsync({ useFactory: (config) => ({ rateLimit: { limits, named: { login: ... } } }) })
 * @Post('login')
 * login() {}
 */
export function RateLimit(
  rules: string | RateLimitDecoratorRule | readonly RateLimitDecoratorRule[],
): ClassDecorator & MethodDecorator {
  const metadata: RateLimitMetadata =
    typeof rules === 'string'
      ? { named: checkSetName(rules, '@RateLimit()') }
      : resolveLimitSet(rules, '@RateLimit()');
  return SetMetadata(RATE_LIMIT_METADATA, metadata);
}

/**
 * Skips rate limiting on a controller or handler: every limit, or only the named ones.
 *
 * @example
 * @SkipRateLimit() // health checks are never limited
 * @SkipRateLimit('burst') // only the daily limit applies here
 */
export function SkipRateLimit(...names: string[]): ClassDecorator & MethodDecorator {
  names.forEach((name, i) => {
    if (typeof name !== 'string' || name.length === 0) {
      throw new CacheConfigError(
        `@SkipRateLimit()[${i}]`,
        `expected a limit name; got ${describe(name)}`,
      );
    }
  });
  const metadata: SkipRateLimitMetadata = names.length === 0 ? true : [...names];
  return SetMetadata(SKIP_RATE_LIMIT_METADATA, metadata);
}

import { SetMetadata } from '@nestjs/common';
import { CacheConfigError } from '../errors';
import { describe } from '../options/duration';
import { RATE_LIMIT_METADATA, SKIP_RATE_LIMIT_METADATA } from './rate-limit.constants';
import {
  resolveKeyBy,
  resolveRules,
  type RateLimitKeyBy,
  type RateLimitRule,
  type ResolvedRateLimitRule,
} from './rate-limit.options';

/** A limit set by `@RateLimit()`; `keyBy` must agree across the limits of one decorator. */
export interface RateLimitDecoratorRule extends RateLimitRule {
  /** Who the request counts against; default the module's `rateLimit.keyBy`, else `'ip'`. */
  keyBy?: RateLimitKeyBy;
}

/** What `@RateLimit()` records, already validated. */
export interface RateLimitMetadata {
  limits: ResolvedRateLimitRule[];
  keyBy?: RateLimitKeyBy;
}

/** What `@SkipRateLimit()` records: `true` skips every limit, a list skips those names. */
export type SkipRateLimitMetadata = true | readonly string[];

const DECORATOR_KEYS: ReadonlySet<string> = new Set(['keyBy']);

/**
 * Replaces the module's limits for a controller or a handler (a handler's beats its class's).
 * The options are validated here, so a bad one fails when the class is defined, with a
 * `CacheConfigError` naming it. Limits with the same name, limit and window share one budget per
 * tracker wherever they are declared; give a limit its own name to count it on its own.
 *
 * @example
 * @RateLimit({ name: 'login', limit: 5, window: '1m', blockFor: '15m' })
 * @Post('login')
 * login() {}
 */
export function RateLimit(
  rules: RateLimitDecoratorRule | readonly RateLimitDecoratorRule[],
): ClassDecorator & MethodDecorator {
  const list = Array.isArray(rules) ? rules : [rules as RateLimitDecoratorRule];
  const path = Array.isArray(rules) ? (i: number) => `@RateLimit()[${i}]` : () => '@RateLimit()';
  if (list.length === 0) {
    throw new CacheConfigError('@RateLimit()', 'expected a limit or a non-empty list of limits');
  }
  const limits = resolveRules(list, path, DECORATOR_KEYS);
  const metadata: RateLimitMetadata = { limits, keyBy: commonKeyBy(list, path) };
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

// One request is counted against one tracker, so all its limits run in one script on one slot.
function commonKeyBy(
  list: readonly RateLimitDecoratorRule[],
  path: (index: number) => string,
): RateLimitKeyBy | undefined {
  let keyBy: RateLimitKeyBy | undefined;
  list.forEach((rule, i) => {
    if (rule.keyBy === undefined) return;
    const resolved = resolveKeyBy(rule.keyBy, `${path(i)}.keyBy`);
    if (keyBy !== undefined && keyBy !== resolved) {
      throw new CacheConfigError(
        `${path(i)}.keyBy`,
        'differs from an earlier limit of the same @RateLimit(); one request has one tracker',
      );
    }
    keyBy = resolved;
  });
  return keyBy;
}

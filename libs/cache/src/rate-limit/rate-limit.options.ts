import type { ExecutionContext } from '@nestjs/common';
import { CacheConfigError } from '../errors';
import { describe, parseDuration, type Duration } from '../options/duration';
import { DEFAULT_LIMIT_NAME } from './rate-limit.constants';

/** One named limit: at most `limit` requests per `window`. */
export interface RateLimitRule {
  /** Shown in headers and metrics; default `'default'` (names must be unique per request). */
  name?: string;
  limit: number;
  window: Duration;
  /** Extra time a tracker that went over is refused; default 0 (none). */
  blockFor?: Duration;
}

/** Who a request counts against: the client IP, the authenticated user, or your own key. */
export type RateLimitKeyBy = 'ip' | 'user' | ((context: ExecutionContext) => string);

/** A limit of `@RateLimit()` or of a set in `rateLimit.named`; `keyBy` must agree across one set. */
export interface RateLimitDecoratorRule extends RateLimitRule {
  /** Who the request counts against; default the module's `rateLimit.keyBy`, else `'ip'`. */
  keyBy?: RateLimitKeyBy;
}

/** Options of `rateLimit` in `CacheModule.forRoot()`. */
export interface RateLimitOptions {
  limits: RateLimitRule[];
  /**
   * Sets of limits that a controller or handler picks by name with `@RateLimit('<name>')`, in place
   * of `limits`. They are read with the rest of the options, so `forRootAsync` can take them from
   * your configuration, where the limits written in `@RateLimit({ ... })` are fixed when the class
   * is defined. A name that no set has fails the application's startup.
   */
  named?: Record<string, RateLimitDecoratorRule | readonly RateLimitDecoratorRule[]>;
  /** Default `'ip'`. */
  keyBy?: RateLimitKeyBy;
  /** Default `'sliding-window'`. */
  algorithm?: 'sliding-window' | 'fixed-window';
  /** What to do while Redis is unavailable; default `'local'` (enforce per process in memory). */
  onStoreFailure?: 'local' | 'open' | 'closed';
  /** Which headers to send; default `'both'`. */
  headers?: 'both' | 'draft' | 'legacy' | false;
}

/** A rule after validation, durations in milliseconds. */
export interface ResolvedRateLimitRule {
  name: string;
  limit: number;
  window: number;
  blockFor: number;
}

/** The limits of one route (or one named set) after validation, and who they count against. */
export interface ResolvedLimitSet {
  limits: ResolvedRateLimitRule[];
  /** Unset: the module's `keyBy`. */
  keyBy?: RateLimitKeyBy;
}

export interface ResolvedRateLimitOptions {
  limits: ResolvedRateLimitRule[];
  /** `rateLimit.named`, validated; empty when unset. */
  named: ReadonlyMap<string, ResolvedLimitSet>;
  keyBy: RateLimitKeyBy;
  algorithm: 'sliding-window' | 'fixed-window';
  onStoreFailure: 'local' | 'open' | 'closed';
  headers: 'both' | 'draft' | 'legacy' | false;
}

const KNOWN_OPTIONS = new Set([
  'limits',
  'named',
  'keyBy',
  'algorithm',
  'onStoreFailure',
  'headers',
]);
const SET_RULE_KEYS: ReadonlySet<string> = new Set(['keyBy']);
const KNOWN_RULE_OPTIONS = new Set(['name', 'limit', 'window', 'blockFor']);
const ALGORITHMS = ['sliding-window', 'fixed-window'] as const;
const STORE_FAILURE_MODES = ['local', 'open', 'closed'] as const;
const HEADER_MODES = ['both', 'draft', 'legacy', false] as const;
// Names go into Redis keys and into quoted header values: keep them plain.
const LIMIT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Validates `rateLimit`; errors are `CacheConfigError`s naming the option (`rateLimit.limits[0].window`). */
export function resolveRateLimitOptions(options: RateLimitOptions): ResolvedRateLimitOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new CacheConfigError('rateLimit', `expected an object; got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new CacheConfigError(`rateLimit.${key}`, 'unknown option');
  }
  if (!Array.isArray(options.limits) || options.limits.length === 0) {
    throw new CacheConfigError(
      'rateLimit.limits',
      `expected a non-empty list of { limit, window }; got ${describe(options.limits)}`,
    );
  }
  return {
    limits: resolveRules(options.limits, (i) => `rateLimit.limits[${i}]`),
    named: resolveNamedSets(options.named),
    keyBy: resolveKeyBy(options.keyBy ?? 'ip', 'rateLimit.keyBy'),
    algorithm: oneOf(options.algorithm ?? 'sliding-window', ALGORITHMS, 'rateLimit.algorithm'),
    onStoreFailure: oneOf(
      options.onStoreFailure ?? 'local',
      STORE_FAILURE_MODES,
      'rateLimit.onStoreFailure',
    ),
    headers: oneOf(options.headers ?? 'both', HEADER_MODES, 'rateLimit.headers'),
  };
}

/**
 * Validates the limits of `@RateLimit()` or of one named set: one rule or a non-empty list, whose
 * `keyBy`s agree (one request has one tracker). `at` names the place in errors (`'@RateLimit()'`).
 */
export function resolveLimitSet(
  rules: RateLimitDecoratorRule | readonly RateLimitDecoratorRule[],
  at: string,
): ResolvedLimitSet {
  const list: readonly RateLimitDecoratorRule[] = Array.isArray(rules)
    ? rules
    : [rules as RateLimitDecoratorRule];
  const path = Array.isArray(rules) ? (i: number) => `${at}[${i}]` : () => at;
  if (list.length === 0) {
    throw new CacheConfigError(at, 'expected a limit or a non-empty list of limits');
  }
  const limits = resolveRules(list, path, SET_RULE_KEYS);
  return { limits, keyBy: commonKeyBy(list, path) };
}

/** Validates a name given to a set of limits (in `rateLimit.named` or `@RateLimit('<name>')`). */
export function checkSetName(name: unknown, at: string): string {
  if (typeof name !== 'string' || !LIMIT_NAME.test(name)) {
    throw new CacheConfigError(
      at,
      `expected a name of 1-64 letters, digits, '_', '.' or '-'; got ${describe(name)}`,
    );
  }
  return name;
}

function resolveNamedSets(named: RateLimitOptions['named']): ReadonlyMap<string, ResolvedLimitSet> {
  const sets = new Map<string, ResolvedLimitSet>();
  if (named === undefined) return sets;
  if (typeof named !== 'object' || named === null || Array.isArray(named)) {
    throw new CacheConfigError(
      'rateLimit.named',
      `expected an object of named limit sets; got ${describe(named)}`,
    );
  }
  for (const [name, rules] of Object.entries(named)) {
    checkSetName(name, `rateLimit.named['${name}']`);
    sets.set(name, resolveLimitSet(rules, `rateLimit.named.${name}`));
  }
  return sets;
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
        'differs from an earlier limit of the same set; one request has one tracker',
      );
    }
    keyBy = resolved;
  });
  return keyBy;
}

/**
 * Validates a list of rules, naming each problem by `path(index)` plus the field, and rejects two
 * rules of one list with the same name (they would share a header entry and a counter).
 */
export function resolveRules(
  rules: readonly RateLimitRule[],
  path: (index: number) => string,
  extraKeys: ReadonlySet<string> = new Set(),
): ResolvedRateLimitRule[] {
  const seen = new Set<string>();
  return rules.map((rule, index) => {
    const at = path(index);
    const resolved = resolveRule(rule, at, extraKeys);
    if (seen.has(resolved.name)) {
      throw new CacheConfigError(`${at}.name`, `duplicate limit name '${resolved.name}'`);
    }
    seen.add(resolved.name);
    return resolved;
  });
}

function resolveRule(
  rule: RateLimitRule,
  at: string,
  extraKeys: ReadonlySet<string>,
): ResolvedRateLimitRule {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) {
    throw new CacheConfigError(at, `expected { limit, window }; got ${describe(rule)}`);
  }
  for (const key of Object.keys(rule)) {
    if (!KNOWN_RULE_OPTIONS.has(key) && !extraKeys.has(key)) {
      throw new CacheConfigError(`${at}.${key}`, 'unknown option');
    }
  }
  const name = rule.name ?? DEFAULT_LIMIT_NAME;
  if (typeof name !== 'string' || !LIMIT_NAME.test(name)) {
    throw new CacheConfigError(
      `${at}.name`,
      `expected 1-64 letters, digits, '_', '.' or '-'; got ${describe(name)}`,
    );
  }
  if (!Number.isSafeInteger(rule.limit) || rule.limit < 1) {
    throw new CacheConfigError(
      `${at}.limit`,
      `expected a positive integer; got ${describe(rule.limit)}`,
    );
  }
  if (rule.window === undefined) throw new CacheConfigError(`${at}.window`, 'is required');
  const window = Math.round(parseDuration(rule.window, `${at}.window`));
  if (window < 1) {
    throw new CacheConfigError(
      `${at}.window`,
      `expected at least 1 ms; got ${describe(rule.window)}`,
    );
  }
  const blockFor =
    rule.blockFor === undefined ? 0 : Math.round(parseDuration(rule.blockFor, `${at}.blockFor`));
  return { name, limit: rule.limit, window, blockFor };
}

/** Validates a `keyBy` option. */
export function resolveKeyBy(keyBy: unknown, option: string): RateLimitKeyBy {
  if (keyBy === 'ip' || keyBy === 'user' || typeof keyBy === 'function') {
    return keyBy as RateLimitKeyBy;
  }
  throw new CacheConfigError(
    option,
    `expected 'ip', 'user' or a function (context) => string; got ${describe(keyBy)}`,
  );
}

function oneOf<T extends string | boolean>(
  value: unknown,
  allowed: readonly T[],
  option: string,
): T {
  if ((allowed as readonly unknown[]).includes(value)) return value as T;
  const listed = allowed.map((a) => (typeof a === 'string' ? `'${a}'` : String(a))).join(', ');
  throw new CacheConfigError(option, `expected one of ${listed}; got ${describe(value)}`);
}

import type { ExecutionContext } from '@nestjs/common';
import type { Duration } from '../options/duration';

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

/** Options of `rateLimit` in `CacheModule.forRoot()`. */
export interface RateLimitOptions {
  limits: RateLimitRule[];
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

export interface ResolvedRateLimitOptions {
  limits: ResolvedRateLimitRule[];
  keyBy: RateLimitKeyBy;
  algorithm: 'sliding-window' | 'fixed-window';
  onStoreFailure: 'local' | 'open' | 'closed';
  headers: 'both' | 'draft' | 'legacy' | false;
}

/** Validates `rateLimit`; errors are `CacheConfigError`s naming the option (`rateLimit.limits[0].window`). */
export function resolveRateLimitOptions(options: RateLimitOptions): ResolvedRateLimitOptions {
  throw new Error(`not implemented yet: ${typeof options}`);
}

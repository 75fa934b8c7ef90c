/** Metadata set by `@RateLimit()`: the limits of a class or handler, validated. */
export const RATE_LIMIT_METADATA = 'CACHE:RATE_LIMIT';
/** Metadata set by `@SkipRateLimit()`: `true` (skip every limit) or the names to skip. */
export const SKIP_RATE_LIMIT_METADATA = 'CACHE:SKIP_RATE_LIMIT';

/** Name of a limit declared without one. */
export const DEFAULT_LIMIT_NAME = 'default';

/** Body `message` of every 429. */
export const RATE_LIMIT_MESSAGE =
  'Too many requests; retry after the number of seconds in Retry-After';
/** Body `message` of the 503 sent with `onStoreFailure: 'closed'` while the store is down. */
export const RATE_LIMIT_UNAVAILABLE_MESSAGE =
  'Rate limiting is unavailable (its store cannot be reached), so the request was refused';
/** Body `message` of the 500 sent when `keyBy: 'user'` finds no `request.user.sub`. */
export const RATE_LIMIT_NO_USER_MESSAGE =
  "Rate limiting by 'user' needs request.user.sub: run the authentication guard before RateLimitGuard";
/** Body `message` of the 500 sent when a tracker cannot be determined otherwise. */
export const RATE_LIMIT_NO_TRACKER_MESSAGE =
  'Rate limiting found no tracker for this request: keyBy must yield a non-empty string';

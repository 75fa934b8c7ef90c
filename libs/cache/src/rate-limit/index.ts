// Public exports of rate-limit/ (re-exported by the library's index.ts).
export { RateLimitGuard } from './rate-limit.guard';
export {
  RateLimit,
  SkipRateLimit,
  type RateLimitDecoratorRule,
  type RateLimitMetadata,
  type SkipRateLimitMetadata,
} from './rate-limit.decorator';
export { RateLimitException, type RateLimitExceptionBody } from './rate-limit.exception';
export {
  RATE_LIMIT_MESSAGE,
  RATE_LIMIT_METADATA,
  RATE_LIMIT_NO_TRACKER_MESSAGE,
  RATE_LIMIT_NO_USER_MESSAGE,
  RATE_LIMIT_UNAVAILABLE_MESSAGE,
  SKIP_RATE_LIMIT_METADATA,
} from './rate-limit.constants';
export type {
  RateLimitKeyBy,
  RateLimitOptions,
  RateLimitRule,
  ResolvedRateLimitOptions,
  ResolvedRateLimitRule,
} from './rate-limit.options';
export {
  RateLimitService,
  type RateLimitOutcome,
  type RateLimitSettings,
} from './rate-limit.service';
export {
  InjectRateLimitStore,
  RateLimitStore,
  type RateLimitAlgorithm,
  type RateLimitDecision,
  type RateLimitState,
} from './rate-limit-store.interface';
export { MemoryRateLimitStore } from './memory-rate-limit.store';
export { RedisRateLimitStore, type RedisRateLimitStoreOptions } from './redis-rate-limit.store';

import { Inject } from '@nestjs/common';
import type { ResolvedRateLimitRule } from './rate-limit.options';

/** How a store counts: a log of hits (exact) or one counter per aligned window. */
export type RateLimitAlgorithm = 'sliding-window' | 'fixed-window';

/** Where one limit stands after a hit was checked (and counted, when admitted). */
export interface RateLimitState {
  rule: ResolvedRateLimitRule;
  /** Requests still allowed now. */
  remaining: number;
  /** Ms until more requests are allowed: the oldest counted hit leaves the window, or it ends. */
  resetMs: number;
}

/** The verdict on one hit against every limit of a request. */
export interface RateLimitDecision {
  allowed: boolean;
  /** One per rule, in the order given. */
  limits: RateLimitState[];
  /** When denied: ms until every denying limit (and block) admits again; 0 when allowed. */
  retryAfterMs: number;
}

/**
 * Counts hits per tracker against named limits. Every limit of one hit is checked and counted as
 * one atomic step, all or nothing: a denied hit counts against none of them.
 */
export interface RateLimitStore {
  /**
   * Checks `tracker`'s hit against every rule; counts it against all of them only if all admit.
   * A store that decides in memory may answer synchronously; a failure may be thrown or rejected.
   */
  hit(
    tracker: string,
    rules: readonly ResolvedRateLimitRule[],
    algorithm: RateLimitAlgorithm,
  ): RateLimitDecision | Promise<RateLimitDecision>;
}

/** DI token of the module's rate-limit store (Redis when configured, else memory). */
export const RateLimitStore = Symbol('CACHE:RATE_LIMIT_STORE');

/** Injects the module's {@link RateLimitStore}. */
export const InjectRateLimitStore = (): ParameterDecorator => Inject(RateLimitStore);

import { Injectable, Logger } from '@nestjs/common';
import { isThenable } from '../concurrency/thenable';
import { CacheTimeoutError } from '../errors';
import { CacheEvents } from '../metrics/cache-events';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import type { ResolvedRateLimitOptions, ResolvedRateLimitRule } from './rate-limit.options';
import {
  InjectRateLimitStore,
  RateLimitStore,
  type RateLimitDecision,
} from './rate-limit-store.interface';

/** How a hit went: decided by a store, or undecidable because the store failed. */
export type RateLimitOutcome =
  | { status: 'decided'; decision: RateLimitDecision }
  /** The store failed and `onStoreFailure` is `'open'` (`admit: true`) or `'closed'`. */
  | { status: 'unavailable'; admit: boolean };

/** How many trackers the service remembers the store reported out of budget. */
const MAX_EXHAUSTED = 10_000;

/** The settings of a hit that come from the module, not from the route. */
export type RateLimitSettings = Pick<ResolvedRateLimitOptions, 'algorithm' | 'onStoreFailure'> & {
  /**
   * With `onStoreFailure: 'local'`, what a hit gets when it was sent to the store and no answer
   * came in time (the store may have counted it, and admitted others meanwhile): `'local'`
   * (default) decides it in memory like any hit made during an outage; `'refuse'` refuses it and
   * every later hit of its tracker until the store decides that tracker again (at most the longest
   * window), so a burst that outlasts `commandTimeout` is never admitted beyond what the store
   * itself admitted. Meant for limits that guard against guessing (logins).
   */
  unanswered?: 'local' | 'refuse';
};

/** Retry-After of a hit refused because the store did not answer it: the store is probed every 200 ms. */
const UNANSWERED_RETRY_MS = 1000;

/**
 * Counts hits in the module's store and is the one place that decides what a store failure means
 * (`onStoreFailure`): count in this process's memory until the store answers again (`'local'`),
 * admit (`'open'`) or refuse (`'closed'`). It logs once per outage and emits an event per hit.
 * It never queues or retries: a failed hit is never sent again, so none is replayed later.
 *
 * The local fallback starts from what the store last said: a tracker the store reported out of
 * budget stays refused until that budget would have come back. A store that answers late under a
 * burst therefore cannot let each instance admit a full limit of its own on top of the shared one.
 *
 * @example
 * const outcome = await app.get(RateLimitService).hit('key:job-42', limits, settings);
 */
@Injectable()
export class RateLimitService {
  private readonly logger = new Logger(RateLimitService.name);
  private readonly local = new MemoryRateLimitStore();
  /** Trackers (with their rules) the store last reported out of budget -> until when (epoch ms). */
  private readonly exhausted = new Map<string, number>();
  private outageSince: number | undefined;

  constructor(
    @InjectRateLimitStore() private readonly store: RateLimitStore,
    private readonly events: CacheEvents,
  ) {}

  /**
   * Checks (and, if admitted, counts) one hit of `tracker` against `rules`. The tracker becomes
   * part of a key: keep it short (hash long ones) and prefixed by its kind (`ip:`, `user:`).
   */
  async hit(
    tracker: string,
    rules: readonly ResolvedRateLimitRule[],
    settings: RateLimitSettings,
  ): Promise<RateLimitOutcome> {
    return this.check(tracker, rules, settings);
  }

  /**
   * {@link hit}, answered synchronously when the store answers synchronously (the memory store),
   * so a guard on it adds no promise to a request. It never throws: a store failure is an outcome.
   */
  check(
    tracker: string,
    rules: readonly ResolvedRateLimitRule[],
    settings: RateLimitSettings,
  ): RateLimitOutcome | Promise<RateLimitOutcome> {
    let answer: RateLimitDecision | Promise<RateLimitDecision>;
    try {
      answer = this.store.hit(tracker, rules, settings.algorithm);
    } catch (error) {
      return this.failed(error, tracker, rules, settings);
    }
    if (!isThenable(answer)) return this.decided(tracker, rules, answer);
    return Promise.resolve(answer).then(
      (decision) => this.decided(tracker, rules, decision),
      (error: unknown) => this.failed(error, tracker, rules, settings),
    );
  }

  private decided(
    tracker: string,
    rules: readonly ResolvedRateLimitRule[],
    decision: RateLimitDecision,
  ): RateLimitOutcome {
    if (this.outageSince !== undefined) this.noteRecovery();
    this.remember(tracker, rules, decision);
    this.report(tracker, decision);
    return { status: 'decided', decision };
  }

  private failed(
    error: unknown,
    tracker: string,
    rules: readonly ResolvedRateLimitRule[],
    settings: RateLimitSettings,
  ): RateLimitOutcome {
    const mode = settings.onStoreFailure;
    this.noteFailure(error, mode);
    if (mode !== 'local') return { status: 'unavailable', admit: mode === 'open' };
    const exhausted = this.stillExhausted(tracker, rules);
    let decision: RateLimitDecision;
    if (settings.unanswered === 'refuse' && error instanceof CacheTimeoutError) {
      // The store may have counted this hit and admitted others: until it decides this tracker
      // again, its budget is unknown, so it is treated as spent (a later answer clears it).
      const windowMs = Math.max(...rules.map((rule) => rule.window));
      this.markExhausted(
        exhaustionKey(tracker, rules),
        Math.max(windowMs, exhausted?.retryAfterMs ?? 0),
      );
      decision = exhausted ?? refusal(rules, UNANSWERED_RETRY_MS);
    } else {
      decision = exhausted ?? this.local.hit(tracker, rules, settings.algorithm);
    }
    this.report(tracker, decision);
    return { status: 'decided', decision };
  }

  private remember(
    tracker: string,
    rules: readonly ResolvedRateLimitRule[],
    decision: RateLimitDecision,
  ): void {
    let waitMs = decision.allowed ? 0 : decision.retryAfterMs;
    for (const limit of decision.limits) {
      if (decision.allowed && limit.remaining === 0) waitMs = Math.max(waitMs, limit.resetMs);
    }
    // The common case, on every request: nothing to remember and nothing to forget.
    if (waitMs <= 0 && this.exhausted.size === 0) return;
    const key = exhaustionKey(tracker, rules);
    this.exhausted.delete(key);
    if (waitMs > 0) this.markExhausted(key, waitMs);
  }

  private markExhausted(key: string, waitMs: number): void {
    this.exhausted.set(key, Date.now() + waitMs);
    if (this.exhausted.size > MAX_EXHAUSTED) {
      this.exhausted.delete(this.exhausted.keys().next().value as string);
    }
  }

  /** A refusal when the store last said this tracker is out of budget until later than now. */
  private stillExhausted(
    tracker: string,
    rules: readonly ResolvedRateLimitRule[],
  ): RateLimitDecision | undefined {
    const until = this.exhausted.get(exhaustionKey(tracker, rules));
    const waitMs = until === undefined ? 0 : until - Date.now();
    return waitMs > 0 ? refusal(rules, waitMs) : undefined;
  }

  private noteFailure(error: unknown, mode: RateLimitSettings['onStoreFailure']): void {
    if (this.events.active) this.events.emit({ type: 'rateLimit.storeFailure', mode });
    if (this.outageSince !== undefined) return;
    this.outageSince = Date.now();
    const meanwhile = {
      local: 'enforcing limits per process in memory',
      open: 'admitting every request',
      closed: 'refusing every limited request with 503',
    }[mode];
    this.logger.warn(
      `Rate limit store unavailable; ${meanwhile} until it answers again: ${describeError(error)}`,
    );
  }

  private noteRecovery(): void {
    const outage = Date.now() - (this.outageSince ?? Date.now());
    this.outageSince = undefined;
    this.logger.log(`Rate limit store answers again after ${outage} ms`);
  }

  // One event per limit: `allowed` for each limit the hit was counted against, `denied` for each
  // limit (or block) that refused it, so a sink can count per limit name.
  private report(tracker: string, decision: RateLimitDecision): void {
    if (!this.events.active) return;
    for (const { rule, remaining } of decision.limits) {
      if (decision.allowed) {
        this.events.emit({ type: 'rateLimit.allowed', limit: rule.name, tracker });
      } else if (remaining === 0) {
        this.events.emit({ type: 'rateLimit.denied', limit: rule.name, tracker });
      }
    }
  }
}

function refusal(rules: readonly ResolvedRateLimitRule[], waitMs: number): RateLimitDecision {
  return {
    allowed: false,
    retryAfterMs: waitMs,
    limits: rules.map((rule) => ({ rule, remaining: 0, resetMs: waitMs })),
  };
}

function exhaustionKey(tracker: string, rules: readonly ResolvedRateLimitRule[]): string {
  return `${tracker}\n${rules.map((r) => `${r.name}:${r.limit}:${r.window}`).join(',')}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import type { ResolvedRateLimitRule } from './rate-limit.options';
import type {
  RateLimitAlgorithm,
  RateLimitDecision,
  RateLimitStore,
} from './rate-limit-store.interface';

/** Where one limit stands for one tracker. */
interface LimitState {
  /** sliding-window: the admitted hits, oldest first, from `head` on. */
  hits: number[];
  head: number;
  /** fixed-window: the hits counted in the window starting at `start`. */
  start: number;
  count: number;
  /** blockFor: every hit is refused until then. */
  blockedUntil: number;
  /** Nothing of it matters any more from then on. */
  expiresAt: number;
}

interface Verdict {
  count: number;
  resetMs: number;
  waitMs: number;
  over: boolean;
}

const SWEEP_EVERY_MS = 10_000;
const COMPACT_AFTER = 64;
/** Monotonic milliseconds since the epoch, so a wall-clock step cannot reopen a window. */
const monotonicNow = (): number => performance.timeOrigin + performance.now();

/**
 * Rate limits in this process's memory: the store without Redis, and the `'local'` fallback while
 * Redis is down. The same algorithms as the Redis script, step for step (an exact log of hits for
 * sliding-window, one counter per epoch-aligned window for fixed-window, all or nothing, blocks),
 * so a limit means the same on both. It answers synchronously (the guard then adds no promise of
 * its own). State is kept per tracker, then per limit (name, limit and window: routes declaring
 * the same limit share its budget); expired state is swept lazily, and no timer keeps the process up.
 *
 * @example
 * const store = new MemoryRateLimitStore();
 * store.hit('203.0.113.7', [{ name: 'default', limit: 10, window: 1000, blockFor: 0 }], 'sliding-window');
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly trackers = new Map<string, Map<string, LimitState>>();
  private nextSweep = 0;

  constructor(private readonly now: () => number = monotonicNow) {}

  hit(
    tracker: string,
    rules: readonly ResolvedRateLimitRule[],
    algorithm: RateLimitAlgorithm,
  ): RateLimitDecision {
    const now = this.now();
    this.sweep(now);
    const sliding = algorithm === 'sliding-window';
    let limits = this.trackers.get(tracker);
    if (!limits) this.trackers.set(tracker, (limits = new Map()));
    const states: LimitState[] = [];
    const verdicts: Verdict[] = [];
    let allowed = true;
    for (const rule of rules) {
      const state = stateOf(limits, rule);
      const verdict = check(state, rule, now, sliding);
      states.push(state);
      verdicts.push(verdict);
      if (verdict.over) allowed = false;
    }
    let retry = 0;
    for (let i = 0; i < rules.length; i++) {
      const verdict = verdicts[i];
      if (allowed) count(states[i], rules[i], now, sliding, verdict);
      else if (verdict.over && rules[i].blockFor > 0) block(states[i], rules[i], now, verdict);
      if (verdict.over) retry = Math.max(retry, verdict.waitMs);
    }
    return {
      allowed,
      retryAfterMs: allowed ? 0 : Math.max(1, Math.ceil(retry)),
      limits: rules.map((rule, i) => ({
        rule,
        remaining: verdicts[i].over ? 0 : Math.max(0, rule.limit - verdicts[i].count),
        resetMs: Math.ceil(verdicts[i].resetMs),
      })),
    };
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const [tracker, limits] of this.trackers) {
      for (const [key, state] of limits) if (state.expiresAt <= now) limits.delete(key);
      if (limits.size === 0) this.trackers.delete(tracker);
    }
  }
}

/** A limit's key among its tracker's: built once per rule object. */
const ruleKeys = new WeakMap<ResolvedRateLimitRule, string>();

function stateOf(limits: Map<string, LimitState>, rule: ResolvedRateLimitRule): LimitState {
  let key = ruleKeys.get(rule);
  if (key === undefined) ruleKeys.set(rule, (key = `${rule.name}:${rule.limit}:${rule.window}`));
  let state = limits.get(key);
  if (!state) {
    state = { hits: [], head: 0, start: 0, count: 0, blockedUntil: 0, expiresAt: 0 };
    limits.set(key, state);
  }
  return state;
}

function check(
  state: LimitState,
  rule: ResolvedRateLimitRule,
  now: number,
  sliding: boolean,
): Verdict {
  const verdict = sliding ? slidingVerdict(state, rule, now) : fixedVerdict(state, rule, now);
  const blockedMs = rule.blockFor > 0 ? state.blockedUntil - now : 0;
  if (blockedMs > 0) {
    verdict.over = true;
    verdict.waitMs = Math.max(verdict.waitMs, blockedMs);
    verdict.resetMs = Math.max(verdict.resetMs, blockedMs);
  }
  return verdict;
}

function slidingVerdict(state: LimitState, rule: ResolvedRateLimitRule, now: number): Verdict {
  const { hits } = state;
  while (state.head < hits.length && hits[state.head] <= now - rule.window) state.head++;
  const count = hits.length - state.head;
  const over = count >= rule.limit;
  return {
    count,
    resetMs: count > 0 ? hits[state.head] + rule.window - now : 0,
    // the hit whose leaving brings the count below the limit
    waitMs: over ? hits[state.head + count - rule.limit] + rule.window - now : 0,
    over,
  };
}

function fixedVerdict(state: LimitState, rule: ResolvedRateLimitRule, now: number): Verdict {
  const start = windowStart(now, rule.window);
  const count = state.start === start ? state.count : 0;
  const resetMs = start + rule.window - now;
  const over = count >= rule.limit;
  return { count, resetMs, waitMs: over ? resetMs : 0, over };
}

function count(
  state: LimitState,
  rule: ResolvedRateLimitRule,
  now: number,
  sliding: boolean,
  verdict: Verdict,
): void {
  if (sliding) {
    if (state.head > COMPACT_AFTER && state.head * 2 > state.hits.length) {
      state.hits = state.hits.slice(state.head);
      state.head = 0;
    }
    state.hits.push(now);
    state.expiresAt = Math.max(state.expiresAt, now + rule.window);
    if (verdict.count === 0) verdict.resetMs = rule.window;
  } else {
    const start = windowStart(now, rule.window);
    if (state.start !== start) {
      state.start = start;
      state.count = 0;
    }
    state.count++;
    state.expiresAt = Math.max(state.expiresAt, start + rule.window);
  }
  verdict.count++;
}

function block(
  state: LimitState,
  rule: ResolvedRateLimitRule,
  now: number,
  verdict: Verdict,
): void {
  if (state.blockedUntil > now) return; // a block is never extended
  state.blockedUntil = now + rule.blockFor;
  state.expiresAt = Math.max(state.expiresAt, state.blockedUntil);
  verdict.waitMs = Math.max(verdict.waitMs, rule.blockFor);
  verdict.resetMs = Math.max(verdict.resetMs, rule.blockFor);
}

function windowStart(now: number, window: number): number {
  return Math.floor(now / window) * window;
}

import type { ResolvedRateLimitRule } from './rate-limit.options';
import type {
  RateLimitAlgorithm,
  RateLimitDecision,
  RateLimitStore,
} from './rate-limit-store.interface';

/** The admitted hits of one sliding-window limit, oldest first, from `head` on. */
interface HitLog {
  hits: number[];
  head: number;
  expiresAt: number;
}

/** The hits of one fixed-window limit in the window starting at `start`. */
interface WindowCount {
  start: number;
  count: number;
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
 * so a limit means the same on both. Expired state is swept lazily; no timer keeps the process up.
 *
 * @example
 * const store = new MemoryRateLimitStore();
 * await store.hit('203.0.113.7', [{ name: 'default', limit: 10, window: 1000, blockFor: 0 }], 'sliding-window');
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly logs = new Map<string, HitLog>();
  private readonly counts = new Map<string, WindowCount>();
  private readonly blocks = new Map<string, number>();
  private nextSweep = 0;

  constructor(private readonly now: () => number = monotonicNow) {}

  async hit(
    tracker: string,
    rules: readonly ResolvedRateLimitRule[],
    algorithm: RateLimitAlgorithm,
  ): Promise<RateLimitDecision> {
    const now = this.now();
    this.sweep(now);
    const sliding = algorithm === 'sliding-window';
    const keys = rules.map((rule) => `${tracker}}:${rule.name}:${rule.limit}:${rule.window}`);
    const verdicts = rules.map((rule, i) => this.check(keys[i], rule, now, sliding));
    const allowed = verdicts.every((verdict) => !verdict.over);
    rules.forEach((rule, i) => {
      if (allowed) this.count(keys[i], rule, now, sliding, verdicts[i]);
      else if (verdicts[i].over && rule.blockFor > 0) this.block(keys[i], rule, now, verdicts[i]);
    });
    const retry = Math.max(0, ...verdicts.map((v) => (v.over ? v.waitMs : 0)));
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

  private check(key: string, rule: ResolvedRateLimitRule, now: number, sliding: boolean): Verdict {
    const verdict = sliding
      ? this.slidingVerdict(key, rule, now)
      : this.fixedVerdict(key, rule, now);
    const blockedMs = rule.blockFor > 0 ? (this.blocks.get(key) ?? 0) - now : 0;
    if (blockedMs > 0) {
      verdict.over = true;
      verdict.waitMs = Math.max(verdict.waitMs, blockedMs);
      verdict.resetMs = Math.max(verdict.resetMs, blockedMs);
    }
    return verdict;
  }

  private slidingVerdict(key: string, rule: ResolvedRateLimitRule, now: number): Verdict {
    const log = this.logs.get(key);
    if (!log) return { count: 0, resetMs: 0, waitMs: 0, over: false };
    while (log.head < log.hits.length && log.hits[log.head] <= now - rule.window) log.head++;
    const count = log.hits.length - log.head;
    const over = count >= rule.limit;
    return {
      count,
      resetMs: count > 0 ? log.hits[log.head] + rule.window - now : 0,
      // the hit whose leaving brings the count below the limit
      waitMs: over ? log.hits[log.head + count - rule.limit] + rule.window - now : 0,
      over,
    };
  }

  private fixedVerdict(key: string, rule: ResolvedRateLimitRule, now: number): Verdict {
    const start = windowStart(now, rule.window);
    const state = this.counts.get(key);
    const count = state && state.start === start ? state.count : 0;
    const resetMs = start + rule.window - now;
    const over = count >= rule.limit;
    return { count, resetMs, waitMs: over ? resetMs : 0, over };
  }

  private count(
    key: string,
    rule: ResolvedRateLimitRule,
    now: number,
    sliding: boolean,
    verdict: Verdict,
  ): void {
    if (sliding) {
      const log = this.logs.get(key) ?? { hits: [], head: 0, expiresAt: 0 };
      if (log.head > COMPACT_AFTER && log.head * 2 > log.hits.length) {
        log.hits = log.hits.slice(log.head);
        log.head = 0;
      }
      log.hits.push(now);
      log.expiresAt = now + rule.window;
      this.logs.set(key, log);
      if (verdict.count === 0) verdict.resetMs = rule.window;
    } else {
      const start = windowStart(now, rule.window);
      const state = this.counts.get(key);
      if (state && state.start === start) state.count++;
      else this.counts.set(key, { start, count: 1, expiresAt: start + rule.window });
    }
    verdict.count++;
  }

  private block(key: string, rule: ResolvedRateLimitRule, now: number, verdict: Verdict): void {
    if ((this.blocks.get(key) ?? 0) > now) return; // a block is never extended
    this.blocks.set(key, now + rule.blockFor);
    verdict.waitMs = Math.max(verdict.waitMs, rule.blockFor);
    verdict.resetMs = Math.max(verdict.resetMs, rule.blockFor);
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const [key, log] of this.logs) if (log.expiresAt <= now) this.logs.delete(key);
    for (const [key, state] of this.counts) if (state.expiresAt <= now) this.counts.delete(key);
    for (const [key, until] of this.blocks) if (until <= now) this.blocks.delete(key);
  }
}

function windowStart(now: number, window: number): number {
  return Math.floor(now / window) * window;
}

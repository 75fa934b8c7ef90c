import type { ResolvedRateLimitOptions } from './rate-limit.options';
import type { RateLimitState } from './rate-limit-store.interface';

const seconds = (ms: number): number => Math.ceil(ms / 1000);

/**
 * The rate-limit headers of a response: the IETF draft's `RateLimit-Policy` and `RateLimit`
 * (every limit, `w` and `t` in whole seconds, rounded up) and the legacy `X-RateLimit-*` for the
 * most restrictive limit (fewest remaining; on a tie, the later reset).
 *
 * @example
 * rateLimitHeaders('draft', decision.limits)
 * // { 'RateLimit-Policy': '"default";q=100;w=60', RateLimit: '"default";r=42;t=17' }
 */
export function rateLimitHeaders(
  mode: ResolvedRateLimitOptions['headers'],
  limits: readonly RateLimitState[],
  policy: string = rateLimitPolicy(limits.map(({ rule }) => rule)),
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (mode === false || limits.length === 0) return headers;
  if (mode === 'both' || mode === 'draft') {
    headers['RateLimit-Policy'] = policy;
    headers['RateLimit'] = limits
      .map(({ rule, remaining, resetMs }) => `"${rule.name}";r=${remaining};t=${seconds(resetMs)}`)
      .join(', ');
  }
  if (mode === 'both' || mode === 'legacy') {
    const tightest = limits.reduce((a, b) =>
      b.remaining < a.remaining || (b.remaining === a.remaining && b.resetMs > a.resetMs) ? b : a,
    );
    headers['X-RateLimit-Limit'] = String(tightest.rule.limit);
    headers['X-RateLimit-Remaining'] = String(tightest.remaining);
    headers['X-RateLimit-Reset'] = String(seconds(tightest.resetMs));
  }
  return headers;
}

/**
 * The `RateLimit-Policy` value of a set of limits. It depends on the limits only, so a guard
 * computes it once per route and passes it to {@link rateLimitHeaders}.
 */
export function rateLimitPolicy(rules: readonly RateLimitState['rule'][]): string {
  return rules
    .map((rule) => `"${rule.name}";q=${rule.limit};w=${Math.max(1, seconds(rule.window))}`)
    .join(', ');
}

/**
 * Sets a header on an Express response (Node's own `setHeader`, without Express's wrapper) or a
 * Fastify reply (`header`).
 */
export function setResponseHeader(response: unknown, name: string, value: string): void {
  const target = response as {
    header?: (name: string, value: string) => unknown;
    setHeader?: (name: string, value: string) => unknown;
  };
  if (typeof target.setHeader === 'function') target.setHeader(name, value);
  else target.header?.(name, value);
}

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
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (mode === false || limits.length === 0) return headers;
  if (mode === 'both' || mode === 'draft') {
    headers['RateLimit-Policy'] = limits
      .map(({ rule }) => `"${rule.name}";q=${rule.limit};w=${Math.max(1, seconds(rule.window))}`)
      .join(', ');
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

/** Sets a header on an Express response or a Fastify reply. */
export function setResponseHeader(response: unknown, name: string, value: string): void {
  const target = response as {
    header?: (name: string, value: string) => unknown;
    setHeader?: (name: string, value: string) => unknown;
  };
  if (typeof target.header === 'function') target.header(name, value);
  else target.setHeader?.(name, value);
}

import type { RequestKind, Sample } from './load-generator';

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function latencyOf(samples: readonly { start: number; end: number }[]): LatencySummary {
  const sorted = samples.map((s) => s.end - s.start).sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1],
  };
}

export const is2xx = (status: number): boolean => status >= 200 && status < 300;
export const is5xx = (status: number): boolean => status >= 500 && status < 600;

/** Non-2xx answers by status: `{ '503': 12, 'no answer': 1 }`. */
export function non2xxByStatus(samples: readonly { status: number }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of samples) {
    if (is2xx(status)) continue;
    const key = status === 0 ? 'no answer' : String(status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Answers by status, 2xx included: `{ '200': 5, '429': 995 }`. */
export function countByStatus(samples: readonly { status: number }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of samples) {
    const key = status === 0 ? 'no answer' : String(status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k}×${n}`).join(', ');
}

/** Samples that started within [from, to). */
export function startedWithin<T extends { start: number }>(
  samples: readonly T[],
  from: number,
  to = Infinity,
): T[] {
  return samples.filter((s) => s.start >= from && s.start < to);
}

export function ofKinds(samples: readonly Sample[], kinds: readonly RequestKind[]): Sample[] {
  return samples.filter((s) => kinds.includes(s.kind));
}

/** Per kind: count, non-2xx, p50/p99/max; one line each, for the notes. */
export function perKind(samples: readonly Sample[]): string[] {
  const kinds = [...new Set(samples.map((s) => s.kind))].sort();
  return kinds.map((kind) => {
    const of = samples.filter((s) => s.kind === kind);
    const l = latencyOf(of);
    return `${kind}: ${of.length} req, non-2xx ${formatCounts(non2xxByStatus(of))}, p50/p99/max ${ms(l.p50)}/${ms(l.p99)}/${ms(l.max)} ms`;
  });
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value >= 100 ? String(Math.round(value)) : value.toFixed(1);
}

/** Kinds whose time is mostly scrypt on a shared CPU, not Redis: left out of "slow". */
export const CPU_BOUND_KINDS: readonly RequestKind[] = ['login', 'create'];

/**
 * Time from `from` until the end of the last abnormal answer among the requests sent after it:
 * non-2xx, or slower than `slowMs` (except sign-ups and logins, whose time is scrypt's); 0 when
 * every one of them was normal.
 */
export function recoveryTime(samples: readonly Sample[], from: number, slowMs: number): number {
  let last = from;
  for (const s of samples) {
    if (s.start < from) continue;
    if (isAbnormal(s, slowMs)) last = Math.max(last, s.end);
  }
  return last - from;
}

export function isAbnormal(s: Sample, slowMs: number): boolean {
  return !is2xx(s.status) || (s.end - s.start > slowMs && !CPU_BOUND_KINDS.includes(s.kind));
}

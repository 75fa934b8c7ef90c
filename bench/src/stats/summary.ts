/** Median with the range of the repetitions it came from. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * The ratio of `a` to `b` paired per repetition (both were measured in the same round, one right
 * after the other), summarised as the median of the per-repetition ratios.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): Spread {
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(a[i] / b[i]);
  return spread(ratios);
}

/** `12,345 (11,902–12,810)` */
export function formatSpread(s: Spread, digits = 0, unit = ''): string {
  if (!Number.isFinite(s.median)) return 'n/a';
  const f = (x: number): string => formatNumber(x, digits) + unit;
  return s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

export function formatNumber(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** `1.23x (1.10–1.31)` */
export function formatRatio(s: Spread): string {
  if (!Number.isFinite(s.median)) return 'n/a';
  const f = (x: number): string => `${x.toFixed(2)}x`;
  return s.min === s.max ? f(s.median) : `${f(s.median)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

/** Commands per operation, e.g. `evalsha 1.00` or `get 1.00, set 0.01`. */
export function formatCommands(commands: Record<string, number>, ops: number): string {
  const entries = Object.entries(commands).filter(([, calls]) => calls / ops >= 0.005);
  if (ops === 0) return 'n/a';
  if (entries.length === 0) return '0';
  return entries
    .sort((a, b) => b[1] - a[1])
    .map(([command, calls]) => `${command} ${(calls / ops).toFixed(2)}`)
    .join(', ');
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

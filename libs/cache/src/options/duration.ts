import { CacheConfigError } from '../errors';

/** A number of milliseconds, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/**
 * Parses a duration into milliseconds. Throws a `CacheConfigError` naming `option` when the value
 * is not a finite, non-negative number of milliseconds or a string with a unit.
 *
 * @example parseDuration('5m', 'ttl') // 300000
 */
export function parseDuration(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    if (match) return Math.round(Number(match[1]) * UNIT_MS[match[2]]);
  }
  throw new CacheConfigError(
    option,
    `expected a number of milliseconds or a string like '250ms', '30s', '5m', '1h', '1d'; got ${describe(value)}`,
  );
}

/** Like {@link parseDuration}, but `undefined` yields `fallback`. */
export function optionalDuration(value: unknown, option: string, fallback: number): number {
  return value === undefined ? fallback : parseDuration(value, option);
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object' && value !== null)
    return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

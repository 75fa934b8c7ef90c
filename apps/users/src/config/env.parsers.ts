import { parseDuration } from '@app/cache';
import { ConfigError } from './config.error';

/** A limit as `RATE_LIMIT` and `LOGIN_RATE_LIMIT` write it: `100/10s`. */
export interface RateSpec {
  limit: number;
  /** Milliseconds. */
  window: number;
}

const RATE = /^(\d+)\s*\/\s*(\S+)$/;
const BARE_UNIT = /^(ms|s|m|h|d)$/;
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** An integer within bounds. */
export function parseInteger(name: string, value: string, min: number, max: number): number {
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new ConfigError(name, `expected an integer from ${min} to ${max}; got '${value}'`);
  }
  return number;
}

/** `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`). */
export function parseBoolean(name: string, value: string): boolean {
  const word = value.toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  throw new ConfigError(name, `expected true or false; got '${value}'`);
}

/** A duration with a unit (`15m`, `30s`, `250ms`, `1h`, `1d`), in milliseconds. */
export function parseDurationVar(
  name: string,
  value: string,
  minMs: number,
  maxMs: number,
): number {
  let ms: number;
  try {
    ms = parseDuration(value, name);
  } catch {
    throw new ConfigError(
      name,
      `expected a duration with a unit such as '250ms', '30s', '15m', '1h' or '1d'; got '${value}'`,
    );
  }
  if (ms < minMs || ms > maxMs) {
    throw new ConfigError(
      name,
      `expected a duration from ${describeMs(minMs)} to ${describeMs(maxMs)}; got '${value}'`,
    );
  }
  return ms;
}

/** `<limit>/<window>`: `100/10s`, `5/1m`, or `5/m` for one unit. */
export function parseRate(name: string, value: string): RateSpec {
  const match = RATE.exec(value.trim());
  const limit = match ? Number(match[1]) : NaN;
  if (!match || !Number.isSafeInteger(limit) || limit < 1) {
    throw new ConfigError(
      name,
      `expected '<requests>/<window>' with a positive number of requests, such as '100/10s' or '5/1m'; got '${value}'`,
    );
  }
  const window = BARE_UNIT.test(match[2]) ? `1${match[2]}` : match[2];
  return { limit, window: parseDurationVar(name, window, 1000, 86_400_000) };
}

/** A `redis://` or `rediss://` URL. It may hold a password, so the error never repeats it. */
export function parseRedisUrl(name: string, value: string): string {
  let valid = false;
  try {
    const url = new URL(value);
    valid = (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new ConfigError(name, 'expected a URL such as redis://host:6379 or rediss://host:6380');
  }
  return value;
}

/** `host:port,host:port,...`: the seed nodes of a Redis Cluster (host names or IPv4). */
export function parseNodeList(name: string, value: string): string[] {
  const nodes = value.split(',').map((node) => node.trim());
  for (const node of nodes) {
    const match = /^([A-Za-z0-9._-]+):(\d{1,5})$/.exec(node);
    if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      throw new ConfigError(
        name,
        `expected a comma-separated list of host:port, such as 'redis-1:6379,redis-2:6379'; got '${node}'`,
      );
    }
  }
  return nodes;
}

function describeMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

import { createHash } from 'node:crypto';
import { CacheKeyError } from '../errors';
import { escapeLoneSurrogate, hasLoneSurrogate } from './lone-surrogate';

/** A value allowed as one part of a cache key. */
export type KeyPart = string | number | bigint | boolean;

/** The type of {@link cacheKey}: builds a key from parts, and hashes a value into a key part. */
export interface CacheKeyFn {
  (...parts: KeyPart[]): string;
  /**
   * A 16-character base64url hash (96 bits of sha256) of a value, ignoring object key order.
   * @example cacheKey('search', cacheKey.hash({ q: 'ada', page: 2 }))
   */
  hash(value: unknown): string;
}

/** What a key part escapes: `%`, `:` and half a UTF-16 surrogate pair on its own. */
const ESCAPED = /[%:]|\p{Surrogate}/gu;

/**
 * Encodes one key part: its text with `%` written as `%25` and `:` as `%3A`, so a part can never
 * look like two, and a lone surrogate as `%uD800` (see `lone-surrogate.ts`). Parts are compared
 * by text: `1`, `1n` and `'1'` give the same part.
 * @throws {CacheKeyError} when the part is not a string, number, bigint or boolean.
 */
export function encodeKeyPart(part: KeyPart): string {
  if (typeof part === 'string') {
    return part.includes(':') || part.includes('%') || hasLoneSurrogate(part)
      ? part.replace(ESCAPED, escapeChar)
      : part;
  }
  if (typeof part === 'number' || typeof part === 'bigint' || typeof part === 'boolean') {
    return String(part); // never holds ':' or '%'
  }
  throw new CacheKeyError(
    `A cache key part must be a string, number, bigint or boolean; got ${typeOf(part)}`,
  );
}

/**
 * Joins encoded parts with `:`. Distinct lists of parts give distinct keys, except that parts with
 * the same text are the same part (`cacheKey('user', 1) === cacheKey('user', '1')`), which is what
 * lets a template `'user:{0}'` share entries with it. Plain parts stay readable. Needs one part at
 * least.
 * @example cacheKey('user', 1) // 'user:1'
 * @example cacheKey('user', '1:2') // 'user:1%3A2', not cacheKey('user', 1, 2) === 'user:1:2'
 */
export const cacheKey: CacheKeyFn = Object.assign(
  (...parts: KeyPart[]): string => {
    if (parts.length === 0) throw new CacheKeyError('cacheKey() needs at least one part');
    let key = encodeKeyPart(parts[0]);
    for (let i = 1; i < parts.length; i++) key += ':' + encodeKeyPart(parts[i]);
    return key;
  },
  { hash: hashValue },
);

function hashValue(value: unknown): string {
  const text = canonical(value) ?? 'undefined';
  return createHash('sha256').update(text).digest('base64url').slice(0, 16);
}

/**
 * JSON with sorted object keys, as `JSON.stringify` would treat the value (undefined, functions and
 * symbols are skipped in objects and `null` in arrays; `toJSON` is honoured, so a Date is its ISO
 * string). What JSON cannot hold gets tokens no JSON text contains: `NaN`, `Infinity`, `12n`, and
 * `Map[...]`/`Set[...]` with their entries sorted by their own canonical text.
 */
function canonical(value: unknown, useToJSON = true): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return String(value); // -0 is '0'; NaN and ±Infinity stay tokens
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `${value}n`;
    case 'object':
      return value === null ? 'null' : canonicalObject(value, useToJSON);
    default:
      return undefined;
  }
}

function canonicalObject(value: object, useToJSON: boolean): string | undefined {
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => canonical(item) ?? 'null').join(',')}]`;
  }
  if (value instanceof Map) {
    const entries = [...value].map(
      ([k, v]) => `[${canonical(k) ?? 'null'},${canonical(v) ?? 'null'}]`,
    );
    return `Map[${entries.sort().join(',')}]`;
  }
  if (value instanceof Set) {
    const items = [...value].map((item: unknown) => canonical(item) ?? 'null');
    return `Set[${items.sort().join(',')}]`;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  // Like JSON.stringify, the result of toJSON() is not asked for its own toJSON().
  if (useToJSON && typeof toJSON === 'function') return canonical(toJSON.call(value), false);
  const record = value as Record<string, unknown>;
  const fields: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const text = canonical(record[key]);
    if (text !== undefined) fields.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${fields.join(',')}}`;
}

function escapeChar(char: string): string {
  if (char === '%') return '%25';
  if (char === ':') return '%3A';
  return escapeLoneSurrogate(char);
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

import { CacheDecodeError } from '../errors';
import { CacheSerializer } from './serializer.interface';

/** First character of a payload that is plain JSON (no special values anywhere). */
const PLAIN = 'J';
/** First character of a payload whose special values are written as `~` tags. */
const TAGGED = 'T';
const TILDE = 126; // '~'

const UNDEFINED = '~u';
const NAN = '~N';
const POS_INFINITY = '~I';
const NEG_INFINITY = '~-I';
const DATE = '~d';
const BIGINT = '~b';
const BUFFER = '~B';
const BYTES = '~U';
const MAP = '~M';
const SET = '~S';

const DIGITS = /^-?\d+$/;
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * JSON with the types JSON loses: Date (invalid ones too), BigInt, Map, Set, Buffer, Uint8Array,
 * `undefined` (object keys and array holes keep their place), NaN and ±Infinity.
 *
 * Values made only of plain objects, arrays, strings, finite numbers, booleans and null are
 * written as `J` + `JSON.stringify(value)`, so the common case costs one cheap walk more than raw
 * JSON. Anything else is written as `T` + JSON in which special values are strings starting with
 * `~` (a string of yours that starts with `~` gets one more `~`), and Maps/Sets are arrays headed
 * by `~M`/`~S`.
 *
 * Decisions: `-0` comes back as `0`. Class instances come back as plain objects of their own
 * enumerable properties, or as their `toJSON()` result when they have one. Functions and symbols
 * become `undefined`. Other typed arrays, RegExp and Error follow the class-instance rule. Shared
 * references are duplicated and cycles throw a RangeError. `deserialize` throws
 * {@link CacheDecodeError} on anything it did not write, on corrupt text, and on any own
 * `__proto__` key, so reading can never touch `Object.prototype`.
 */
export class JsonSerializer implements CacheSerializer {
  readonly binary = false;

  serialize(value: unknown): string {
    return isPlain(value) ? PLAIN + JSON.stringify(value) : TAGGED + JSON.stringify(encode(value));
  }

  deserialize(data: string | Buffer): unknown {
    const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString() : '';
    const marker = text[0];
    if (marker !== PLAIN && marker !== TAGGED) {
      throw new CacheDecodeError('Cached value was not written by JsonSerializer');
    }
    try {
      const parsed: unknown = JSON.parse(text.slice(1));
      if (marker === TAGGED) return decode(parsed);
      // `__proto__` can only be spelled literally or with a \u escape, so most payloads skip the walk.
      if (text.includes('__proto__') || text.includes('\\u')) assertNoProtoKey(parsed);
      return parsed;
    } catch (error) {
      if (error instanceof CacheDecodeError) throw error;
      throw new CacheDecodeError('Cached JSON value is corrupt', { cause: error });
    }
  }
}

function isPlain(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlain(value[i])) return false;
        return true;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      const record = value as Record<string, unknown>;
      for (const key in record) if (!isPlain(record[key])) return false;
      return true;
    }
    default:
      return false;
  }
}

function encode(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
      return value.charCodeAt(0) === TILDE ? '~' + value : value;
    case 'number':
      if (Number.isFinite(value)) return value;
      return Number.isNaN(value) ? NAN : value > 0 ? POS_INFINITY : NEG_INFINITY;
    case 'boolean':
      return value;
    case 'bigint':
      return BIGINT + value.toString();
    case 'object':
      return value === null ? null : encodeObject(value);
    default:
      return UNDEFINED;
  }
}

function encodeObject(value: object): unknown {
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = encode(value[i]);
    return out;
  }
  if (value instanceof Date) {
    return DATE + (Number.isNaN(value.getTime()) ? '' : value.toISOString());
  }
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return (Buffer.isBuffer(value) ? BUFFER : BYTES) + bytes.toString('base64');
  }
  if (value instanceof Map) {
    const out: unknown[] = [MAP];
    for (const [key, item] of value) out.push(encode(key), encode(item));
    return out;
  }
  if (value instanceof Set) {
    const out: unknown[] = [SET];
    for (const item of value) out.push(encode(item));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (proto !== Object.prototype && proto !== null && typeof toJSON === 'function') {
    return encode(toJSON.call(value));
  }
  const out: Record<string, unknown> = {};
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    // Written as data so it is not lost; reading it back is refused.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: encode(record[key]), enumerable: true });
    else out[key] = encode(record[key]);
  }
  return out;
}

function decode(node: unknown): unknown {
  if (typeof node === 'string') return node.charCodeAt(0) === TILDE ? decodeTag(node) : node;
  if (typeof node !== 'object' || node === null) return node;
  if (Array.isArray(node)) {
    const head: unknown = node[0];
    if (head === MAP) {
      if (node.length % 2 === 0) throw new CacheDecodeError('Cached Map entry list is corrupt');
      const map = new Map<unknown, unknown>();
      for (let i = 1; i < node.length; i += 2) map.set(decode(node[i]), decode(node[i + 1]));
      return map;
    }
    if (head === SET) {
      const set = new Set<unknown>();
      for (let i = 1; i < node.length; i++) set.add(decode(node[i]));
      return set;
    }
    for (let i = 0; i < node.length; i++) node[i] = decode(node[i]);
    return node;
  }
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key === '__proto__') throw protoError();
    record[key] = decode(record[key]);
  }
  return record;
}

function decodeTag(tag: string): unknown {
  const body = tag.slice(2);
  switch (tag.slice(0, 2)) {
    case '~~':
      return tag.slice(1);
    case UNDEFINED:
      if (body === '') return undefined;
      break;
    case NAN:
      if (body === '') return NaN;
      break;
    case POS_INFINITY:
      if (body === '') return Infinity;
      break;
    case '~-':
      if (tag === NEG_INFINITY) return -Infinity;
      break;
    case DATE: {
      const date = new Date(body === '' ? NaN : body);
      if (body === '' || !Number.isNaN(date.getTime())) return date;
      break;
    }
    case BIGINT:
      if (DIGITS.test(body)) return BigInt(body);
      break;
    case BUFFER:
      return Buffer.from(body, 'base64');
    case BYTES:
      return new Uint8Array(Buffer.from(body, 'base64'));
  }
  throw new CacheDecodeError(`Cached JSON value has an unknown tag "${tag.slice(0, 16)}"`);
}

function assertNoProtoKey(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  if (Array.isArray(node)) {
    for (const item of node) assertNoProtoKey(item);
    return;
  }
  if (hasOwn.call(node, '__proto__')) throw protoError();
  for (const item of Object.values(node)) assertNoProtoKey(item);
}

function protoError(): CacheDecodeError {
  return new CacheDecodeError('Cached value has a "__proto__" key; refusing to decode it');
}

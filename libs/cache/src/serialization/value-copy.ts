/**
 * Deep copies of decoded cache values, for a tier that decodes a value once and hands every caller
 * its own copy: on a small record, a copy costs about a fifth of decoding the bytes again.
 *
 * Only values built from what the serializers produce are copied: primitives, arrays, plain
 * objects, Date, Map, Set, Buffer and Uint8Array. {@link measureCopyable} tells whether a value
 * qualifies (and what it roughly weighs); a tier keeps the bytes of anything else.
 */

/** Rough V8 sizes (64-bit heap), enough to bound a tier by bytes without walking it twice. */
const OBJECT_BYTES = 24;
const SLOT_BYTES = 8;
const STRING_BYTES = 16;
const BOXED_BYTES = 32;
const MAX_DEPTH = 64;

/**
 * The approximate heap bytes of `value` when {@link copyValue} can copy it, `undefined` when it
 * holds anything else (class instances, functions, symbols, `__proto__` keys, nesting past 64).
 */
export function measureCopyable(value: unknown, depth = 0): number | undefined {
  switch (typeof value) {
    case 'string':
      return STRING_BYTES + value.length;
    case 'number':
    case 'boolean':
    case 'undefined':
      return SLOT_BYTES;
    case 'bigint':
      return BOXED_BYTES;
    case 'object':
      if (value === null) return SLOT_BYTES;
      if (depth >= MAX_DEPTH) return undefined;
      return measureObject(value, depth + 1);
    default:
      return undefined;
  }
}

function measureObject(value: object, depth: number): number | undefined {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) return measureItems(value as unknown[], depth);
  if (proto === Object.prototype || proto === null) {
    let bytes = OBJECT_BYTES;
    for (const key of Object.keys(value)) {
      if (key === '__proto__') return undefined;
      const item = measureCopyable((value as Record<string, unknown>)[key], depth);
      if (item === undefined) return undefined;
      bytes += SLOT_BYTES + item;
    }
    return bytes;
  }
  if (proto === Date.prototype) return BOXED_BYTES;
  if (proto === Buffer.prototype || proto === Uint8Array.prototype) {
    return OBJECT_BYTES * 4 + (value as Uint8Array).byteLength;
  }
  if (proto === Map.prototype) {
    const pairs: unknown[] = [];
    for (const [key, item] of value as Map<unknown, unknown>) pairs.push(key, item);
    return measureItems(pairs, depth);
  }
  if (proto === Set.prototype) return measureItems([...(value as Set<unknown>)], depth);
  return undefined;
}

function measureItems(items: readonly unknown[], depth: number): number | undefined {
  let bytes = OBJECT_BYTES * 2;
  for (let i = 0; i < items.length; i++) {
    const item = measureCopyable(items[i], depth);
    if (item === undefined) return undefined;
    bytes += SLOT_BYTES + item;
  }
  return bytes;
}

/** A deep copy of a value {@link measureCopyable} accepted: equal, sharing nothing mutable. */
export function copyValue<T>(value: T): T {
  return (typeof value === 'object' && value !== null ? copyObject(value) : value) as T;
}

function copyObject(value: object): unknown {
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyValue(value[i]);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    for (let i = 0; i < keys.length; i++) out[keys[i]] = copyValue(record[keys[i]]);
    return out;
  }
  if (value instanceof Date) return new Date(value.getTime());
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [key, item] of value) out.set(copyValue(key), copyValue(item));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    for (const item of value) out.add(copyValue(item));
    return out;
  }
  return value;
}

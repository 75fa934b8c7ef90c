import { C1, Packr } from 'msgpackr';
import { CacheDecodeError } from '../errors';
import { CacheSerializer } from './serializer.interface';

/** 0xc1 is never used by MessagePack, so no foreign MessagePack payload can start with it. */
const VERSION = 0xc1;
const PROTO = Buffer.from('__proto__');
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * MessagePack (msgpackr) behind a version byte. Round-trips Date (invalid ones too), BigInt of any
 * size, Map, Set, Buffer, typed arrays (a Uint8Array stays a Uint8Array), RegExp, Error,
 * `undefined` (object keys and array holes keep their place), NaN and ±Infinity.
 *
 * Decisions: `-0` comes back as `0`. Class instances come back as plain objects of their own
 * enumerable properties, or as their `toJSON()` result when they have one. Functions become
 * `undefined`; symbols throw. Shared references are duplicated and cycles throw a RangeError.
 * `deserialize` only takes Buffers and throws {@link CacheDecodeError} on anything it did not write,
 * on corrupt bytes, and on any object key `__proto__` (msgpackr itself renames such a key to
 * `__proto_`; a payload holding both a `__proto_` key and the text `__proto__` is refused too).
 */
export class MsgpackSerializer implements CacheSerializer {
  readonly binary = true;

  private readonly packr = new Packr({
    moreTypes: true, // Set, typed arrays, RegExp, Error
    useBigIntExtension: true, // BigInts outside 64 bits
    int64AsType: 'bigint',
    copyBuffers: true, // decoded Buffers must not alias the stored bytes
    structuredClone: false, // no reference extension: decoded data can never be cyclic
  });

  serialize(value: unknown): Buffer {
    const packed = this.packr.pack(value);
    // A fresh exact-size copy: msgpackr returns a view into a large buffer it keeps reusing.
    const out = Buffer.allocUnsafe(packed.length + 1);
    out[0] = VERSION;
    packed.copy(out, 1);
    return out;
  }

  deserialize(data: string | Buffer): unknown {
    if (!Buffer.isBuffer(data) || data.length < 2 || data[0] !== VERSION) {
      throw new CacheDecodeError('Cached value was not written by MsgpackSerializer');
    }
    let value: unknown;
    try {
      // `start` rather than a subarray: msgpackr caches its DataView on the Buffer it is given.
      value = this.packr.unpack(data, { start: 1 });
    } catch (error) {
      throw new CacheDecodeError('Cached MessagePack value is corrupt', { cause: error });
    }
    if (value === C1) throw new CacheDecodeError('Cached MessagePack value is corrupt');
    if (data.includes(PROTO)) assertNoProtoKey(value);
    return value;
  }
}

function assertNoProtoKey(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  if (Array.isArray(node) || node instanceof Set) {
    for (const item of node) assertNoProtoKey(item);
  } else if (node instanceof Map) {
    for (const [key, item] of node) {
      assertNoProtoKey(key);
      assertNoProtoKey(item);
    }
  } else if (Object.getPrototypeOf(node) === Object.prototype) {
    if (hasOwn.call(node, '__proto_') || hasOwn.call(node, '__proto__')) {
      throw new CacheDecodeError('Cached value has a "__proto__" key; refusing to decode it');
    }
    for (const item of Object.values(node)) assertNoProtoKey(item);
  }
}

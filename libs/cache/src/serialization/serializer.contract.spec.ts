import fc from 'fast-check';
import { CacheDecodeError } from '../errors';
import { JsonSerializer } from './json.serializer';
import { MsgpackSerializer } from './msgpack.serializer';
import { CacheSerializer } from './serializer.interface';

/**
 * One suite for every built-in serializer. Equality is Jest's `toStrictEqual`, which tells
 * `undefined` from a missing key, a hole from `undefined`, a Buffer from a Uint8Array and a class
 * from a plain object; both serializers decode `-0` as `0` and holes as `undefined`, so the
 * expected value is normalised that way first. Jest finds two invalid Dates unequal, so a tester
 * compares Dates by `Object.is` on their time.
 */
type Tester = (a: unknown, b: unknown) => boolean | undefined;
// Jest 30 has addEqualityTesters; @types/jest 30.0.0 does not declare it yet.
(expect as unknown as { addEqualityTesters(testers: Tester[]): void }).addEqualityTesters([
  (a, b) =>
    a instanceof Date && b instanceof Date ? Object.is(a.getTime(), b.getTime()) : undefined,
]);

const serializers: [string, () => CacheSerializer, fc.StringConstraints['unit']][] = [
  ['JsonSerializer', () => new JsonSerializer(), 'binary'],
  // MessagePack strings are UTF-8, so lone surrogates cannot survive it: only well-formed text.
  ['MsgpackSerializer', () => new MsgpackSerializer(), 'grapheme'],
];

const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays

const fixtures: [string, unknown][] = [
  ['a string', 'hello'],
  ['an empty string', ''],
  ['strings that look like tags', ['~', '~~', '~u', '~M', '~dnope', 'J{}', 'T[]']],
  ['an array headed by a tag-like string', ['~M', 1, 2]],
  ['numbers', [0, 1.5, -7, Number.MAX_SAFE_INTEGER, 2 ** 60, Number.MIN_VALUE]],
  ['NaN and infinities', [NaN, Infinity, -Infinity]],
  ['booleans and null', [true, false, null]],
  ['a Date', new Date('2024-02-29T12:34:56.789Z')],
  ['an invalid Date', new Date(NaN)],
  ['the extreme Dates', [new Date(8.64e15), new Date(-8.64e15)]],
  ['BigInts of any size', [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n, -(2n ** 200n)]],
  [
    'a Map with keys of any type',
    new Map<unknown, unknown>([
      [1, 'a'],
      ['1', 'b'],
      [{ k: 1 }, [2]],
      [undefined, null],
      [null, undefined],
    ]),
  ],
  ['a Set', new Set<unknown>([1, '1', null, undefined, new Date(0)])],
  ['a Buffer', Buffer.from([0, 1, 254, 255])],
  ['an empty Buffer', Buffer.alloc(0)],
  ['a Uint8Array', new Uint8Array([9, 8, 7])],
  ['undefined object values, keeping the key', { a: undefined, b: { c: undefined } }],
  ['undefined array items', [undefined, 1, undefined]],
  ['top-level undefined', undefined],
  ['unicode text', 'Zoë – 😀 – 日本'],
  ['object keys that look like tags', { '~M': 1, '~u': '~u', __proto_x: 2 }],
  [
    'special values nested in objects, arrays and maps',
    {
      user: { id: 1n, at: new Date(1), tags: new Set(['a']), blob: Buffer.from('x') },
      list: [new Map([['deep', [undefined, NaN, { when: new Date(NaN) }]]])],
      map: new Map<unknown, unknown>([[new Date(2), new Map([[3n, new Set([Buffer.from('y')])]])]]),
    },
  ],
];

describe.each(serializers)('%s contract', (_name, create, stringUnit) => {
  const serializer = create();
  const roundTrip = (value: unknown) => serializer.deserialize(serializer.serialize(value));

  it.each(fixtures)('round-trips %s', (_label, value) => {
    expect(roundTrip(value)).toStrictEqual(value);
  });

  it('turns array holes into undefined items and -0 into 0', () => {
    expect(roundTrip({ list: sparse, zero: -0 })).toStrictEqual({
      list: [1, undefined, 3],
      zero: 0,
    });
  });

  it('keeps null distinct from a miss (undefined)', () => {
    expect(serializer.serialize(null)).not.toEqual(serializer.serialize(undefined));
    expect(roundTrip(null)).toBeNull();
    expect(roundTrip(undefined)).toBeUndefined();
    expect(roundTrip({ a: null })).toStrictEqual({ a: null });
  });

  it('brings class instances back as plain objects of their own enumerable fields', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      get sum(): number {
        return this.x + this.y;
      }
    }
    expect(roundTrip({ p: new Point(1, 2) })).toStrictEqual({ p: { x: 1, y: 2 } });
  });

  it('uses toJSON() of class instances', () => {
    class Id {
      constructor(private readonly hex: string) {}
      toJSON(): string {
        return this.hex;
      }
    }
    expect(roundTrip({ id: new Id('abc') })).toStrictEqual({ id: 'abc' });
  });

  it('decodes payloads written by another instance', () => {
    const other = create();
    const value = { id: 1, at: new Date(5), list: [{ a: 1 }, { a: 2 }] };
    for (let i = 0; i < 3; i++) serializer.serialize({ shape: i, a: 1 });
    expect(other.deserialize(serializer.serialize(value))).toStrictEqual(value);
  });

  it('rejects data it did not write', () => {
    const foreign: (string | Buffer)[] = [
      'hello',
      '{"a":1}',
      '"hello"',
      '',
      Buffer.from('hello'),
      Buffer.alloc(0),
      create() instanceof JsonSerializer
        ? new MsgpackSerializer().serialize(1)
        : new JsonSerializer().serialize(1),
    ];
    for (const data of foreign) {
      expect(() => serializer.deserialize(data)).toThrow(CacheDecodeError);
    }
  });

  it('rejects corrupt data', () => {
    const good = serializer.serialize({ id: 1, name: 'Ada', at: new Date(0) });
    const truncated = good.slice(0, good.length - 2);
    expect(() => serializer.deserialize(truncated)).toThrow(CacheDecodeError);
    const extended =
      typeof good === 'string' ? good + '}' : Buffer.concat([good, Buffer.from([0x01])]);
    expect(() => serializer.deserialize(extended)).toThrow(CacheDecodeError);
  });

  it('throws a CacheDecodeError for any own __proto__ key and leaves Object.prototype alone', () => {
    const payloads = [
      JSON.parse('{"__proto__": {"polluted": true}}'),
      { a: [JSON.parse('{"b": 1, "__proto__": {"polluted": true}}')] },
      new Map([['k', JSON.parse('{"__proto__": {"polluted": true}}')]]),
      [new Date(0), JSON.parse('{"__proto__": {"polluted": true}}')],
    ];
    for (const payload of payloads) {
      const data = serializer.serialize(payload);
      expect(() => serializer.deserialize(data)).toThrow(CacheDecodeError);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('still reads a string value "__proto__" and the text inside values', () => {
    const value = { note: '__proto__', list: ['{"__proto__":1}'], m: new Map([['__proto__', 1]]) };
    expect(roundTrip(value)).toStrictEqual(value);
  });

  it('round-trips arbitrary values (property)', () => {
    const leaves = [
      fc.string({ unit: stringUnit }),
      fc.string({ unit: stringUnit }).map((s) => '~' + s),
      fc.double(),
      fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }),
      fc.date(),
      fc.uint8Array().map((bytes) => Buffer.from(bytes)),
      fc.uint8Array(),
      fc.constantFrom(undefined, null, true, false, NaN, Infinity, -Infinity, -0),
    ];
    const value = fc.anything({
      key: fc.string({ unit: stringUnit }).filter((key) => !key.startsWith('__proto')),
      values: leaves,
      maxDepth: 3,
      maxKeys: 5,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withSparseArray: true,
    });
    fc.assert(
      fc.property(value, (input) => {
        expect(roundTrip(input)).toStrictEqual(normalise(input));
      }),
      { numRuns: 300 },
    );
  });
});

/** What a round trip is expected to give: `-0` as `0`, array holes as `undefined`. */
function normalise(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return Array.from(value, normalise);
  if (value instanceof Map)
    return new Map([...value].map(([k, v]) => [normalise(k), normalise(v)]));
  if (value instanceof Set) return new Set([...value].map(normalise));
  if (
    value === null ||
    typeof value !== 'object' ||
    value instanceof Date ||
    ArrayBuffer.isView(value)
  ) {
    return value;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
}

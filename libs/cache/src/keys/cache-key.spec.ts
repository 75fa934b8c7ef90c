import fc from 'fast-check';
import { CacheKeyError } from '../errors';
import { cacheKey, encodeKeyPart, KeyPart } from './cache-key';

/** Inverse of cacheKey over string parts: it exists, so cacheKey is injective. */
function splitKey(key: string): string[] {
  return key
    .split(':')
    .map((part) =>
      part.replace(/%(25|3A|u[0-9A-F]{4})/g, (escape) =>
        escape === '%25'
          ? '%'
          : escape === '%3A'
            ? ':'
            : String.fromCharCode(parseInt(escape.slice(2), 16)),
      ),
    );
}

/** The key as Redis stores it: UTF-8 bytes. */
const bytes = (key: string): string => Buffer.from(key, 'utf8').toString('hex');

describe('cacheKey', () => {
  it('keeps plain parts readable', () => {
    expect(cacheKey('user', 1)).toBe('user:1');
    expect(cacheKey('org', 'acme', 'user', 42n, true)).toBe('org:acme:user:42:true');
  });

  it('escapes ":" and "%" inside a part so it cannot pass for two', () => {
    expect(cacheKey('user', '1:2')).toBe('user:1%3A2');
    expect(cacheKey('user', '1:2')).not.toBe(cacheKey('user', 1, 2));
    expect(cacheKey('a%3Ab')).toBe('a%253Ab');
    expect(cacheKey('a%3Ab')).not.toBe(cacheKey('a:b'));
  });

  it('gives parts with the same text the same key (1, 1n and "1" are one entry)', () => {
    expect(cacheKey('user', 1)).toBe(cacheKey('user', '1'));
    expect(cacheKey('user', 1n)).toBe(cacheKey('user', '1'));
    expect(cacheKey('flag', true)).toBe(cacheKey('flag', 'true'));
  });

  it('escapes a lone surrogate, which UTF-8 (and so Redis) would turn into U+FFFD', () => {
    expect(cacheKey('q', 'a\ud800')).toBe('q:a%uD800');
    expect(bytes(cacheKey('q', 'a\ud800'))).not.toBe(bytes(cacheKey('q', 'a\udfff')));
    expect(bytes(cacheKey('q', 'a\ud800'))).not.toBe(bytes(cacheKey('q', 'a\ufffd')));
    // A well-formed pair is kept as it is.
    expect(cacheKey('q', '\ud83d\ude00')).toBe('q:\ud83d\ude00');
    expect(cacheKey('a%uD800')).toBe('a%25uD800');
  });

  it('keeps an empty part', () => {
    expect(cacheKey('user', '')).toBe('user:');
    expect(cacheKey('user', '', '')).not.toBe(cacheKey('user', ''));
  });

  it('throws a CacheKeyError without parts or for a part of another type', () => {
    expect(() => cacheKey()).toThrow(CacheKeyError);
    for (const part of [undefined, null, {}, [], Symbol('s')]) {
      expect(() => cacheKey('user', part as unknown as KeyPart)).toThrow(CacheKeyError);
      expect(() => encodeKeyPart(part as unknown as KeyPart)).toThrow(CacheKeyError);
    }
  });

  it('maps different lists of string parts to different keys (property)', () => {
    const part = fc.oneof(
      fc.string({ unit: fc.constantFrom(':', '%', '3', 'A', 'a', '2', '5', 'u', 'D', '8', '0') }),
      fc.string({ unit: fc.constantFrom('\ud800', '\udfff', '\ufffd', '%', 'u', 'D', '8', '0') }),
      fc.string({ unit: 'binary' }),
    );
    const parts = fc.array(part, { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(parts, parts, (a, b) => {
        expect(splitKey(cacheKey(...a))).toEqual(a);
        if (a.length !== b.length || a.some((p, i) => p !== b[i])) {
          // Distinct as Redis sees them, not only as JavaScript strings.
          expect(bytes(cacheKey(...a))).not.toBe(bytes(cacheKey(...b)));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('cacheKey.hash', () => {
  it('is 16 base64url characters and stable', () => {
    const hash = cacheKey.hash({ q: 'ada', page: 2 });
    expect(hash).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(cacheKey.hash({ q: 'ada', page: 2 })).toBe(hash);
  });

  it('ignores object key order at any depth', () => {
    expect(cacheKey.hash({ a: 1, b: { c: [1, { d: 1, e: 2 }], f: 2 } })).toBe(
      cacheKey.hash({ b: { f: 2, c: [1, { e: 2, d: 1 }] }, a: 1 }),
    );
  });

  it('skips undefined object values and writes undefined array items as null, like JSON', () => {
    expect(cacheKey.hash({ a: 1, b: undefined })).toBe(cacheKey.hash({ a: 1 }));
    expect(cacheKey.hash([undefined])).toBe(cacheKey.hash([null]));
  });

  it('hashes a Date as its ISO string, like JSON', () => {
    const at = new Date('2024-01-01T00:00:00.000Z');
    expect(cacheKey.hash({ at })).toBe(cacheKey.hash({ at: at.toISOString() }));
  });

  it('accepts BigInt, NaN, Map and Set without throwing, and tells them from look-alikes', () => {
    expect(cacheKey.hash(1n)).not.toBe(cacheKey.hash(1));
    expect(cacheKey.hash(NaN)).not.toBe(cacheKey.hash(null));
    expect(cacheKey.hash(new Set([1, 2]))).not.toBe(cacheKey.hash([1, 2]));
    expect(cacheKey.hash(new Map([['a', 1]]))).not.toBe(cacheKey.hash({ a: 1 }));
    expect(cacheKey.hash(undefined)).not.toBe(cacheKey.hash(null));
  });

  it('ignores the insertion order of Map and Set entries', () => {
    expect(cacheKey.hash(new Set([1, 'a', { b: 1 }]))).toBe(
      cacheKey.hash(new Set([{ b: 1 }, 'a', 1])),
    );
    expect(
      cacheKey.hash(
        new Map<unknown, unknown>([
          [1, 'x'],
          ['k', new Set([2, 1])],
        ]),
      ),
    ).toBe(
      cacheKey.hash(
        new Map<unknown, unknown>([
          ['k', new Set([1, 2])],
          [1, 'x'],
        ]),
      ),
    );
  });

  it('gives the same hash to objects that differ only in key order (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(cacheKey.hash(reverseKeys(value))).toBe(cacheKey.hash(value));
      }),
      { numRuns: 300 },
    );
  });

  it('gives different hashes to different values (sampled property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        if (sortedJson(a) !== sortedJson(b)) expect(cacheKey.hash(a)).not.toBe(cacheKey.hash(b));
      }),
      { numRuns: 300 },
    );
  });
});

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).reverse();
  return Object.fromEntries(entries.map(([k, v]) => [k, reverseKeys(v)]));
}

function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

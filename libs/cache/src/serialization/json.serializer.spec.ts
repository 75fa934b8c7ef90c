import { CacheDecodeError } from '../errors';
import { JsonSerializer } from './json.serializer';

describe('JsonSerializer', () => {
  const serializer = new JsonSerializer();
  const decodeError = (data: string) => {
    try {
      serializer.deserialize(data);
    } catch (error) {
      return error;
    }
    throw new Error(`expected ${data} to be rejected`);
  };

  it('is a text serializer', () => {
    expect(serializer.binary).toBe(false);
  });

  it('writes plain values as J + raw JSON', () => {
    const user = { id: 1, name: 'Ada', email: 'ada@example.com', createdAt: '2024-01-01' };
    expect(serializer.serialize(user)).toBe('J' + JSON.stringify(user));
    expect(serializer.serialize([1, 'a', null, true, { b: [] }])).toBe(
      'J[1,"a",null,true,{"b":[]}]',
    );
    expect(serializer.serialize('~x')).toBe('J"~x"');
  });

  it('writes special values as T + JSON with ~ tags, escaping strings that start with ~', () => {
    expect(serializer.serialize({ at: new Date(0), n: 1n, s: '~x', u: undefined })).toBe(
      'T{"at":"~d1970-01-01T00:00:00.000Z","n":"~b1","s":"~~x","u":"~u"}',
    );
    expect(serializer.serialize(new Map([['k', new Set([NaN])]]))).toBe('T["~M","k",["~S","~N"]]');
  });

  it('reads a Buffer holding its text', () => {
    expect(serializer.deserialize(Buffer.from(serializer.serialize({ a: new Date(1) })))).toEqual({
      a: new Date(1),
    });
  });

  it('turns functions and symbols into undefined, keeping the key', () => {
    const value = { f: () => 1, s: Symbol('s'), list: [() => 2] };
    expect(serializer.deserialize(serializer.serialize(value))).toStrictEqual({
      f: undefined,
      s: undefined,
      list: [undefined],
    });
  });

  it('brings other typed arrays back as plain objects (the class-instance rule)', () => {
    expect(
      serializer.deserialize(serializer.serialize({ f: new Float64Array([1.5]) })),
    ).toStrictEqual({
      f: { 0: 1.5 },
    });
  });

  it.each([
    ['an unknown tag', 'T"~q"'],
    ['a bare container tag', 'T"~M"'],
    ['a malformed BigInt', 'T"~b12x"'],
    ['an empty BigInt', 'T"~b"'],
    ['a malformed Date', 'T"~dnot a date"'],
    ['a Map with a key but no value', 'T["~M","k"]'],
    ['a tag with a suffix', 'T"~ux"'],
    ['broken JSON', 'J{"a":'],
    ['a marker only', 'J'],
  ])('rejects %s', (_label, data) => {
    expect(decodeError(data)).toBeInstanceOf(CacheDecodeError);
  });

  it.each([
    ['a plain payload', 'J{"__proto__":{"polluted":true}}'],
    ['a \\u-escaped key', 'J{"\\u005f_proto__":{"polluted":true}}'],
    ['a nested key', 'J[{"a":{"__proto__":{"polluted":true}}}]'],
    ['a tagged payload', 'T{"a":"~u","__proto__":{"polluted":true}}'],
    ['a key inside a Map', 'T["~M","k",{"__proto__":{"polluted":true}}]'],
  ])('refuses an own __proto__ key in %s', (_label, data) => {
    const error = decodeError(data);
    expect(error).toBeInstanceOf(CacheDecodeError);
    expect((error as CacheDecodeError).code).toBe('CACHE_DECODE');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('wraps parse errors with their cause', () => {
    const error = decodeError('J{oops') as CacheDecodeError;
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

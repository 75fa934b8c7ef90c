import { JsonSerializer } from './json.serializer';
import { copyValue, measureCopyable } from './value-copy';

/** One of each mutable type a decoded value can hold. */
const mutableSample = () => ({
  list: [{ a: 1 }],
  when: new Date(0),
  map: new Map([['k', [1]]]),
  set: new Set([1]),
  buffer: Buffer.from('ab'),
  bytes: new Uint8Array([1]),
});

describe('copyValue', () => {
  const serializer = new JsonSerializer();

  it('copies every type the JSON serializer decodes, equal to decoding again', () => {
    const value = {
      text: 'a',
      n: 1.5,
      flags: [true, null, undefined],
      when: new Date('2024-01-01T00:00:00.000Z'),
      big: 10n ** 20n,
      map: new Map<unknown, unknown>([['k', { deep: [1] }]]),
      set: new Set([1, 'two']),
      buffer: Buffer.from('bytes'),
      bytes: new Uint8Array([1, 2, 3]),
      nested: { list: [{ a: 1 }] },
    };
    const decoded = serializer.deserialize(serializer.serialize(value));
    expect(measureCopyable(decoded)).toBeGreaterThan(0);
    const copy = copyValue(decoded);
    expect(copy).toEqual(decoded);
    expect(copy).toEqual(serializer.deserialize(serializer.serialize(value)));
  });

  it('shares nothing mutable with the original', () => {
    const original = mutableSample();
    const copy = copyValue(original);
    copy.list[0].a = 2;
    copy.list.push({ a: 3 });
    copy.when.setTime(5);
    copy.map.get('k')!.push(2);
    copy.map.set('other', []);
    copy.set.add(2);
    copy.buffer[0] = 0;
    copy.bytes[0] = 9;
    expect(original).toEqual(mutableSample());
    expect(Buffer.isBuffer(copy.buffer)).toBe(true);
    expect(Buffer.isBuffer(copy.bytes)).toBe(false);
  });

  it('keeps a null prototype', () => {
    const original = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(Object.getPrototypeOf(copyValue(original))).toBeNull();
  });

  it.each([
    ['a class instance', new (class User {})()],
    ['a function', { f: () => 1 }],
    ['a symbol', [Symbol('s')]],
    ['an own __proto__ key', JSON.parse('{"__proto__": {"admin": true}}')],
    ['a RegExp', { re: /x/ }],
    ['nesting deeper than 64', Array.from({ length: 70 }).reduce<unknown>((inner) => [inner], 1)],
  ])('refuses %s', (_name, value) => {
    expect(measureCopyable(value)).toBeUndefined();
  });

  it('weighs a value by its size', () => {
    const small = measureCopyable({ bio: 'x' })!;
    const large = measureCopyable({ bio: 'x'.repeat(1000) })!;
    expect(large - small).toBe(999);
  });
});

import { CacheConfigError, CacheDecodeError } from '../errors';
import { JsonSerializer } from './json.serializer';
import { MsgpackSerializer } from './msgpack.serializer';
import { resolveSerializer } from './resolve-serializer';
import { SerializerOption } from './serializer.interface';

describe('resolveSerializer', () => {
  it('defaults to JSON', () => {
    expect(resolveSerializer(undefined)).toBeInstanceOf(JsonSerializer);
    expect(resolveSerializer('json')).toBeInstanceOf(JsonSerializer);
  });

  it('picks MessagePack by name', () => {
    const serializer = resolveSerializer('msgpack');
    expect(serializer).toBeInstanceOf(MsgpackSerializer);
    expect(serializer.binary).toBe(true);
  });

  it('wraps a custom serializer, with binary defaulting to false', () => {
    const custom = {
      prefix: '>',
      serialize(value: unknown) {
        return this.prefix + String(value);
      },
      deserialize(data: string | Buffer) {
        return String(data).slice(this.prefix.length);
      },
    };
    const serializer = resolveSerializer(custom);
    expect(serializer.binary).toBe(false);
    expect(serializer.serialize('a')).toBe('>a');
    expect(serializer.deserialize('>a')).toBe('a');
    expect(resolveSerializer({ ...custom, binary: true }).binary).toBe(true);
  });

  it('rethrows custom decode failures as CacheDecodeError with the cause', () => {
    const cause = new Error('bad bytes');
    const serializer = resolveSerializer({
      serialize: () => '',
      deserialize: () => {
        throw cause;
      },
    });
    expect(() => serializer.deserialize('x')).toThrow(
      expect.objectContaining({ constructor: CacheDecodeError, cause }),
    );
  });

  it.each<[string, unknown]>([
    ['an unknown name', 'yaml'],
    ['null', null],
    ['a number', 1],
    ['a function', () => 'x'],
    ['an object without deserialize', { serialize: () => '' }],
    ['a non-boolean binary', { serialize: () => '', deserialize: () => 1, binary: 'yes' }],
  ])('rejects %s with a CacheConfigError naming "serializer"', (_label, option) => {
    expect(() => resolveSerializer(option as unknown as SerializerOption)).toThrow(
      expect.objectContaining({
        constructor: CacheConfigError,
        code: 'CACHE_CONFIG',
        option: 'serializer',
        message: expect.stringContaining('"serializer"'),
      }),
    );
  });
});

import { CacheConfigError, CacheError, CacheDecodeError } from '../errors';
import { JsonSerializer } from './json.serializer';
import { MsgpackSerializer } from './msgpack.serializer';
import { CacheSerializer, SerializerOption } from './serializer.interface';

type CustomSerializer = Exclude<SerializerOption, string>;

/**
 * Turns the `serializer` option into a serializer: `'json'` (the default) or `'msgpack'`, or your
 * own object, whose `binary` defaults to false and whose `deserialize` errors are rethrown as
 * {@link CacheDecodeError} (with the original as `cause`) so every decode failure looks the same.
 * @example resolveSerializer('msgpack').binary // true
 */
export function resolveSerializer(option: SerializerOption | undefined): CacheSerializer {
  if (option === undefined || option === 'json') return new JsonSerializer();
  if (option === 'msgpack') return new MsgpackSerializer();
  if (!isCustom(option)) {
    throw new CacheConfigError(
      'serializer',
      `expected 'json', 'msgpack' or an object with serialize() and deserialize(); got ${describe(option)}`,
    );
  }
  if (option.binary !== undefined && typeof option.binary !== 'boolean') {
    throw new CacheConfigError(
      'serializer',
      `expected "binary" to be a boolean; got ${describe(option.binary)}`,
    );
  }
  const custom = option;
  return {
    binary: custom.binary ?? false,
    serialize: (value) => custom.serialize(value),
    deserialize: (data) => {
      try {
        return custom.deserialize(data);
      } catch (error) {
        if (error instanceof CacheError) throw error;
        throw new CacheDecodeError('Custom serializer could not decode the cached value', {
          cause: error,
        });
      }
    },
  };
}

function isCustom(option: unknown): option is CustomSerializer {
  if (typeof option !== 'object' || option === null) return false;
  const candidate = option as Partial<Record<'serialize' | 'deserialize', unknown>>;
  return typeof candidate.serialize === 'function' && typeof candidate.deserialize === 'function';
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object without serialize()/deserialize()';
}

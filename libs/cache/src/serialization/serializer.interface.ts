/** Turns cached values into bytes and back. `deserialize` throws on data it cannot decode. */
export interface CacheSerializer {
  /** True when `serialize` returns Buffers and `deserialize` wants Buffers (stores then read raw bytes). */
  readonly binary: boolean;
  serialize(value: unknown): string | Buffer;
  deserialize(data: string | Buffer): unknown;
}

/**
 * The `serializer` option: a built-in by name (`'json'` is the default) or your own pair of
 * functions (`binary` defaults to false).
 * @example { serializer: 'msgpack' }
 */
export type SerializerOption =
  | 'json'
  | 'msgpack'
  | {
      serialize(value: unknown): string | Buffer;
      deserialize(data: string | Buffer): unknown;
      binary?: boolean;
    };

import { Packr } from 'msgpackr';
import { CacheDecodeError } from '../errors';
import { MsgpackSerializer } from './msgpack.serializer';

describe('MsgpackSerializer', () => {
  const serializer = new MsgpackSerializer();
  const withVersion = (bytes: Buffer) => Buffer.concat([Buffer.from([0xc1]), bytes]);

  it('is a binary serializer whose payloads start with the version byte 0xc1', () => {
    expect(serializer.binary).toBe(true);
    expect(serializer.serialize({ a: 1 })[0]).toBe(0xc1);
  });

  it('returns a fresh exact-size Buffer that the next call does not overwrite', () => {
    const first = serializer.serialize({ id: 1, name: 'first' });
    const copy = Buffer.from(first);
    serializer.serialize({ id: 2, name: 'second, and longer' });
    expect(first).toEqual(copy);
    expect(first.buffer.byteLength).toBeGreaterThanOrEqual(first.length);
    expect(serializer.deserialize(first)).toEqual({ id: 1, name: 'first' });
  });

  it('decodes Buffers that do not alias the stored bytes', () => {
    const stored = serializer.serialize({ blob: Buffer.from([1, 2, 3]) });
    const decoded = serializer.deserialize(stored) as { blob: Buffer };
    decoded.blob[0] = 99;
    expect(serializer.deserialize(stored)).toEqual({ blob: Buffer.from([1, 2, 3]) });
  });

  it('rejects strings (a binary store must hand over raw bytes)', () => {
    const text = serializer.serialize('hello').toString('latin1');
    expect(() => serializer.deserialize(text)).toThrow(CacheDecodeError);
  });

  it('rejects MessagePack written without the version byte', () => {
    expect(() => serializer.deserialize(new Packr().pack({ a: 1 }))).toThrow(CacheDecodeError);
  });

  it('rejects a bare 0xc1 after the version byte', () => {
    expect(() => serializer.deserialize(Buffer.from([0xc1, 0xc1]))).toThrow(CacheDecodeError);
  });

  it('keeps the decoder error as the cause', () => {
    const broken = serializer.serialize({ a: 'some text' }).subarray(0, 4);
    expect(() => serializer.deserialize(broken)).toThrow(
      expect.objectContaining({ code: 'CACHE_DECODE', cause: expect.any(Error) }),
    );
  });

  it('decodes a plain MessagePack map from someone else as a Map, so "__proto__" stays a Map key', () => {
    const foreign = new Packr({ useRecords: false }).pack(
      JSON.parse('{"a": 1, "__proto__": {"polluted": true}}'),
    );
    const decoded = serializer.deserialize(withVersion(foreign));
    expect(decoded).toEqual(
      new Map<string, unknown>([
        ['a', 1],
        ['__proto__', new Map([['polluted', true]])],
      ]),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses cyclic structured-clone references', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const foreign = new Packr({ structuredClone: true }).pack(cyclic);
    expect(() => serializer.deserialize(withVersion(foreign))).toThrow(CacheDecodeError);
  });

  it('round-trips a genuine "__proto_" key when no "__proto__" text is present', () => {
    const value = { __proto_: 1 };
    expect(serializer.deserialize(serializer.serialize(value))).toStrictEqual(value);
  });

  it('refuses a "__proto_" key next to the text "__proto__" (documented false positive)', () => {
    const data = serializer.serialize({ __proto_: 1, note: '__proto__' });
    expect(() => serializer.deserialize(data)).toThrow(CacheDecodeError);
  });

  // Other typed arrays round-trip too, but not under Jest: msgpackr spots them with `instanceof`
  // against Node's realm, while a spec's Float64Array comes from Jest's sandbox realm.
  it('round-trips RegExp and Error', () => {
    const value = { r: /a+/gi, e: new TypeError('boom') };
    const decoded = serializer.deserialize(serializer.serialize(value)) as typeof value;
    expect(decoded.r).toEqual(/a+/gi);
    expect(decoded.e).toBeInstanceOf(TypeError);
    expect(decoded.e.message).toBe('boom');
  });
});

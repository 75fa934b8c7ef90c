import { CacheDecodeError } from '../errors';
import type { StoredEntry } from './cache-store.interface';

const NEWLINE = 10;

/**
 * Encodes an entry for a byte-oriented store as `header\npayload`. The header is a JSON array
 * `[createdAt,freshUntil]`, or `[createdAt,freshUntil,["tag",...]]` for a tagged entry, so a Lua
 * script can tell a tagged entry by the `]]` that closes its header and decode it with cjson.
 */
export function encodeEnvelope(entry: StoredEntry): string | Buffer {
  const header =
    entry.tags.length === 0
      ? `[${entry.createdAt},${entry.freshUntil}]\n`
      : `[${entry.createdAt},${entry.freshUntil},${JSON.stringify(entry.tags)}]\n`;
  return typeof entry.payload === 'string'
    ? header + entry.payload
    : Buffer.concat([Buffer.from(header, 'utf8'), entry.payload]);
}

/** Decodes what {@link encodeEnvelope} wrote; anything else throws a `CacheDecodeError`. */
export function decodeEnvelope(raw: string | Buffer): StoredEntry {
  const end = typeof raw === 'string' ? raw.indexOf('\n') : raw.indexOf(NEWLINE);
  if (end < 5) throw new CacheDecodeError('Cache entry has no header');
  const header = typeof raw === 'string' ? raw.slice(0, end) : raw.toString('utf8', 0, end);
  const payload = typeof raw === 'string' ? raw.slice(end + 1) : raw.subarray(end + 1);
  const [createdAt, freshUntil, tags] = parseHeader(header);
  return { payload, createdAt, freshUntil, tags };
}

/** The tags of an encoded entry and when it was created, without decoding its payload. */
export function parseHeader(header: string): [number, number, readonly string[]] {
  if (header.charCodeAt(0) !== 91 /* [ */ || header.charCodeAt(header.length - 1) !== 93) {
    throw new CacheDecodeError('Cache entry header is malformed');
  }
  const first = header.indexOf(',');
  const second = header.indexOf(',', first + 1);
  const createdAt = Number(header.slice(1, first));
  const freshUntil = Number(header.slice(first + 1, second === -1 ? -1 : second));
  let tags: readonly string[] = [];
  if (second !== -1) {
    try {
      tags = JSON.parse(header.slice(second + 1, -1)) as string[];
    } catch (error) {
      throw new CacheDecodeError('Cache entry tags are malformed', { cause: error });
    }
    if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string')) {
      throw new CacheDecodeError('Cache entry tags are malformed');
    }
  }
  if (!Number.isFinite(createdAt) || !Number.isFinite(freshUntil) || first === -1) {
    throw new CacheDecodeError('Cache entry header is malformed');
  }
  return [createdAt, freshUntil, tags];
}

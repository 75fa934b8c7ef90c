import { CacheDecodeError } from '../errors';
import type { StoredEntry } from './cache-store.interface';

const NEWLINE = 10;
/** The tags of every untagged entry read: one array, not one per hit (entries are never changed). */
const NO_TAGS: readonly string[] = [];

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
  if (typeof raw !== 'string') {
    const end = raw.indexOf(NEWLINE);
    if (end < 5) throw new CacheDecodeError('Cache entry has no header');
    const header = raw.toString('utf8', 0, end);
    return readHeader(header, header.length, raw.subarray(end + 1));
  }
  const end = raw.indexOf('\n');
  if (end < 5) throw new CacheDecodeError('Cache entry has no header');
  return readHeader(raw, end, raw.slice(end + 1));
}

/**
 * Reads the header that fills `text` up to `end`: `[createdAt,freshUntil]` or
 * `[createdAt,freshUntil,["tag",...]]`. In place, without cutting the header out: this runs on
 * every Redis hit.
 */
function readHeader(text: string, end: number, payload: string | Buffer): StoredEntry {
  if (text.charCodeAt(0) !== 91 /* [ */ || text.charCodeAt(end - 1) !== 93 /* ] */) {
    throw new CacheDecodeError('Cache entry header is malformed');
  }
  const first = commaBefore(text, 1, end);
  if (first === -1) throw new CacheDecodeError('Cache entry header is malformed');
  const second = commaBefore(text, first + 1, end);
  const createdAt = readNumber(text, 1, first);
  const freshUntil = readNumber(text, first + 1, second === -1 ? end - 1 : second);
  if (second === -1) return { payload, createdAt, freshUntil, tags: NO_TAGS };
  let tags: unknown;
  try {
    tags = JSON.parse(text.slice(second + 1, end - 1));
  } catch (error) {
    throw new CacheDecodeError('Cache entry tags are malformed', { cause: error });
  }
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string')) {
    throw new CacheDecodeError('Cache entry tags are malformed');
  }
  return { payload, createdAt, freshUntil, tags: tags as string[] };
}

/** The first comma of `text` from `from` up to `end`, or -1: never looks past the header. */
function commaBefore(text: string, from: number, end: number): number {
  for (let at = from; at < end; at++) if (text.charCodeAt(at) === 44 /* , */) return at;
  return -1;
}

/**
 * The finite number written in `text` between `from` and `to`. Whole milliseconds (how the module
 * writes both times) are read digit by digit; anything else goes through `Number`.
 */
function readNumber(text: string, from: number, to: number): number {
  let value = 0;
  let at = from;
  for (; at < to; at++) {
    const digit = text.charCodeAt(at) - 48;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  // Up to 15 digits, every integer is exact.
  if (at === to && to > from && to - from <= 15) return value;
  value = from < to ? Number(text.slice(from, to)) : NaN;
  if (!Number.isFinite(value)) throw new CacheDecodeError('Cache entry header is malformed');
  return value;
}

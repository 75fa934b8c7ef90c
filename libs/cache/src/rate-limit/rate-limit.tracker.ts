import { createHash } from 'node:crypto';

const MAX_PLAIN_LENGTH = 128;

/**
 * Encodes a tracker for use inside a Redis key. Percent-encoding removes `{`, `}` and `:`, so a
 * tracker can neither end the key's hash tag nor pose as a limit name, and writes a lone surrogate
 * as `%uD800` (Redis keys are UTF-8 bytes, in which every lone surrogate is U+FFFD: two trackers
 * differing only there would share a bucket). A long tracker is hashed from that encoding, and the
 * `sha256:` form cannot collide with an encoded tracker, which never holds a `:`.
 *
 * @example encodeTracker('::1') // '%3A%3A1'
 */
export function encodeTracker(tracker: string): string {
  const encoded = percentEncode(tracker);
  if (encoded.length <= MAX_PLAIN_LENGTH) return encoded;
  return `sha256:${createHash('sha256').update(encoded).digest('base64url')}`;
}

/** `encodeURIComponent`, which never writes `%u`, plus `%uD800` for a lone surrogate. */
function percentEncode(tracker: string): string {
  if (tracker.isWellFormed()) return encodeURIComponent(tracker);
  let encoded = '';
  for (const char of tracker) {
    // Iterating by code point leaves a lone surrogate on its own.
    const code = char.charCodeAt(0);
    encoded +=
      char.length === 1 && code >= 0xd800 && code <= 0xdfff
        ? `%u${code.toString(16).toUpperCase()}`
        : encodeURIComponent(char);
  }
  return encoded;
}

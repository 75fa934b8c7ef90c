import { createHash } from 'node:crypto';
import { escapeLoneSurrogate, hasLoneSurrogate } from '../keys/lone-surrogate';

const MAX_PLAIN_LENGTH = 128;

/**
 * Encodes a tracker for use inside a Redis key. Percent-encoding removes `{`, `}` and `:`, so a
 * tracker can neither end the key's hash tag nor pose as a limit name, and writes a lone
 * surrogate as `%uD800` (see `lone-surrogate.ts`: two trackers differing only there would share a
 * bucket). A long tracker is hashed from that encoding, and the `sha256:` form cannot collide with
 * an encoded tracker, which never holds a `:`.
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
  if (!hasLoneSurrogate(tracker)) return encodeURIComponent(tracker);
  let encoded = '';
  // By code point: a lone surrogate comes on its own, a pair as one character.
  for (const char of tracker) {
    encoded += hasLoneSurrogate(char) ? escapeLoneSurrogate(char) : encodeURIComponent(char);
  }
  return encoded;
}

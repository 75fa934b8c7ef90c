import { createHash } from 'node:crypto';

const MAX_PLAIN_LENGTH = 128;

/**
 * Encodes a tracker for use inside a Redis key. Percent-encoding removes `{`, `}` and `:`, so a
 * tracker can neither end the key's hash tag nor pose as a limit name; a long tracker (or one that
 * is not valid UTF-16) is hashed, and the `sha256:` form cannot collide with an encoded tracker,
 * which never holds a `:`.
 *
 * @example encodeTracker('::1') // '%3A%3A1'
 */
export function encodeTracker(tracker: string): string {
  const encoded = percentEncode(tracker);
  if (encoded !== undefined && encoded.length <= MAX_PLAIN_LENGTH) return encoded;
  return `sha256:${createHash('sha256').update(tracker).digest('base64url')}`;
}

function percentEncode(tracker: string): string | undefined {
  try {
    return encodeURIComponent(tracker);
  } catch {
    return undefined; // a lone surrogate
  }
}

import { encodeTracker } from './rate-limit.tracker';

describe('encodeTracker', () => {
  it('keeps plain trackers readable', () => {
    expect(encodeTracker('203.0.113.7')).toBe('203.0.113.7');
    expect(encodeTracker('user-42')).toBe('user-42');
  });

  it('escapes what could break out of the key: braces and colons', () => {
    const encoded = encodeTracker('x}:{evil}:default');
    expect(encoded).not.toMatch(/[{}:]/);
    expect(encodeTracker('::1')).toBe('%3A%3A1');
  });

  it('keeps distinct trackers distinct', () => {
    const trackers = [
      'a:b',
      'a%3Ab',
      'a{b',
      'a}b',
      'a b',
      'a+b',
      '',
      'x'.repeat(500),
      'y'.repeat(500),
    ];
    expect(new Set(trackers.map(encodeTracker)).size).toBe(trackers.length);
  });

  it('hashes long trackers and lone surrogates to a bounded key', () => {
    expect(encodeTracker('t'.repeat(10_000))).toMatch(/^sha256:[\w-]{43}$/);
    expect(encodeTracker('\ud800')).toMatch(/^sha256:/);
  });
});

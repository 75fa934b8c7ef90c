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

  it('hashes long trackers to a bounded key', () => {
    expect(encodeTracker('t'.repeat(10_000))).toMatch(/^sha256:[\w-]{43}$/);
    expect(encodeTracker('t'.repeat(10_000))).not.toBe(encodeTracker(`${'t'.repeat(9_999)}u`));
  });

  it('keeps trackers that differ only in a lone surrogate apart, as Redis sees them (UTF-8)', () => {
    const bytes = (tracker: string): string => Buffer.from(encodeTracker(tracker)).toString('hex');
    expect(encodeTracker('a\ud800')).toBe('a%uD800');
    expect(encodeTracker('\ud83d\ude00\udfff')).toBe('%F0%9F%98%80%uDFFF');
    const trackers = ['a\ud800', 'a\udfff', 'a\ufffd', 'a%uD800', 'a%25uD800'];
    expect(new Set(trackers.map(bytes)).size).toBe(trackers.length);
    const long = (end: string): string => bytes('x'.repeat(200) + end);
    expect(long('\ud800')).not.toBe(long('\udfff'));
  });
});

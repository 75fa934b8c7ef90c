/**
 * Escapes the Redis glob specials `*`, `?`, `[`, `]` and `\` so the result matches `s` only.
 * `^` and `-` are left alone: they are special only inside brackets, which this never opens.
 * @example cache.deleteByPattern(escapePattern(userInput) + ':*')
 */
export function escapePattern(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Compiles a Redis glob (the `KEYS`/`SCAN MATCH` dialect) into an anchored RegExp, following
 * Redis's `stringmatchlen` step by step: `*`, `?`, `[abc]`, `[^a]`, `[a-z]` (reversed ranges
 * allowed), `\x` for a literal `x`, an unclosed `[` running to the end of the pattern, and `[]`
 * matching nothing. Redis compares bytes while this compares UTF-16 units, so `?` and ranges agree
 * for ASCII keys only.
 * @example globToRegExp('user:*').test('user:1') // true
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '^';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*') {
      while (pattern[i + 1] === '*') i++;
      source += '[\\s\\S]*';
    } else if (char === '?') {
      source += '[\\s\\S]';
    } else if (char === '[') {
      const parsed = parseClass(pattern, i + 1);
      source += parsed.source;
      i = parsed.end;
    } else {
      if (char === '\\' && i + 1 < pattern.length) i++;
      source += unit(pattern.charCodeAt(i));
    }
  }
  return new RegExp(source + '$');
}

/** Parses a bracket class starting after `[`; `end` is the index of its `]` (or the last char). */
function parseClass(pattern: string, start: number): { source: string; end: number } {
  let i = start;
  const negate = pattern[i] === '^';
  if (negate) i++;
  let items = '';
  for (; ; i++) {
    const left = pattern.length - i;
    if (pattern[i] === '\\' && left >= 2) {
      i++;
      items += unit(pattern.charCodeAt(i));
    } else if (pattern[i] === ']') {
      break;
    } else if (left <= 0) {
      i = pattern.length - 1;
      break;
    } else if (left >= 3 && pattern[i + 1] === '-') {
      const from = pattern.charCodeAt(i);
      const to = pattern.charCodeAt(i + 2);
      items += `${unit(Math.min(from, to))}-${unit(Math.max(from, to))}`;
      i += 2;
    } else {
      items += unit(pattern.charCodeAt(i));
    }
  }
  if (items === '') return { source: negate ? '[\\s\\S]' : '(?!)', end: i };
  return { source: `[${negate ? '^' : ''}${items}]`, end: i };
}

/** One UTF-16 unit as a regex escape, safe inside and outside brackets. */
function unit(code: number): string {
  return '\\u' + code.toString(16).padStart(4, '0');
}

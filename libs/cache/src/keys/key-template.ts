import { CacheConfigError, CacheKeyError } from '../errors';
import { encodeKeyPart, KeyPart } from './cache-key';

/** Builds a key from a method's arguments. */
export type KeyTemplateFn = (args: readonly unknown[]) => string;

interface Placeholder {
  readonly text: string; // as written, e.g. '{0.user.id}'
  readonly index: number;
  readonly path: readonly string[];
}

const PLACEHOLDER = /^(\d+)((?:\.[A-Za-z0-9_$]+)*)$/;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Compiles a key template once. `{0}` is the first argument, `{0.id}` / `{0.a.b}` read own
 * properties of it; `{{` and `}}` are literal braces; all other text is kept as is. Each value is
 * encoded with {@link encodeKeyPart}, so `'user:{0}'` with `1` gives `cacheKey('user', 1)`.
 * @param option names the option holding the template in configuration errors.
 * @throws {CacheConfigError} at compile time for a malformed template, or a path through
 *   `__proto__`, `constructor` or `prototype`.
 * @returns a function that throws {@link CacheKeyError} when a placeholder resolves to anything but
 *   a string, number, bigint or boolean (objects, arrays, null, undefined, missing properties).
 * @example compileKeyTemplate('user:{0.id}')([{ id: 7 }]) // 'user:7'
 */
export function compileKeyTemplate(template: string, option = 'key'): KeyTemplateFn {
  const { literals, holes } = parse(template, option);
  if (holes.length === 0) return () => literals[0];
  return (args) => {
    let key = literals[0];
    for (let i = 0; i < holes.length; i++) {
      key += encodeKeyPart(resolve(holes[i], args, template)) + literals[i + 1];
    }
    return key;
  };
}

function parse(template: string, option: string) {
  const literals: string[] = [];
  const holes: Placeholder[] = [];
  const malformed = (problem: string) =>
    new CacheConfigError(option, `malformed key template "${template}": ${problem}`);
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    if ((char === '{' || char === '}') && template[i + 1] === char) {
      literal += char;
      i++;
    } else if (char === '}') {
      throw malformed(`unmatched "}" at ${i} (write "}}" for a literal brace)`);
    } else if (char === '{') {
      const close = template.indexOf('}', i);
      if (close === -1) throw malformed(`unclosed "{" at ${i}`);
      const text = template.slice(i, close + 1);
      const match = PLACEHOLDER.exec(text.slice(1, -1));
      if (!match) throw malformed(`${text} is not {index} or {index.path}`);
      const path = match[2] === '' ? [] : match[2].slice(1).split('.');
      const bad = path.find((segment) => FORBIDDEN.has(segment));
      if (bad !== undefined) throw malformed(`${text} reads "${bad}"`);
      holes.push({ text, index: Number(match[1]), path });
      literals.push(literal);
      literal = '';
      i = close;
    } else {
      literal += char;
    }
  }
  literals.push(literal);
  return { literals, holes };
}

function resolve(hole: Placeholder, args: readonly unknown[], template: string): KeyPart {
  let value: unknown = args[hole.index];
  for (const segment of hole.path) {
    const readable = (typeof value === 'object' && value !== null) || typeof value === 'function';
    value =
      readable && hasOwn.call(value, segment)
        ? (value as Record<string, unknown>)[segment]
        : undefined;
  }
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'bigint' || type === 'boolean') {
    return value as KeyPart;
  }
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : type;
  throw new CacheKeyError(
    `Key template "${template}": ${hole.text} is ${got}; expected a string, number, bigint or boolean`,
  );
}

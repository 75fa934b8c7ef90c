import { CacheConfigError } from '../errors';
import { cacheKey } from '../keys/cache-key';
import { compileKeyTemplate } from '../keys/key-template';
import { parseDuration } from '../options/duration';
import type { KeyOption, TagsOption } from './cache-decorator.options';

/** Builds a value from a method's arguments. */
export type ArgsFn<T> = (args: readonly unknown[]) => T;

/**
 * Compiles a key option once, at bootstrap: a template is parsed into literal chunks and argument
 * paths; a function is called with the arguments; no option means `Class.method:` + a hash.
 */
export function compileKey(option: KeyOption | undefined, where: string): ArgsFn<string> {
  if (option === undefined) {
    const prefix = `${where}:`;
    return (args) => prefix + cacheKey.hash(args);
  }
  if (typeof option === 'function') return (args) => checkKey(option(...args), where);
  if (typeof option === 'string' && option.length > 0) return compileKeyTemplate(option);
  throw new CacheConfigError(`key" of "${where}`, 'expected a template string or a function');
}

/** Compiles a list of key options (used by `@CacheEvict`). */
export function compileKeys(
  option: string | readonly string[] | ((...args: never[]) => string | readonly string[]),
  where: string,
): ArgsFn<readonly string[]> {
  if (typeof option === 'function') {
    const fn = option as (...args: unknown[]) => string | readonly string[];
    return (args) => {
      const keys = fn(...args);
      return typeof keys === 'string'
        ? [checkKey(keys, where)]
        : keys.map((k) => checkKey(k, where));
    };
  }
  const list = typeof option === 'string' ? [option] : option;
  if (!Array.isArray(list)) {
    throw new CacheConfigError(`key" of "${where}`, 'expected a string, a list or a function');
  }
  const compiled = list.map((key) => compileKey(key, where));
  return (args) => compiled.map((build) => build(args));
}

/** Compiles tags: constants stay constants, templates are compiled once. */
export function compileTags(
  option: TagsOption | undefined,
  where: string,
): ArgsFn<readonly string[]> | undefined {
  if (option === undefined) return undefined;
  if (typeof option === 'function') {
    return (args) => {
      const tags = option(...args);
      if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string' || tag === '')) {
        throw new CacheConfigError(`tags" of "${where}`, 'expected a list of non-empty strings');
      }
      return tags;
    };
  }
  if (!Array.isArray(option) || option.some((tag) => typeof tag !== 'string' || tag === '')) {
    throw new CacheConfigError(`tags" of "${where}`, 'expected a list of non-empty strings');
  }
  if (option.every((tag) => !tag.includes('{'))) {
    const constant = [...option];
    return () => constant;
  }
  const compiled = option.map((tag) => (tag.includes('{') ? compileKeyTemplate(tag) : () => tag));
  return (args) => compiled.map((build) => build(args));
}

/** A duration option of a decorator, parsed once; the error names the decorator and method. */
export function compileDuration(value: unknown, option: string, where: string): number | undefined {
  if (value === undefined) return undefined;
  return parseDuration(value, `${option}" of "${where}`);
}

function checkKey(key: unknown, where: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new CacheConfigError(
      `key" of "${where}`,
      'the key function must return a non-empty string',
    );
  }
  return key;
}

import { CacheConfigError, CacheKeyError } from '../errors';
import { cacheKey } from './cache-key';
import { compileKeyTemplate } from './key-template';

describe('compileKeyTemplate', () => {
  it('fills {n} with the encoded argument and matches cacheKey', () => {
    const build = compileKeyTemplate('user:{0}');
    expect(build([1])).toBe('user:1');
    expect(build([1])).toBe(cacheKey('user', 1));
    expect(build(['1'])).toBe(build([1]));
    expect(build(['a:b%'])).toBe(cacheKey('user', 'a:b%'));
  });

  it('reads own property paths', () => {
    const build = compileKeyTemplate('org:{0.org.id}:user:{1.id}:{2}');
    expect(build([{ org: { id: 'acme' } }, { id: 7n }, true])).toBe('org:acme:user:7:true');
    expect(compileKeyTemplate('first:{0.0}')([['x', 'y']])).toBe('first:x');
  });

  it('keeps literal text as is, with {{ and }} for literal braces', () => {
    expect(compileKeyTemplate('a b/c?*:{0}')([1])).toBe('a b/c?*:1');
    expect(compileKeyTemplate('{{tag}}:{0}')([1])).toBe('{tag}:1');
    expect(compileKeyTemplate('static')([])).toBe('static');
  });

  it.each([
    ['an object', { id: 1 }],
    ['an array', [1]],
    ['undefined', undefined],
    ['null', null],
  ])('throws a CacheKeyError naming template and placeholder for %s', (_label, value) => {
    const build = compileKeyTemplate('user:{0}');
    expect(() => build([value])).toThrow(CacheKeyError);
    expect(() => build([value])).toThrow(/"user:\{0\}".*\{0\}/);
  });

  it('throws a CacheKeyError for a missing argument or property', () => {
    expect(() => compileKeyTemplate('user:{1}')([1])).toThrow(CacheKeyError);
    expect(() => compileKeyTemplate('user:{0.id}')([{}])).toThrow(/\{0\.id\} is undefined/);
    expect(() => compileKeyTemplate('user:{0.id.x}')([{ id: null }])).toThrow(CacheKeyError);
  });

  it('reads own properties only, never the prototype chain', () => {
    class User {
      get id(): number {
        return 1;
      }
    }
    expect(() => compileKeyTemplate('u:{0.id}')([new User()])).toThrow(CacheKeyError);
    expect(() => compileKeyTemplate('u:{0.toString}')([{}])).toThrow(CacheKeyError);
    expect(() => compileKeyTemplate('u:{0.length}')(['abc'])).toThrow(CacheKeyError);
  });

  it.each([
    ['an unclosed brace', 'user:{0'],
    ['an unmatched closing brace', 'user:0}'],
    ['an empty placeholder', 'user:{}'],
    ['a named placeholder', 'user:{x}'],
    ['spaces', 'user:{ 0 }'],
    ['an empty path segment', 'user:{0.}'],
    ['a nested brace', 'user:{0{1}}'],
    ['__proto__', 'user:{0.__proto__}'],
    ['constructor', 'user:{0.constructor}'],
    ['prototype', 'user:{0.a.prototype}'],
  ])('throws a CacheConfigError at compile time for %s', (_label, template) => {
    expect(() => compileKeyTemplate(template)).toThrow(CacheConfigError);
    expect(() => compileKeyTemplate(template)).toThrow(/"key".*malformed key template/);
  });

  it('names the option it was given in configuration errors', () => {
    expect(() => compileKeyTemplate('{x}', 'tags')).toThrow(/Invalid cache option "tags"/);
  });
});

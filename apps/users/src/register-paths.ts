/**
 * Resolves `@app/cache` at run time, as the tsconfig `paths` do at compile time (tsc does not
 * rewrite import specifiers). `main.ts` imports this first, so the hook is in place before any
 * module asks for the library.
 *
 * The app and the library are compiled together with the repository root as `rootDir`, so the
 * library sits three folders above this file both in the sources (`apps/users/src` ->
 * `libs/cache/src`) and in the build (`dist/users/apps/users/src` -> `dist/users/libs/cache/src`).
 */
import Module from 'node:module';
import { join } from 'node:path';

const ALIAS = '@app/cache';
const LIBRARY = join(__dirname, '..', '..', '..', 'libs', 'cache', 'src');

type Resolve = (request: string, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: Resolve };
const resolve = loader._resolveFilename;

loader._resolveFilename = function resolveAlias(request: string, ...rest: unknown[]): string {
  if (request === ALIAS || request.startsWith(`${ALIAS}/`)) {
    return resolve.call(this, LIBRARY + request.slice(ALIAS.length), ...rest);
  }
  return resolve.call(this, request, ...rest);
};

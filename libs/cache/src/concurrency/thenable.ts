/**
 * Whether a value of a maybe-asynchronous call is a promise (or any thenable). Hot paths answer
 * synchronously when they can and chain only when they must.
 */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as Partial<PromiseLike<T>> | null | undefined)?.then === 'function';
}

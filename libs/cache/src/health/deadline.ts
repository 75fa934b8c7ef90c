import { CacheTimeoutError } from '../errors';

/**
 * One timer for everything a health check sends, so the check never outlives its budget and never
 * leaves a timer behind: `race()` each piece of I/O against it, then `clear()` it in a `finally`.
 */
export class Deadline {
  private timer?: NodeJS.Timeout;
  private readonly expired: Promise<never>;

  constructor(readonly ms: number) {
    this.expired = new Promise<never>((_, reject) => {
      this.timer = setTimeout(
        () => reject(new CacheTimeoutError(`Redis did not answer within ${ms} ms`)),
        ms,
      );
    });
    // A deadline that passes after the check settled is nobody's error.
    this.expired.catch(() => undefined);
  }

  /** Settles like `work`, or rejects with a `CacheTimeoutError` once the deadline passes. */
  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.expired]);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

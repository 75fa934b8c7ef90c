import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AppConfig } from '../config/app.config';

const KEY_LENGTH = 64;
const SALT_BYTES = 16;
/** N = 2^14, r = 8, p = 1: 16 MiB and tens of milliseconds per hash. */
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const MAX_MEMORY = 64 * 1024 * 1024;
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

export const HASH_QUEUE_FULL_MESSAGE = 'Too many password checks in progress; retry shortly';

/**
 * The 503 of a password hash refused because `PASSWORD_HASH_QUEUE` hashes are already running or
 * waiting. `retryAfter` (whole seconds) becomes the `Retry-After` header.
 */
export class HashQueueFullException extends ServiceUnavailableException {
  constructor() {
    super({ message: HASH_QUEUE_FULL_MESSAGE, retryAfter: 1 });
  }
}

/**
 * Hashes passwords with scrypt and a random salt. A hash records its parameters
 * (`scrypt$N$r$p$salt$key`), so they can be raised later without breaking older hashes.
 *
 * Each hash holds a thread of libuv's pool (4 by default) for tens of milliseconds, so a burst of
 * logins or sign-ups queues up behind the pool. At most `PASSWORD_HASH_QUEUE` hashes run or wait
 * at once; one more is refused at once with a {@link HashQueueFullException} (503), instead of
 * waiting longer than its client will and delaying every later one.
 */
@Injectable()
export class PasswordHasher {
  private dummy?: Promise<string>;
  private pending = 0;
  private readonly maxPending: number;

  constructor(@Inject(AppConfig) config: Pick<AppConfig, 'passwordHashQueue'>) {
    this.maxPending = config.passwordHashQueue;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await this.derive(password, salt, PARAMS);
    const { N, r, p } = PARAMS;
    return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  /** Whether `password` matches `hash`, compared in constant time; false for a malformed hash. */
  async verify(password: string, hash: string): Promise<boolean> {
    const match = FORMAT.exec(hash);
    if (!match) return false;
    const [, N, r, p, salt, expected] = match;
    const key = await this.derive(password, Buffer.from(salt, 'base64url'), {
      N: Number(N),
      r: Number(r),
      p: Number(p),
    });
    const wanted = Buffer.from(expected, 'base64url');
    return wanted.length === key.length && timingSafeEqual(wanted, key);
  }

  /**
   * A hash of a random password, made once. Checking a login for an unknown email against it
   * costs the same time as a real check, so timing does not tell which emails exist.
   */
  dummyHash(): Promise<string> {
    this.dummy ??= this.hash(randomBytes(SALT_BYTES).toString('base64url')).catch((error) => {
      this.dummy = undefined; // a refused or failed hash is not kept: the next login makes another
      throw error;
    });
    return this.dummy;
  }

  private derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
    if (this.pending >= this.maxPending) return Promise.reject(new HashQueueFullException());
    this.pending++;
    return new Promise<Buffer>((resolve, reject) => {
      const settle = (error: Error | null, key?: Buffer): void => {
        this.pending--;
        if (error) reject(error);
        else resolve(key!);
      };
      try {
        scrypt(password, salt, KEY_LENGTH, { ...options, maxmem: MAX_MEMORY }, settle);
      } catch (error) {
        // Parameters scrypt refuses up front (a stored hash with a bad N) never reach the pool.
        settle(error as Error);
      }
    });
  }
}

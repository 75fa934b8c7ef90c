import { Injectable } from '@nestjs/common';
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LENGTH = 64;
const SALT_BYTES = 16;
/** N = 2^14, r = 8, p = 1: 16 MiB and tens of milliseconds per hash. */
const PARAMS = { N: 16384, r: 8, p: 1 } as const;
const MAX_MEMORY = 64 * 1024 * 1024;
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { ...options, maxmem: MAX_MEMORY }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * Hashes passwords with scrypt and a random salt. A hash records its parameters
 * (`scrypt$N$r$p$salt$key`), so they can be raised later without breaking older hashes.
 */
@Injectable()
export class PasswordHasher {
  private dummy?: Promise<string>;

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, PARAMS);
    const { N, r, p } = PARAMS;
    return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  /** Whether `password` matches `hash`, compared in constant time; false for a malformed hash. */
  async verify(password: string, hash: string): Promise<boolean> {
    const match = FORMAT.exec(hash);
    if (!match) return false;
    const [, N, r, p, salt, expected] = match;
    const key = await derive(password, Buffer.from(salt, 'base64url'), {
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
    this.dummy ??= this.hash(randomBytes(SALT_BYTES).toString('base64url'));
    return this.dummy;
  }
}

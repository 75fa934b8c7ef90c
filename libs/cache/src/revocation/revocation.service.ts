import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_COMMAND_TIMEOUT_MS, RESOLVED_CACHE_OPTIONS } from '../cache.constants';
import { CacheStoreError, CacheTimeoutError } from '../errors';
import type { ResolvedCacheOptions } from '../options/resolve-options';
import { RevocationArgumentError } from './revocation.errors';
import { DEFAULT_CLOCK_TOLERANCE_MS, DEFAULT_MAX_TOKEN_LIFETIME_MS } from './revocation.options';
import { RevocationStore } from './revocation-store.interface';

/** The claims `revoke()` needs: those of a verified token, e.g. `request.user`. */
export interface RevokeTokenInput {
  jti: string;
  /** Expiry, in epoch seconds (the token's `exp`). */
  exp: number;
  /** Required at run time: a token's revocation is stored under its subject. */
  sub?: string;
}

/** The claims `isRevoked()` checks. */
export interface RevocationCheckInput {
  sub: string;
  jti: string;
  /** Issued-at, in epoch seconds; a token without it is revoked by any revoke-all of its subject. */
  iat?: number;
}

/**
 * Revokes tokens one by one (`revoke`) or all of a subject's at once (`revokeAllForSubject`), and
 * answers both questions in one store round trip (`isRevoked`). Works on Redis (shared by every
 * instance) or, without Redis, in process memory.
 *
 * The same-second rule: `iat` has one-second resolution, so a revoke-all at instant `at` stores the
 * cutoff `floor(at / 1000)` and revokes every token with `iat <= cutoff`. A token issued later in
 * that same second (say, a fresh login right after "log out everywhere") is therefore revoked too,
 * unless its issuer first awaits {@link waitUntilIssuable}. The other choice would let a token
 * issued just before the revoke-all, in the same second, survive it.
 *
 * @example
 * await revocation.revoke(request.user); // log out this token
 * await revocation.revokeAllForSubject(request.user.sub); // log out everywhere
 */
@Injectable()
export class RevocationService {
  private readonly logger = new Logger(RevocationService.name);
  private readonly clockTolerance: number;
  private readonly maxTokenLifetime: number;
  private readonly deadline: number;
  private outageSince: number | undefined;

  constructor(
    @Inject(RevocationStore) private readonly store: RevocationStore,
    @Inject(RESOLVED_CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
  ) {
    this.clockTolerance = options.revocation?.jwt.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE_MS;
    this.maxTokenLifetime = options.revocation?.maxTokenLifetime ?? DEFAULT_MAX_TOKEN_LIFETIME_MS;
    this.deadline = options.redis?.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
  }

  /**
   * Revokes one token until it expires (`exp` plus the clock tolerance); an expired token needs
   * nothing stored. Rejects with a `RevocationArgumentError` without `jti`, `sub` or `exp`, and with
   * a `CacheStoreError` when the store is unavailable.
   */
  async revoke({ jti, exp, sub }: RevokeTokenInput): Promise<void> {
    requireString(sub, 'revoke() needs the token\'s "sub": revocations are stored per subject');
    requireString(jti, 'revoke() needs the token\'s "jti"');
    if (typeof exp !== 'number' || !Number.isFinite(exp)) {
      throw new RevocationArgumentError('revoke() needs the token\'s "exp" in epoch seconds');
    }
    // A token the guard admits expires within maxTokenLifetime of its iat, and its iat is at most
    // one tolerance ahead of now: the cap only trims absurd `exp` values.
    const cap = this.maxTokenLifetime + 2 * this.clockTolerance;
    const keepFor = Math.min(exp * 1000 + this.clockTolerance - Date.now(), cap);
    if (keepFor <= 0) return;
    await this.call(() => this.store.revokeToken(sub, jti, keepFor));
  }

  /**
   * Revokes every token of `sub` issued at or before `at` (default now), including those issued
   * in the same second as `at` (see the same-second rule above). The cutoff is kept until every
   * token it covers has expired: `maxTokenLifetime` plus the clock tolerance.
   */
  async revokeAllForSubject(sub: string, at: number | Date = Date.now()): Promise<void> {
    requireString(sub, 'revokeAllForSubject() needs a subject');
    const atMs = at instanceof Date ? at.getTime() : at;
    if (typeof atMs !== 'number' || !Number.isFinite(atMs)) {
      throw new RevocationArgumentError('revokeAllForSubject() needs "at" as a Date or epoch ms');
    }
    const cutoff = Math.floor(atMs / 1000);
    // The last token covered has iat < cutoff + 1 and so expires before cutoff + 1 + maxLifetime.
    const keepFor = (cutoff + 1) * 1000 + this.maxTokenLifetime + this.clockTolerance - Date.now();
    if (keepFor <= 0) return;
    await this.call(() => this.store.revokeSubject(sub, cutoff, keepFor));
  }

  /**
   * Resolves once a token issued now for `sub` is not covered by a revoke-all already stored: at
   * once, or, when `sub` was revoked-all in the current second (the same-second rule), at the start
   * of the next second. Await it before `TokenIssuer.issue()` on a login, so that logging in right
   * after "log out everywhere" gives a token that works. One store round trip; it never waits more
   * than once (a cutoff set in a later second, by a future `at`, revokes the token whatever it
   * does). Rejects like {@link isRevoked} when the store cannot answer.
   */
  async waitUntilIssuable(sub: string): Promise<void> {
    requireString(sub, 'waitUntilIssuable() needs a subject');
    const second = Math.floor(Date.now() / 1000);
    // No token has an empty jti (revoke() refuses one): this asks about the cutoff alone.
    if (!(await this.call(() => this.store.isRevoked(sub, '', second)))) return;
    const next = (second + 1) * 1000;
    // A timer can fire a millisecond early by the wall clock: wait until the second has turned.
    while (Date.now() < next) {
      await sleep(next - Date.now());
    }
  }

  /**
   * Whether the token was revoked by itself or by a revoke-all of its subject, in one round trip.
   * Rejects with a `CacheStoreError` (or `CacheTimeoutError`) when the store cannot answer in time.
   */
  async isRevoked({ sub, jti, iat }: RevocationCheckInput): Promise<boolean> {
    requireString(sub, 'isRevoked() needs "sub"');
    requireString(jti, 'isRevoked() needs "jti"');
    const issuedAt = typeof iat === 'number' && Number.isFinite(iat) ? Math.floor(iat) : -Infinity;
    return this.call(() => this.store.isRevoked(sub, jti, issuedAt));
  }

  /** Every store call goes through here: bounded in time, and a failure logged once per outage. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new CacheTimeoutError(`Revocation store gave no answer in ${this.deadline} ms`)),
        this.deadline,
      );
    });
    try {
      const result = await Promise.race([work(), timeout]);
      if (this.outageSince !== undefined) this.noteRecovery();
      return result;
    } catch (error) {
      this.noteFailure(error);
      throw error instanceof CacheTimeoutError
        ? error
        : new CacheStoreError('Revocation store unavailable', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  private noteFailure(error: unknown): void {
    if (this.outageSince !== undefined) return;
    this.outageSince = Date.now();
    const consequence =
      this.options.revocation?.onStoreFailure === 'open'
        ? "tokens are admitted WITHOUT a revocation check (onStoreFailure: 'open')"
        : "requests with a token are refused with 503 (onStoreFailure: 'closed')";
    this.logger.warn(
      `Revocation store unavailable (${errorMessage(error)}): ${consequence} until it recovers`,
    );
  }

  private noteRecovery(): void {
    const seconds = ((Date.now() - (this.outageSince ?? Date.now())) / 1000).toFixed(1);
    this.outageSince = undefined;
    this.logger.log(`Revocation store available again after ${seconds} s`);
  }
}

function requireString(value: unknown, message: string): asserts value is string {
  if (typeof value !== 'string' || value === '') throw new RevocationArgumentError(message);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

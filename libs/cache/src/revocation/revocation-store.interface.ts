/**
 * Where revocations live: one class per backend (process memory, Redis). Times are epoch
 * milliseconds except `cutoff` and `iat`, which are JWT NumericDates (epoch seconds).
 */
export interface RevocationStore {
  /** Marks token `jti` of subject `sub` revoked for `keepFor` ms. */
  revokeToken(sub: string, jti: string, keepFor: number): Promise<void>;
  /** Revokes every token of `sub` with `iat <= cutoff`, kept at least `keepFor` ms; never lowers a cutoff. */
  revokeSubject(sub: string, cutoff: number, keepFor: number): Promise<void>;
  /** Whether `jti` is revoked or `iat` is at or before the subject's cutoff, in one round trip. */
  isRevoked(sub: string, jti: string, iat: number): Promise<boolean>;
}

/** DI token of the module's {@link RevocationStore}. */
export const RevocationStore = Symbol('CACHE:REVOCATION_STORE');

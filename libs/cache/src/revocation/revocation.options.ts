import type { Duration } from '../options/duration';

/** JWT algorithms the guard can verify. */
export type JwtAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

/** How tokens are verified. */
export interface JwtVerifyOptions {
  /** Shared secret for HS* algorithms. */
  secret?: string | Buffer;
  /** PEM public key for RS*, PS*, ES* and EdDSA. */
  publicKey?: string | Buffer;
  /** Required: the only algorithms accepted. */
  algorithms: JwtAlgorithm[];
  issuer?: string | string[];
  audience?: string | string[];
  /** Leeway for `exp`, `nbf` and `iat`; default `'5s'`. */
  clockTolerance?: Duration;
  /** Longest token accepted, in characters; default 8192. */
  maxTokenLength?: number;
}

/** Options of `revocation` in `CacheModule.forRoot()`. */
export interface RevocationOptions {
  jwt: JwtVerifyOptions;
  /** What to do while the store is unavailable; default `'closed'` (503, never admit). */
  onStoreFailure?: 'closed' | 'open';
  /** Trust `request.user` set by an earlier guard (e.g. passport) and only check revocation. */
  trustRequestUser?: boolean;
}

export interface ResolvedRevocationOptions {
  jwt: Omit<JwtVerifyOptions, 'clockTolerance' | 'maxTokenLength'> & {
    clockTolerance: number;
    maxTokenLength: number;
  };
  onStoreFailure: 'closed' | 'open';
  trustRequestUser: boolean;
}

/** Validates `revocation`; errors are `CacheConfigError`s naming the option (`revocation.jwt.algorithms`). */
export function resolveRevocationOptions(options: RevocationOptions): ResolvedRevocationOptions {
  throw new Error(`not implemented yet: ${typeof options}`);
}

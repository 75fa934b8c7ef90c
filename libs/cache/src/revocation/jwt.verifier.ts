import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import {
  JsonWebTokenError,
  NotBeforeError,
  TokenExpiredError,
  verify,
  type Algorithm,
} from 'jsonwebtoken';
import type { InvalidTokenReason } from './invalid-token.exception';
import { isHmacAlgorithm, type ResolvedRevocationOptions } from './revocation.options';

/** The claims of a verified token, as `JwtRevocationGuard` sets them on `request.user`. */
export interface TokenClaims {
  sub: string;
  jti: string;
  /** Epoch seconds. */
  exp: number;
  /** Epoch seconds. */
  iat: number;
  nbf?: number;
  iss?: string;
  aud?: string | string[];
  [claim: string]: unknown;
}

export type VerifyResult =
  { ok: true; claims: TokenClaims } | { ok: false; reason: InvalidTokenReason };

type JsonObject = Record<string, unknown>;
/** The options resolver checked that lists are non-empty. */
type NonEmpty = string | [string, ...string[]];

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Verifies a compact JWS token. Cheap structural checks come first (size, three base64url
 * segments, JSON object header and payload, allow-listed `alg`, claim types), so junk never
 * reaches the crypto; then jsonwebtoken checks the signature, `exp`, `nbf`, `iss` and `aud`; then
 * `iat` (not in the future) and the lifetime bound.
 */
export class JwtVerifier {
  private readonly key: KeyObject;
  private readonly algorithms: readonly string[];
  private readonly toleranceSeconds: number;

  constructor(
    private readonly options: ResolvedRevocationOptions['jwt'],
    private readonly maxLifetimeMs: number,
  ) {
    this.algorithms = options.algorithms;
    this.toleranceSeconds = options.clockTolerance / 1000;
    this.key = options.algorithms.every(isHmacAlgorithm)
      ? createSecretKey(Buffer.from(options.secret ?? ''))
      : createPublicKey(options.publicKey ?? '');
  }

  verify(token: string, now = Date.now()): VerifyResult {
    if (token.length > this.options.maxTokenLength) return fail('too_large');
    const parts = token.split('.');
    if (parts.length !== 3) return fail('malformed');
    const header = decodeSegment(parts[0]);
    const payload = decodeSegment(parts[1]);
    if (!header || !payload) return fail('malformed');
    const { alg } = header;
    // `none` is never in the list (the options refuse it), whatever its case.
    if (typeof alg !== 'string' || !this.algorithms.includes(alg)) return fail('algorithm');
    // RFC 7515 §4.1.11: a token with extensions we do not understand must be refused.
    if (header.crit !== undefined || !SEGMENT.test(parts[2])) return fail('malformed');
    const claimProblem = checkClaimTypes(payload);
    if (claimProblem) return fail(claimProblem);

    const nowSeconds = Math.floor(now / 1000);
    try {
      verify(token, this.key, {
        algorithms: [alg as Algorithm],
        clockTimestamp: nowSeconds,
        clockTolerance: this.toleranceSeconds,
        issuer: this.options.issuer as NonEmpty | undefined,
        audience: this.options.audience as NonEmpty | undefined,
      });
    } catch (error) {
      return fail(reasonOf(error));
    }
    const claims = payload as TokenClaims;
    if (claims.iat > nowSeconds + this.toleranceSeconds) return fail('issued_in_future');
    if ((claims.exp - claims.iat) * 1000 > this.maxLifetimeMs) return fail('lifetime');
    return { ok: true, claims };
  }
}

/**
 * Checks the claims a trusted `request.user` must carry to be checked for revocation, and, when it
 * has `exp`, the lifetime bound (a longer-lived token could outlive a revoke-all cutoff).
 */
export function checkTrustedClaims(
  user: unknown,
  maxLifetimeMs: number,
): InvalidTokenReason | undefined {
  if (!isObject(user)) return 'no_user';
  for (const claim of ['sub', 'jti', 'iat'] as const) {
    if (user[claim] === undefined) return 'missing_claim';
  }
  if (!isNonEmptyString(user.sub) || !isNonEmptyString(user.jti)) return 'invalid_claim';
  if (!isNumber(user.iat) || (user.exp !== undefined && !isNumber(user.exp))) {
    return 'invalid_claim';
  }
  if (user.exp !== undefined && (user.exp - user.iat) * 1000 > maxLifetimeMs) return 'lifetime';
  return undefined;
}

/** `sub`, `jti`, `exp` and `iat` are required (revocation needs all four); types are checked. */
function checkClaimTypes(payload: JsonObject): InvalidTokenReason | undefined {
  for (const claim of ['sub', 'jti', 'exp', 'iat'] as const) {
    if (payload[claim] === undefined) return 'missing_claim';
  }
  const valid =
    isNonEmptyString(payload.sub) &&
    isNonEmptyString(payload.jti) &&
    isNumber(payload.exp) &&
    isNumber(payload.iat) &&
    (payload.nbf === undefined || isNumber(payload.nbf)) &&
    (payload.iss === undefined || typeof payload.iss === 'string') &&
    (payload.aud === undefined ||
      typeof payload.aud === 'string' ||
      (Array.isArray(payload.aud) && payload.aud.every((a) => typeof a === 'string')));
  return valid ? undefined : 'invalid_claim';
}

/** A base64url segment holding a JSON object, or undefined. */
function decodeSegment(segment: string): JsonObject | undefined {
  if (!SEGMENT.test(segment) || segment.length % 4 === 1) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function reasonOf(error: unknown): InvalidTokenReason {
  if (error instanceof TokenExpiredError) return 'expired';
  if (error instanceof NotBeforeError) return 'not_yet_valid';
  if (!(error instanceof JsonWebTokenError)) return 'malformed';
  if (error.message === 'invalid signature') return 'signature';
  if (error.message.startsWith('jwt issuer invalid')) return 'issuer';
  if (error.message.startsWith('jwt audience invalid')) return 'audience';
  if (error.message === 'invalid algorithm') return 'algorithm';
  return 'malformed';
}

function fail(reason: InvalidTokenReason): VerifyResult {
  return { ok: false, reason };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

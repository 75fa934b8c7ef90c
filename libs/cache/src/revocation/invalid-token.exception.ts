import { UnauthorizedException } from '@nestjs/common';

/** Why a request's token was refused; each maps to one constant message. */
export const INVALID_TOKEN_MESSAGES = {
  missing: 'Missing bearer token',
  no_user: 'No authenticated user',
  too_large: 'Token is too large',
  malformed: 'Token is malformed',
  algorithm: 'Token algorithm is not allowed',
  signature: 'Invalid token signature',
  missing_claim: 'Token is missing a required claim',
  invalid_claim: 'Token has a claim of the wrong type',
  expired: 'Token expired',
  not_yet_valid: 'Token is not valid yet',
  issued_in_future: 'Token is issued in the future',
  lifetime: 'Token lifetime exceeds the allowed maximum',
  issuer: 'Token issuer is not accepted',
  audience: 'Token audience is not accepted',
  revoked: 'Token revoked',
} as const;

export type InvalidTokenReason = keyof typeof INVALID_TOKEN_MESSAGES;

/**
 * 401 from `JwtRevocationGuard`: no token, or one that is invalid, expired or revoked. The
 * message says which (`'Token revoked'`); `reason` is its stable code.
 *
 * @example throw new InvalidTokenException('expired');
 */
export class InvalidTokenException extends UnauthorizedException {
  constructor(readonly reason: InvalidTokenReason) {
    super(INVALID_TOKEN_MESSAGES[reason]);
  }
}

// Public exports of revocation/ (re-exported by the library's index.ts).
export { JwtRevocationGuard, type AuthenticatedRequest } from './jwt-revocation.guard';
export {
  InvalidTokenException,
  INVALID_TOKEN_MESSAGES,
  type InvalidTokenReason,
} from './invalid-token.exception';
export { RevocationUnavailableException } from './revocation-unavailable.exception';
export type { TokenClaims } from './jwt.verifier';
export { Public, PUBLIC_ROUTE_METADATA } from './public.decorator';
export { RevocationArgumentError } from './revocation.errors';
export type {
  JwtAlgorithm,
  JwtVerifyOptions,
  RevocationOptions,
  ResolvedRevocationOptions,
} from './revocation.options';
export {
  RevocationService,
  type RevocationCheckInput,
  type RevokeTokenInput,
} from './revocation.service';
export { TokenIssuer, type IssueTokenInput, type IssuedToken } from './token.issuer';

import { ServiceUnavailableException } from '@nestjs/common';

/** 503 from `JwtRevocationGuard`: the revocation store cannot say whether a token was revoked. */
export class RevocationUnavailableException extends ServiceUnavailableException {
  static readonly MESSAGE = 'Token revocation status is unavailable';

  constructor(options?: { cause?: unknown }) {
    super(RevocationUnavailableException.MESSAGE, options);
  }
}

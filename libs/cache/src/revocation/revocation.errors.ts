import { CacheError } from '../errors';

/** A revocation call got an argument it cannot act on (e.g. a token without `sub`). */
export class RevocationArgumentError extends CacheError {
  /** @example new RevocationArgumentError('revoke() needs "sub"') */
  constructor(message: string) {
    super(message, 'CACHE_REVOCATION_ARGUMENT');
  }
}

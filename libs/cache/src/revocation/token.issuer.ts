import { Inject, Injectable } from '@nestjs/common';
import { createPrivateKey, createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { RESOLVED_CACHE_OPTIONS } from '../cache.constants';
import { CacheConfigError } from '../errors';
import { parseDuration, type Duration } from '../options/duration';
import type { ResolvedCacheOptions } from '../options/resolve-options';
import { RevocationArgumentError } from './revocation.errors';
import {
  isHmacAlgorithm,
  type JwtAlgorithm,
  type ResolvedRevocationOptions,
  requireRevocationOptions,
} from './revocation.options';

/** What `TokenIssuer.issue()` signs. */
export interface IssueTokenInput {
  /** The subject (user id). */
  sub: string;
  /** How long the token lives; at most `revocation.maxTokenLifetime`. */
  ttl: Duration;
  /** Extra claims; the registered ones the issuer sets (`sub`, `jti`, `iat`, ...) are refused. */
  claims?: Record<string, unknown>;
}

/** A signed token and the claims revocation works with. */
export interface IssuedToken {
  token: string;
  sub: string;
  jti: string;
  /** Epoch seconds. */
  exp: number;
  /** Epoch seconds. */
  iat: number;
}

const RESERVED = ['sub', 'jti', 'exp', 'iat', 'nbf', 'iss', 'aud'];

/**
 * Signs tokens `JwtRevocationGuard` accepts: a random `jti`, `iat` now, the first configured
 * algorithm, and the configured issuer and audience. Signs with `revocation.jwt.secret` (HS*) or
 * `revocation.jwt.privateKey` (asymmetric).
 *
 * A token issued in the same second as a revoke-all of its subject is revoked by it (see
 * `RevocationService`), unless `RevocationService.waitUntilIssuable(sub)` is awaited first, as a
 * login should.
 *
 * @example
 * const { token } = issuer.issue({ sub: user.id, ttl: '15m' });
 */
@Injectable()
export class TokenIssuer {
  private signing?: { key: KeyObject; algorithm: JwtAlgorithm };

  constructor(@Inject(RESOLVED_CACHE_OPTIONS) private readonly options: ResolvedCacheOptions) {}

  issue({ sub, ttl, claims = {} }: IssueTokenInput): IssuedToken {
    const { key, algorithm } = this.signingKey();
    const { jwt, maxTokenLifetime } = this.revocationOptions();
    if (typeof sub !== 'string' || sub === '') {
      throw new RevocationArgumentError('issue() needs a non-empty "sub"');
    }
    const ttlMs = parseDuration(ttl, 'ttl');
    if (ttlMs < 1000 || ttlMs > maxTokenLifetime) {
      throw new RevocationArgumentError(
        `issue() needs a "ttl" from 1 s to revocation.maxTokenLifetime (${maxTokenLifetime} ms); got ${ttlMs} ms`,
      );
    }
    const reserved = RESERVED.find((claim) => claim in claims);
    if (reserved) {
      throw new RevocationArgumentError(`issue() sets "${reserved}" itself; remove it from claims`);
    }
    const jti = randomUUID();
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + Math.floor(ttlMs / 1000);
    const issuer = Array.isArray(jwt.issuer) ? jwt.issuer[0] : jwt.issuer;
    const payload = {
      ...claims,
      sub,
      jti,
      iat,
      exp,
      ...(issuer === undefined ? {} : { iss: issuer }),
      ...(jwt.audience === undefined ? {} : { aud: jwt.audience }),
    };
    const token = sign(payload, key, { algorithm, header: { alg: algorithm, typ: 'JWT' } });
    return { token, sub, jti, exp, iat };
  }

  private signingKey(): { key: KeyObject; algorithm: JwtAlgorithm } {
    if (this.signing) return this.signing;
    const revocation = this.revocationOptions();
    const [algorithm] = revocation.jwt.algorithms;
    if (isHmacAlgorithm(algorithm)) {
      this.signing = { key: createSecretKey(Buffer.from(revocation.jwt.secret ?? '')), algorithm };
    } else if (revocation.jwt.privateKey !== undefined) {
      this.signing = { key: createPrivateKey(revocation.jwt.privateKey), algorithm };
    } else {
      throw new CacheConfigError(
        'revocation.jwt.privateKey',
        `TokenIssuer needs a private key to sign ${algorithm} tokens`,
      );
    }
    return this.signing;
  }

  private revocationOptions(): ResolvedRevocationOptions {
    return requireRevocationOptions(this.options.revocation, 'TokenIssuer');
  }
}

import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RESOLVED_CACHE_OPTIONS } from '../cache.constants';
import { CacheEvents, type CacheEvent } from '../metrics/cache-events';
import type { ResolvedCacheOptions } from '../options/resolve-options';
import {
  INVALID_TOKEN_MESSAGES,
  InvalidTokenException,
  type InvalidTokenReason,
} from './invalid-token.exception';
import { checkTrustedClaims, JwtVerifier, type TokenClaims } from './jwt.verifier';
import { PUBLIC_ROUTE_METADATA } from './public.decorator';
import { RevocationUnavailableException } from './revocation-unavailable.exception';
import { requireRevocationOptions, type ResolvedRevocationOptions } from './revocation.options';
import { RevocationService } from './revocation.service';

/** The parts of an Express or Fastify request the guard reads and writes. */
export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: unknown;
}

type Outcome = Extract<CacheEvent, { type: 'revocation.check' }>['outcome'];

const BEARER = /^bearer (.*)$/is;

/**
 * Admits a request only with a valid, unexpired, unrevoked bearer JWT, and sets `request.user` to
 * its claims. With `trustRequestUser`, it takes the claims from the `request.user` an earlier guard
 * (passport) set, and only checks revocation. Refusals are 401 with `WWW-Authenticate` (RFC 6750);
 * an invalid token is refused before the store is asked. While the store is unavailable it answers
 * 503, or admits when `onStoreFailure: 'open'`. Routes marked `@Public()` pass without a token.
 *
 * @example
 * providers: [{ provide: APP_GUARD, useClass: JwtRevocationGuard }]
 */
@Injectable()
export class JwtRevocationGuard implements CanActivate {
  private verifier?: JwtVerifier;

  constructor(
    private readonly reflector: Reflector,
    private readonly revocation: RevocationService,
    private readonly events: CacheEvents,
    @Inject(RESOLVED_CACHE_OPTIONS) private readonly cacheOptions: ResolvedCacheOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const options = this.revocationOptions();
    if (this.isPublic(context)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const response = http.getResponse<unknown>();

    const claims = options.trustRequestUser
      ? this.trustedClaims(request, options.maxTokenLifetime)
      : this.verifyToken(this.extractToken(request));
    if (typeof claims === 'string') this.refuse(response, claims);

    let outcome: Outcome;
    try {
      outcome = (await this.revocation.isRevoked(claims)) ? 'revoked' : 'valid';
    } catch (error) {
      this.emit('unavailable');
      // The one place where failing open is decided; the service logs the outage once.
      if (options.onStoreFailure === 'closed') {
        setHeader(response, 'Retry-After', '1');
        throw new RevocationUnavailableException({ cause: error });
      }
      outcome = 'unavailable';
    }
    if (outcome === 'revoked') this.refuse(response, 'revoked');
    if (outcome === 'valid') this.emit('valid');
    if (!options.trustRequestUser) request.user = claims;
    return true;
  }

  /**
   * The token of `Authorization: Bearer <token>` (scheme in any case, one space), or undefined
   * when there is no such header. Override to read tokens from elsewhere (a cookie).
   */
  protected extractToken(request: AuthenticatedRequest): string | undefined {
    const header = request.headers?.authorization;
    if (typeof header !== 'string') return undefined;
    return BEARER.exec(header)?.[1];
  }

  /** Whether the handler or its controller is marked `@Public()`. */
  protected isPublic(context: ExecutionContext): boolean {
    return (
      this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) === true
    );
  }

  private verifyToken(token: string | undefined): TokenClaims | InvalidTokenReason {
    if (token === undefined) return 'missing';
    const result = this.getVerifier().verify(token);
    return result.ok ? result.claims : result.reason;
  }

  private trustedClaims(
    request: AuthenticatedRequest,
    maxLifetimeMs: number,
  ): TokenClaims | InvalidTokenReason {
    return checkTrustedClaims(request.user, maxLifetimeMs) ?? (request.user as TokenClaims);
  }

  private refuse(response: unknown, reason: InvalidTokenReason): never {
    this.emit(reason === 'revoked' ? 'revoked' : 'invalid');
    const challenge =
      reason === 'missing' || reason === 'no_user'
        ? 'Bearer'
        : `Bearer error="invalid_token", error_description="${INVALID_TOKEN_MESSAGES[reason]}"`;
    setHeader(response, 'WWW-Authenticate', challenge);
    throw new InvalidTokenException(reason);
  }

  private emit(outcome: Outcome): void {
    if (this.events.active) this.events.emit({ type: 'revocation.check', outcome });
  }

  private getVerifier(): JwtVerifier {
    const options = this.revocationOptions();
    this.verifier ??= new JwtVerifier(options.jwt, options.maxTokenLifetime);
    return this.verifier;
  }

  private revocationOptions(): ResolvedRevocationOptions {
    return requireRevocationOptions(this.cacheOptions.revocation, 'JwtRevocationGuard');
  }
}

/** Express has `res.header()`, Fastify `reply.header()`, plain Node `res.setHeader()`. */
function setHeader(response: unknown, name: string, value: string): void {
  const target = response as {
    header?: (name: string, value: string) => unknown;
    setHeader?: (name: string, value: string) => unknown;
  } | null;
  if (typeof target?.header === 'function') target.header(name, value);
  else if (typeof target?.setHeader === 'function') target.setHeader(name, value);
}

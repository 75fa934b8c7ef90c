import { createParamDecorator, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest, TokenClaims } from '@app/cache';

/** The caller of an authenticated route: the user id and the claims of the token used. */
export interface AuthUser {
  id: number;
  claims: TokenClaims;
}

const USER_ID = /^[1-9]\d{0,15}$/;

/**
 * The {@link AuthUser} that `JwtRevocationGuard` admitted (from `request.user`). Only for routes
 * that are not `@Public()`.
 *
 * @example
 * @Get('me') me(@CurrentUser() user: AuthUser) {}
 */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser => {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const claims = request.user as TokenClaims | undefined;
    const id = claims && USER_ID.test(claims.sub) ? Number(claims.sub) : NaN;
    // Only tokens signed with our secret get here: this would be one of another app sharing it.
    if (!claims || !Number.isSafeInteger(id)) {
      throw new UnauthorizedException('Token subject is not a user');
    }
    return { id, claims };
  },
);

import { SetMetadata, type CustomDecorator } from '@nestjs/common';

/** Metadata key `@Public()` sets. */
export const PUBLIC_ROUTE_METADATA = 'CACHE:PUBLIC_ROUTE';

/**
 * Lets a route, or every route of a controller, through `JwtRevocationGuard` without a token.
 *
 * @example
 * @Public()
 * @Get('health')
 * health() { return 'ok'; }
 */
export const Public = (): CustomDecorator<string> => SetMetadata(PUBLIC_ROUTE_METADATA, true);

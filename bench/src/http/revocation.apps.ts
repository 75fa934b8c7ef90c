import { Controller, Get, Module, UseGuards, type DynamicModule } from '@nestjs/common';
import { CacheModule, JwtRevocationGuard } from '../../../libs/cache/src';

/** The secret of the bench's tokens; the app signs one token at start and the parent sends it. */
export const BENCH_JWT_SECRET = 'bench-secret-of-at-least-32-bytes-long!';

@Controller()
class MeController {
  /** The baseline: no guard. */
  @Get('open')
  open(): { ok: true } {
    return { ok: true };
  }

  @Get('me')
  @UseGuards(JwtRevocationGuard)
  me(): { ok: true } {
    return { ok: true };
  }
}

/**
 * `JwtRevocationGuard` on Redis (one MGET per request) or on the memory store (a Map lookup: the
 * ceiling a local cache of "not revoked" answers could reach).
 */
export function revocationApp(
  where: 'redis' | 'memory',
  redisUrl: string,
  namespace: string,
): DynamicModule {
  @Module({})
  class RevocationApp {}
  return {
    module: RevocationApp,
    imports: [
      CacheModule.forRoot({
        namespace,
        redis: where === 'redis' ? { url: redisUrl } : undefined,
        revocation: { jwt: { secret: BENCH_JWT_SECRET, algorithms: ['HS256'] } },
      }),
    ],
    controllers: [MeController],
  };
}

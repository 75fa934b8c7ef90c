import { Controller, Get, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { CacheModule, RedisHealthIndicator, type RedisConnectionOptions } from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';

/** The readiness timeout the test app uses. */
export const HEALTH_TIMEOUT_MS = 300;

/** A health controller as an app would write one: liveness without I/O, readiness on Redis. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.redis.isHealthy('redis', { timeout: HEALTH_TIMEOUT_MS })]);
  }

  @Get('optional')
  @HealthCheck()
  optional() {
    return this.health.check([
      () => this.redis.isHealthy('redis', { timeout: HEALTH_TIMEOUT_MS, optional: true }),
    ]);
  }
}

/** An HTTP app with the cache module (on `redis`, or in memory without it) and the controller. */
export async function healthApp(redis?: RedisConnectionOptions): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      CacheModule.forRoot({ namespace: uniqueNamespace(), ...(redis ? { redis } : {}) }),
      // Terminus logs every failed check; the specs fail Redis on purpose.
      TerminusModule.forRoot({ logger: false }),
    ],
    controllers: [HealthController],
    providers: [RedisHealthIndicator],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  return app.init();
}
